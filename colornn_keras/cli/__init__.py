"""`colornn ...`: runs the command that its arguments name, and maps user errors to one line and exit code 2.

User errors are the library's `ColorNNError`s (colornn_keras/errors.py): a bad input, an output
that cannot be written, weights or a run record that do not fit, an impossible setting. Anything
else is a bug, and keeps its traceback (exit code 1).

The arguments are described in `parser` (`build_parser`); the commands run in `colorize_commands`
(`colorize`, `demo`) and `run_commands` (`train`, `evaluate`, `table`, `reproduce`, `presets`).
"""

import sys
import warnings

# Light on purpose: TensorFlow (seconds to import) loads only once a command runs, so `--help`
# and argument errors answer at once. Modules that import it are imported inside the handlers.
from colornn_keras import startup
from colornn_keras.cli.parser import build_parser
from colornn_keras.cli.parser import join_dashed_values

EXIT_USER_ERROR = 2
VERBOSE_ENV_VARIABLE = startup.VERBOSE_ENV_VARIABLE


def _import_tensorflow(verbose):
    """TensorFlow, imported quietly unless `verbose` (`startup.import_tensorflow`)."""
    startup.import_tensorflow(verbose)


def _show_warning(show):
    """`warnings.showwarning` that prints the library's own warnings as one line each."""
    from colornn_keras import errors

    def show_warning(message, category, filename, lineno, file=None, line=None):
        if issubclass(category, errors.ColorNNWarning):
            print(f"colornn: warning: {message}", file=sys.stderr)
        else:
            show(message, category, filename, lineno, file, line)

    return show_warning


def main(argv=None):
    from colornn_keras import errors  # Light: no TensorFlow.

    arguments = build_parser().parse_args(join_dashed_values(sys.argv[1:] if argv is None else list(argv)))
    with warnings.catch_warnings():
        try:
            precheck = getattr(arguments, "precheck", None)
            if precheck is not None:
                precheck(arguments)
            if getattr(arguments, "needs_tensorflow", True):
                _import_tensorflow(arguments.verbose or startup.verbose_requested())
            warnings.showwarning = _show_warning(warnings.showwarning)
            arguments.handler(arguments)
        except errors.ColorNNError as error:
            print(f"colornn: {error.label}: {error}", file=sys.stderr)
            return EXIT_USER_ERROR
        except KeyboardInterrupt:  # At any moment, TensorFlow's import included: one line, no traceback.
            print("colornn: interrupted", file=sys.stderr)
            return 130
    return 0
