"""The color model with its decoding in the graph decodes as `colorspace.decode_uv`, keeps NaN
visible, and saves whole."""

import keras
import numpy as np
import pytest

from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras.models import color
from colornn_keras.models import decoding
from tests.models import harness


@pytest.fixture(scope="module")
def color_model():
    keras.utils.set_random_seed(3)
    model = color.ColorModel(image_size=32, num_bins=12, backbone_weights=None)
    for weight in model.trainable_weights:  # Peaked distributions, far from uniform: decodings differ.
        weight.assign(np.random.default_rng(1).normal(0, 0.3, weight.shape).astype("float32"))
    return model


def _luma(batch=2):
    return np.random.default_rng(0).random((batch, 32, 32, 1), dtype=np.float32)


@pytest.mark.parametrize("method", colorspace.DECODING_METHODS)
def test_it_decodes_as_numpy_does(color_model, method):
    probabilities = {axis: np.asarray(value) for axis, value in color_model.predict_on_batch(_luma()).items()}
    expected = colorspace.decode_uv(probabilities, method)
    got = decoding.ChromaModel(color_model, method).predict_on_batch(_luma())["uv"]
    assert got.shape == (2, 32, 32, 2)
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert np.abs(expected).max() > 0.05  # Real colours, not gray everywhere.


@pytest.mark.parametrize("method", colorspace.DECODING_METHODS)
def test_non_finite_distributions_decode_to_nan_whatever_the_method(method):
    probabilities = np.full((1, 3, 4, 12), 1 / 12, np.float32)
    broken = probabilities.copy()
    broken[0, 1, 2, 5] = np.nan  # Argmax alone would decode this pixel to a finite bin.
    uv = np.asarray(decoding.ChromaDecoder(method)({"u": broken, "v": probabilities}))
    assert np.isnan(uv[0, 1, 2]).all()
    assert np.isfinite(np.delete(uv.reshape(-1, 2), 1 * 4 + 2, axis=0)).all()


@pytest.mark.large
def test_the_model_test_harness(tmp_path, vgg16_weights, color_model):
    def build():
        return decoding.ChromaModel(color.ColorModel(image_size=32, num_bins=12, backbone_weights=vgg16_weights),
                                    "expectation", temperature=0.5)

    harness.run_model_test(decoding.ChromaModel, build, _luma(), {"uv": (2, 32, 32, 2)}, tmp_path, distributions=())
    config = decoding.ChromaModel(color_model, "expectation", temperature=0.5).get_config()
    assert (config["method"], config["temperature"], config["name"]) == ("expectation", 0.5, "color_model_expectation")


def test_bad_arguments_are_one_line_errors(color_model):
    with pytest.raises(errors.ColorNNError, match="method must be one of"):
        decoding.ChromaDecoder("mode")
    with pytest.raises(errors.ColorNNError, match="temperature must be positive"):
        decoding.ChromaDecoder(temperature=0)
    regression = color.ColorModel(image_size=32, variant="regression", backbone_weights=None)
    with pytest.raises(errors.ColorNNError, match="Only a classification color model"):
        decoding.ChromaModel(regression)


# After the model: `predict_uv`, the one predict-then-decode, names its decoding as the records do.


def test_a_decoding_is_named_by_its_method_or_its_annealed_mean_temperature():
    assert decoding.parse_decoding("argmax") == ("argmax", colorspace.DEFAULT_TEMPERATURE)
    assert decoding.parse_decoding(decoding.annealed_mean_at(0.2)) == ("annealed_mean", 0.2)
    for bad in ("mode", "argmax@0.2", "annealed_mean@warm"):
        with pytest.raises(errors.ColorNNError, match="decoding must be one of|not a number"):
            decoding.parse_decoding(bad)


@pytest.mark.parametrize("name", [*colorspace.DECODING_METHODS, "annealed_mean@0.2"])
def test_predict_uv_decodes_as_the_graph_does_at_any_temperature(color_model, name):
    method, temperature = decoding.parse_decoding(name)
    expected = decoding.ChromaModel(color_model, method, temperature).predict_on_batch(_luma())["uv"]
    np.testing.assert_allclose(decoding.predict_uv(color_model, _luma(), name), expected, atol=1e-5)


def test_decode_keeps_nan_visible_and_takes_decoded_or_regressed_values_as_they_are():
    probabilities = np.full((1, 3, 4, 12), 1 / 12, np.float32)
    broken = probabilities.copy()
    broken[0, 1, 2, 5] = np.nan
    uv = decoding.decode({"u": broken, "v": probabilities}, "argmax")  # Argmax alone would pick a bin.
    assert np.isnan(uv[0, 1, 2]).all() and np.isfinite(np.delete(uv.reshape(-1, 2), 1 * 4 + 2, axis=0)).all()
    values = np.random.default_rng(0).random((1, 3, 4, 1), dtype=np.float32)
    np.testing.assert_array_equal(decoding.decode({"u": values, "v": -values}), np.concatenate([values, -values], -1))
    np.testing.assert_array_equal(decoding.decode({"uv": uv}), uv)
