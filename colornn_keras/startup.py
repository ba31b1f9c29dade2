"""Starting TensorFlow quietly, for the command line and for `import colornn_keras` users alike.

Importable without TensorFlow (it is what imports it).
"""

import os
import sys

# Set to 1 (or pass `colornn --verbose`) to see TensorFlow's start-up messages.
VERBOSE_ENV_VARIABLE = "COLORNN_VERBOSE"


def verbose_requested():
    return os.environ.get(VERBOSE_ENV_VARIABLE, "") not in ("", "0")


def import_tensorflow(verbose=None):
    """Imports TensorFlow, its C++ start-up messages hidden unless `verbose` (default: the
    `COLORNN_VERBOSE` variable). Does nothing where TensorFlow is already imported.

    TF_CPP_MIN_LOG_LEVEL=3 leaves only fatal errors of TensorFlow's own C++ logging (the CUDA
    probes' "failed call to cuInit", harmless on a machine without a GPU, among them). A few lines
    come from absl before its logging is set up and ignore that level, so stderr points at
    /dev/null while TensorFlow loads; an error the import raises is printed after it is restored.
    """
    if "tensorflow" in sys.modules:
        return
    if verbose is None:
        verbose = verbose_requested()
    if verbose:
        import tensorflow  # noqa: F401
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    sys.stderr.flush()
    saved_stderr = os.dup(2)
    try:
        with open(os.devnull, "wb") as null:
            os.dup2(null.fileno(), 2)
            try:
                import tensorflow  # noqa: F401
            finally:
                os.dup2(saved_stderr, 2)
    finally:
        os.close(saved_stderr)
