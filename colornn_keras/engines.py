"""Running the models' forward pass with TensorFlow, ONNX Runtime or OpenVINO.

Colorizing spends most of its time in the color model's forward pass, which other runtimes may
compute faster than TensorFlow on a given CPU. A *predictor* has the one method inference needs,
`predict_on_batch(inputs) -> {"u": ..., "v": ...}`, whatever runs it:

- "tensorflow": the Keras model itself (any precision, any device);
- "onnxruntime" and "openvino": the model exported once to ONNX (Keras' own
  `model.export(format="onnx")`, which uses tf2onnx), cached under
  `backbone.cache_dir() / "engines"` by the weights' SHA-256 and the input size, so a later run
  loads the file instead of exporting again. Both run it in float32.

ONNX Runtime, OpenVINO and tf2onnx are optional (`pip install "colornn-keras[engines]"`). Where
one is missing, or the export fails, the work falls back to TensorFlow: quietly for "auto",
with a `ColorNNWarning` for an engine asked for by name. "auto" takes the first available of
`AUTO_PREFERENCE`, measured with `benchmarks/engine_speed.py` on an AVX2 CPU (see the README's
Performance section), and TensorFlow where the model computes in another precision than
float32 (bfloat16 on CPUs with AMX or AVX-512 BF16, which only TensorFlow runs here) or where
TensorFlow sees a GPU.
"""

import contextlib
import hashlib
import importlib.util
import json
import logging
import pathlib
import warnings

import numpy as np

from colornn_keras import backbone
from colornn_keras import defaults
from colornn_keras import errors
from colornn_keras import files

ENGINES = defaults.ENGINES
# "auto" takes the first of these that is installed: fastest first, as measured on CPUs
# (benchmarks/engine_speed.py; the figures and the machine in benchmarks/results/engine_speed.md).
AUTO_PREFERENCE = ("openvino", "onnxruntime", "tensorflow")
# Exporting a model takes seconds, and the engines gain a fraction of TensorFlow's time a frame
# (benchmarks/results/engine_speed.md): the export pays off after several hundred frames (20 s of
# video at 30 fps). For less, "auto" runs TensorFlow unless it is cached.
EXPORT_PAYS_OFF_FRAMES = 600
# Where each engine's Python package lives: what `pip install "colornn-keras[engines]"` adds.
_PACKAGES = {"onnxruntime": "onnxruntime", "openvino": "openvino"}
EXPORTER_PACKAGE = "tf2onnx"
# Largest differences from TensorFlow's own float32 outputs that tests/test_engines.py accepts
# for an exported engine: in the probabilities of a bin, and in decoded U and V (1e-3 is a quarter
# of one Cb or Cr code value). Measured on a 32x32 color model with the ImageNet VGG16 and an
# untrained decoder, and the consistency model on it: at most 3.5e-4 and 2.9e-4 (OpenVINO),
# 1.2e-4 and 1.1e-4 (ONNX Runtime): the order of float32 sums differs.
PROBABILITY_TOLERANCE = 1e-3
UV_TOLERANCE = 1e-3


def installed(engine):
    """True where `engine` can run here: TensorFlow always, the others where their package is
    installed (an export also needs tf2onnx, unless it is cached)."""
    if engine == "tensorflow":
        return True
    if engine not in _PACKAGES:
        raise errors.ColorNNError(f"engine must be one of {ENGINES}, got {engine!r}.")
    return importlib.util.find_spec(_PACKAGES[engine]) is not None


def weights_fingerprint(model):
    """SHA-256 of a model's structure (its input and output shapes, its layers' names, its
    config: a `ChromaModel`'s decoding, for one) and of every weight's values: what an exported
    file is keyed by. Any retraining changes it."""
    digest = hashlib.sha256()
    structure = {
        "class": type(model).__name__,
        "inputs": [list(tensor.shape) for tensor in model.inputs],
        "outputs": [list(tensor.shape) for tensor in model.outputs],
        "layers": [layer.name for layer in model.layers],
        "config": model.get_config(),
    }
    digest.update(json.dumps(structure, sort_keys=True, default=str).encode())
    for weight in model.weights:
        values = np.ascontiguousarray(weight.numpy())
        digest.update(f"{weight.path}:{values.dtype}:{values.shape}".encode())
        digest.update(values.tobytes())
    return digest.hexdigest()


def exported_path(model):
    """Where the ONNX export of `model` is cached: `<cache>/engines/<name>_<size>_<sha256[:16]>.onnx`."""
    size = "x".join(str(side) for side in model.inputs[0].shape[1:3])
    return backbone.cache_dir() / "engines" / f"{model.name}_{size}_{weights_fingerprint(model)[:16]}.onnx"


def _sample_inputs(model):
    """Zeros of the model's input structure (an array, or a dict for the consistency model), batch 1."""
    import keras

    return keras.tree.map_structure(lambda tensor: np.zeros((1, *tensor.shape[1:]), np.float32), model.input)


def export_onnx(model, path=None):
    """Exports `model`'s forward pass to ONNX at `path` (default `exported_path(model)`), atomically,
    unless the file is there already; returns its path.

    The model must compute in float32 (Keras' ONNX export requires it). Takes seconds to a
    minute (TensorFlow traces the model, tf2onnx converts and optimizes the graph).
    """
    other_dtypes = _compute_dtypes(model) - {"float32"}
    if other_dtypes:
        raise errors.ColorNNError(f"Only float32 models can be exported; {model.name} computes in "
                                  f"{', '.join(sorted(other_dtypes))}.")
    path = pathlib.Path(path) if path is not None else exported_path(model)
    if path.is_file():
        return path
    model.predict_on_batch(_sample_inputs(model))  # Keras exports only a model that has been called.
    with files.atomic_write(path, suffix=".onnx") as temporary, _quiet_exporter():
        model.export(str(temporary), format="onnx", verbose=False)
    return path


@contextlib.contextmanager
def _quiet_exporter():
    """tf2onnx logs each step at INFO, and Keras' patch for NumPy 2 touches the deprecated
    `np.object`: neither is news to someone colorizing a video."""
    logger = logging.getLogger("tf2onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning)
            warnings.filterwarnings("ignore", category=DeprecationWarning)
            yield
    finally:
        logger.setLevel(level)


class TensorFlowPredictor:
    """The Keras model itself."""

    engine = "tensorflow"

    def __init__(self, model):
        self.model = model

    def predict_on_batch(self, inputs):
        return self.model.predict_on_batch(inputs)


class OnnxRuntimePredictor:
    """An exported model run by ONNX Runtime on the CPU."""

    engine = "onnxruntime"

    def __init__(self, path):
        import onnxruntime

        options = onnxruntime.SessionOptions()
        # Decoding and encoding threads share the cores with the model: idle worker threads
        # sleep instead of spinning, which would take the cores from them.
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        self.session = onnxruntime.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
        self.input_names = [tensor.name for tensor in self.session.get_inputs()]
        self.output_names = [tensor.name for tensor in self.session.get_outputs()]

    def predict_on_batch(self, inputs):
        feed = _feed(inputs, self.input_names)
        return dict(zip(self.output_names, self.session.run(self.output_names, feed)))


class OpenVINOPredictor:
    """An exported model run by OpenVINO on the CPU, in float32 (OpenVINO's default on CPUs
    with AMX would be bfloat16, farther from TensorFlow's float32 than the tolerance)."""

    engine = "openvino"

    def __init__(self, path):
        import openvino

        core = openvino.Core()
        self.compiled = core.compile_model(core.read_model(str(path)), "CPU",
                                           {"PERFORMANCE_HINT": "LATENCY", "INFERENCE_PRECISION_HINT": "f32"})
        self.request = self.compiled.create_infer_request()
        self.input_names = [port.get_any_name() for port in self.compiled.inputs]
        self.output_names = [port.get_any_name() for port in self.compiled.outputs]

    def predict_on_batch(self, inputs):
        # share_outputs=False (the default): the arrays returned are copies, not the request's
        # buffers that the next call overwrites.
        results = self.request.infer(_feed(inputs, self.input_names))
        return {name: results[port] for name, port in zip(self.output_names, self.compiled.outputs)}


def _feed(inputs, names):
    """The inputs as {name: float32 array}: a dict as it is, one array as the only input."""
    if not isinstance(inputs, dict):
        (name,) = names
        inputs = {name: inputs}
    return {name: np.ascontiguousarray(inputs[name], np.float32) for name in names}


_PREDICTORS = {"onnxruntime": OnnxRuntimePredictor, "openvino": OpenVINOPredictor}


def _compute_dtypes(layer):
    """The compute dtypes of a layer and of every layer inside it (a consistency model holds its
    color model's layers, which may compute in bfloat16 where its own policy says float32)."""
    dtypes = {getattr(getattr(layer, "dtype_policy", None), "compute_dtype", "float32")}
    for inner in getattr(layer, "layers", ()):
        dtypes |= _compute_dtypes(inner)
    return dtypes


def choose(engine, model):
    """The engine that `predictor` runs for `engine` ("auto" resolved, fallbacks applied), and
    why it is not the one asked for (None when it is)."""
    if engine not in ENGINES:
        raise errors.ColorNNError(f"engine must be one of {ENGINES}, got {engine!r}.")
    if engine == "tensorflow":
        return "tensorflow", None
    if not hasattr(model, "export"):
        return "tensorflow", "it is not a Keras model, which the engines export"
    other_dtypes = _compute_dtypes(model) - {"float32"}
    if other_dtypes:
        return "tensorflow", f"it computes in {', '.join(sorted(other_dtypes))}, which only TensorFlow runs here"
    if engine == "auto":
        import tensorflow as tf

        if tf.config.list_physical_devices("GPU"):
            return "tensorflow", "TensorFlow runs on the GPU"
        return next(name for name in AUTO_PREFERENCE if installed(name)), None
    if not installed(engine):
        return "tensorflow", f"{_PACKAGES[engine]} is not installed (pip install \"colornn-keras[engines]\")"
    return engine, None


def predictor(model, engine="auto", announce=None):
    """A predictor of `model`'s forward pass on `engine` (one of `ENGINES`).

    Args:
        model: a Keras model (the color or consistency model).
        engine: "auto" (the fastest installed, see `AUTO_PREFERENCE`), "tensorflow",
            "onnxruntime" or "openvino".
        announce: optional callable given a one-line message before a slow, one-time export.

    Returns:
        An object with `predict_on_batch(inputs)` returning {"u": ..., "v": ...} NumPy arrays and
        `engine`, the engine it runs on. An engine that cannot run here falls back to TensorFlow
        (a `ColorNNWarning` says why, unless `engine` is "auto").
    """
    chosen, reason = choose(engine, model)
    if chosen == "tensorflow":
        if reason is not None and engine != "auto":
            warnings.warn(f"The {engine} engine cannot run {model.name}: {reason}; using TensorFlow.",
                          errors.ColorNNWarning, stacklevel=2)
        return TensorFlowPredictor(model)
    path = exported_path(model)
    try:
        if not path.is_file():
            if importlib.util.find_spec(EXPORTER_PACKAGE) is None:
                raise ImportError(f"{EXPORTER_PACKAGE} is not installed (pip install \"colornn-keras[engines]\")")
            if announce is not None:
                announce(f"Exporting {model.name} for {chosen}, once: it is cached as {path}.")
            export_onnx(model, path)
        return _PREDICTORS[chosen](path)
    except Exception as error:  # noqa: BLE001 - any failure of an optional engine: TensorFlow still works.
        warnings.warn(f"The {chosen} engine cannot run {model.name} ({type(error).__name__}: "
                      f"{str(error).strip().splitlines()[0] if str(error).strip() else 'no message'}); using TensorFlow.",
                      errors.ColorNNWarning, stacklevel=2)
        return TensorFlowPredictor(model)


def for_work(engine, models, frames):
    """The engine to run `frames` frames with: `engine`, except that "auto" stays on TensorFlow
    for fewer than `EXPORT_PAYS_OFF_FRAMES` frames when a model would first have to be exported.
    `models` may hold None (no consistency model)."""
    if engine != "auto" or frames >= EXPORT_PAYS_OFF_FRAMES:
        return engine
    return "tensorflow" if any(pending_export(model, engine) for model in models) else engine


def pending_export(model, engine):
    """The path `predictor(model, engine)` would export `model` to first, or None where it would
    not export (TensorFlow chosen, the export cached, or tf2onnx missing). `model` may be None."""
    if model is None or not hasattr(model, "export"):
        return None
    chosen, _ = choose(engine, model)
    if chosen == "tensorflow" or importlib.util.find_spec(EXPORTER_PACKAGE) is None:
        return None
    path = exported_path(model)
    return None if path.is_file() else path
