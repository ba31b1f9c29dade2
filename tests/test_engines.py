"""The inference engines: ONNX Runtime and OpenVINO compute what TensorFlow computes, the export
is made once and cached by the weights, and whatever cannot run falls back to TensorFlow."""

import warnings

import numpy as np
import pytest

from colornn_keras import cli
from colornn_keras import engines
from colornn_keras import errors
from colornn_keras import inference
from colornn_keras.models import color
from colornn_keras.models import consistency
from tests.conftest import panning_frames

SIZE = 32
EXPORTED_ENGINES = ("onnxruntime", "openvino")


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """A cache folder of this module's own, so exports are made here and shared by its tests."""
    with pytest.MonkeyPatch.context() as patch:
        folder = tmp_path_factory.mktemp("cache")
        patch.setenv("COLORNN_CACHE_DIR", str(folder))
        yield folder


@pytest.fixture(scope="module")
def models(cache):
    """A small color model with the real VGG16 and a consistency model on it (their decoders are
    untrained: the engines must agree on any weights)."""
    from colornn_keras import backbone

    color_model = color.ColorModel(image_size=SIZE, backbone_weights=backbone.load_vgg16_weights())
    return color_model, consistency.ConsistencyModel(color_model)


def _inputs(batch=3, seed=0):
    rng = np.random.default_rng(seed)
    luma = rng.random((batch, SIZE, SIZE, 1), dtype=np.float32)
    previous_uv = (rng.random((batch, SIZE, SIZE, 2), dtype=np.float32) - 0.5) * 0.6
    return luma, {"luma": luma, consistency.CONTEXT_INPUT: previous_uv}


@pytest.mark.large
@pytest.mark.parametrize("engine", EXPORTED_ENGINES)
def test_engines_compute_what_tensorflow_computes(models, engine):
    pytest.importorskip(engine)
    pytest.importorskip(engines.EXPORTER_PACKAGE)
    for model, inputs in zip(models, _inputs()):
        with warnings.catch_warnings():
            warnings.simplefilter("error", errors.ColorNNWarning)  # No silent fallback to TensorFlow.
            predictor = engines.predictor(model, engine)
        assert predictor.engine == engine
        expected, got = model.predict_on_batch(inputs), predictor.predict_on_batch(inputs)
        for axis in ("u", "v"):
            assert got[axis].shape == expected[axis].shape == (3, SIZE, SIZE, model.num_bins)
            assert np.abs(got[axis] - np.asarray(expected[axis])).max() < engines.PROBABILITY_TOLERANCE


@pytest.mark.large
@pytest.mark.parametrize("engine", EXPORTED_ENGINES)
def test_a_colorizer_on_an_engine_colours_as_tensorflow_does(models, engine):
    pytest.importorskip(engine)
    pytest.importorskip(engines.EXPORTER_PACKAGE)
    frames = panning_frames(5, size=(40, 56))
    for consistency_model in (None, models[1]):  # Frame by frame in batches, and free-running.
        colorizers = [inference.Colorizer(models[0], consistency_model, batch_size=2, engine=name)
                      for name in ("tensorflow", engine)]
        expected, got = (list(colorizer.predict_chroma_sequence(frames)) for colorizer in colorizers)
        assert len(got) == len(expected) == 5
        for (_, uv), (_, expected_uv) in zip(got, expected):
            assert np.abs(uv - expected_uv).max() < engines.UV_TOLERANCE


def test_the_export_is_cached_by_weights_and_size(models, cache, monkeypatch):
    pytest.importorskip(engines.EXPORTER_PACKAGE)
    color_model = models[0]
    path = engines.export_onnx(color_model)
    assert path.parent == cache / "engines" and path.name.startswith(f"color_model_{SIZE}x{SIZE}_")
    monkeypatch.setattr(color_model, "export", lambda *arguments, **keywords: pytest.fail("exported twice"))
    assert engines.export_onnx(color_model) == path and engines.pending_export(color_model, "onnxruntime") is None
    # Other weights, another file: a retrained model never runs on a stale export.
    kernel = color_model.get_layer("u_logits").kernel
    original = kernel.numpy()
    try:
        kernel.assign(original + 1e-3)
        assert engines.exported_path(color_model) != path
    finally:
        kernel.assign(original)
    assert engines.exported_path(color_model) == path


def test_what_cannot_run_falls_back_to_tensorflow(models, monkeypatch):
    color_model = models[0]
    real_installed = engines.installed
    monkeypatch.setattr(engines, "installed", lambda name: name == "tensorflow" or (
        name != "openvino" and real_installed(name)))
    with pytest.warns(errors.ColorNNWarning, match=r"openvino is not installed .*colornn-keras\[engines\]"):
        assert engines.predictor(color_model, "openvino").engine == "tensorflow"
    # "auto" takes the next engine of its preference quietly.
    expected = "onnxruntime" if real_installed("onnxruntime") else "tensorflow"
    assert engines.choose("auto", color_model) == (expected, None)

    monkeypatch.setattr(engines, "installed", lambda name: name == "tensorflow")
    assert engines.choose("auto", color_model) == ("tensorflow", None)
    # Not a Keras model (a test double, a wrapped model): nothing to export.
    stub = type("Stub", (), {"name": "stub", "predict_on_batch": lambda self, inputs: inputs})()
    assert engines.choose("onnxruntime", stub)[0] == "tensorflow"
    with pytest.raises(errors.ColorNNError, match="engine must be one of"):
        engines.choose("tensorrt", color_model)


def test_bfloat16_models_stay_on_tensorflow():
    color_model = color.ColorModel(image_size=SIZE, backbone_weights=None, dtype="mixed_bfloat16")
    chosen, reason = engines.choose("auto", color_model)
    assert chosen == "tensorflow" and "bfloat16" in reason
    # A consistency model's own policy is float32, but its color model's layers compute in bfloat16.
    assert engines.choose("onnxruntime", consistency.ConsistencyModel(color_model))[0] == "tensorflow"
    with pytest.raises(errors.ColorNNError, match="Only float32 models can be exported"):
        engines.export_onnx(color_model)


def test_auto_exports_only_for_enough_frames(monkeypatch):
    model = object()
    monkeypatch.setattr(engines, "pending_export", lambda candidate, engine: "model.onnx" if candidate else None)
    short, long = engines.EXPORT_PAYS_OFF_FRAMES - 1, engines.EXPORT_PAYS_OFF_FRAMES
    assert engines.for_work("auto", (model, None), short) == "tensorflow"  # The export would cost more.
    assert engines.for_work("auto", (model, None), long) == "auto"
    assert engines.for_work("openvino", (model, None), 1) == "openvino"  # Asked for by name.
    monkeypatch.setattr(engines, "pending_export", lambda candidate, engine: None)  # Exported already.
    assert engines.for_work("auto", (model, None), 1) == "auto"


def test_colorize_takes_an_engine():
    parser = cli.build_parser()
    assert parser.parse_args(["colorize", "clip.mp4"]).engine == "auto"
    assert parser.parse_args(["colorize", "clip.mp4", "--engine", "openvino"]).engine == "openvino"
    with pytest.raises(SystemExit):
        parser.parse_args(["colorize", "clip.mp4", "--engine", "tensorrt"])


def test_each_decoding_has_its_own_export(models):
    from colornn_keras import colorspace
    from colornn_keras.models import decoding

    paths = {engines.exported_path(decoding.ChromaModel(models[0], method)) for method in colorspace.DECODING_METHODS}
    assert len(paths) == len(colorspace.DECODING_METHODS)
