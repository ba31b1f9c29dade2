import numpy as np
import pytest
import tensorflow as tf

from colornn_keras import colorspace


def test_known_colours_convert_to_their_bt601_values():
    rgb = np.array([[1, 1, 1], [0, 0, 0], [1, 0, 0], [0, 0, 1], [0.5, 0.5, 0.5]], np.float32)
    yuv = colorspace.rgb_to_yuv(rgb)
    np.testing.assert_allclose(yuv[0], [1, 0, 0], atol=1e-6)
    np.testing.assert_allclose(yuv[1], [0, 0, 0], atol=1e-6)
    np.testing.assert_allclose(yuv[2], [0.299, -0.14713, 0.615], atol=1e-4)
    np.testing.assert_allclose(yuv[3], [0.114, 0.436, -0.10001], atol=1e-4)
    np.testing.assert_allclose(yuv[4], [0.5, 0, 0], atol=1e-6)  # Gray is exactly neutral.


def test_yuv_extremes_reach_the_paper_ranges():
    corners = np.array(np.meshgrid([0, 1], [0, 1], [0, 1])).reshape(3, -1).T.astype(np.float32)
    yuv = colorspace.rgb_to_yuv(corners)
    assert yuv[:, 0].min() == pytest.approx(0) and yuv[:, 0].max() == pytest.approx(1)
    assert np.abs(yuv[:, 1]).max() == pytest.approx(colorspace.U_MAX, abs=1e-6)
    assert np.abs(yuv[:, 2]).max() == pytest.approx(colorspace.V_MAX, abs=1e-6)


def test_round_trip_is_exact_on_random_colours():
    rgb = np.random.default_rng(0).random((64, 64, 3)).astype(np.float32)
    np.testing.assert_allclose(colorspace.yuv_to_rgb(colorspace.rgb_to_yuv(rgb)), rgb, atol=1e-5)


def test_numpy_in_numpy_out_and_tensor_in_tensor_out():
    rgb = np.random.default_rng(1).random((4, 3)).astype(np.float32)
    assert isinstance(colorspace.rgb_to_yuv(rgb), np.ndarray)
    tensor_result = colorspace.rgb_to_yuv(tf.constant(rgb))
    assert tf.is_tensor(tensor_result)
    np.testing.assert_allclose(tensor_result.numpy(), colorspace.rgb_to_yuv(rgb))


def test_works_inside_a_tf_data_map():
    rgb = np.random.default_rng(2).random((3, 8, 8, 3)).astype(np.float32)
    dataset = tf.data.Dataset.from_tensor_slices(rgb).map(
        lambda image: colorspace.quantize(colorspace.rgb_to_yuv(image)[..., 1], "u")
    )
    expected = colorspace.quantize(colorspace.rgb_to_yuv(rgb)[..., 1], "u")
    np.testing.assert_array_equal(np.stack(list(dataset.as_numpy_iterator())), expected)


def test_bin_edges_and_centres():
    edges = colorspace.bin_edges("u", 30)
    centers = colorspace.bin_centers("u", 30)
    assert edges.shape == (31,) and centers.shape == (30,)
    assert edges[0] == pytest.approx(-0.436) and edges[-1] == pytest.approx(0.436)
    np.testing.assert_allclose(np.diff(edges), 0.872 / 30, rtol=1e-5)
    np.testing.assert_allclose(centers, (edges[:-1] + edges[1:]) / 2, atol=1e-7)
    assert colorspace.bin_edges("v", 10)[-1] == pytest.approx(0.615)


def test_quantize_puts_each_value_in_the_bin_that_contains_it():
    centers = colorspace.bin_centers("v", 30)
    np.testing.assert_array_equal(colorspace.quantize(centers, "v", 30), np.arange(30))
    # Out-of-range values clip to the end bins; gray falls in bin n/2.
    np.testing.assert_array_equal(colorspace.quantize(np.array([-5.0, 5.0, 0.0]), "v", 30), [0, 29, 15])
    np.testing.assert_allclose(colorspace.dequantize(np.arange(30), "v", 30), centers)


def test_bin_targets_and_the_gray_bin():
    uv = np.array([[[0.0, 0.0], [0.43, -0.6]]], np.float32)
    targets = colorspace.quantize_uv(uv, 30)
    np.testing.assert_array_equal(targets["u"], [[15, 29]])
    np.testing.assert_array_equal(targets["v"], [[15, 0]])
    assert colorspace.gray_bin("u", 30) == colorspace.gray_bin("v", 30) == 15
    assert colorspace.gray_bin("v", 7) == 3


def test_keras_ops_path_computes_what_numpy_does(monkeypatch):
    # The path a JAX or PyTorch tensor takes (inside a metric, say), run here on TensorFlow's.
    import keras

    rng = np.random.default_rng(0)
    yuv = np.concatenate([rng.uniform(0, 1, (4, 4, 1)), rng.uniform(-0.7, 0.7, (4, 4, 2))], -1).astype(np.float32)
    logits = rng.normal(size=(4, 4, 30)).astype(np.float32)
    probabilities = np.exp(logits) / np.exp(logits).sum(-1, keepdims=True)
    expected = (colorspace.quantize(yuv[..., 2], "v"), colorspace.yuv_to_rgb_keeping_luma(yuv),
                colorspace.decode_distribution(probabilities, "u"))
    monkeypatch.setattr(colorspace, "_ops", lambda value: colorspace._KerasOps)
    tensor = keras.ops.convert_to_tensor
    computed = (colorspace.quantize(tensor(yuv[..., 2]), "v"), colorspace.yuv_to_rgb_keeping_luma(tensor(yuv)),
                colorspace.decode_distribution(tensor(probabilities), "u"))
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(computed[0]), expected[0])
    for value, reference in zip(computed[1:], expected[1:]):
        np.testing.assert_allclose(keras.ops.convert_to_numpy(value), reference, atol=1e-6)


def test_bin_count_is_configurable_and_validated():
    assert colorspace.quantize(np.array([0.43]), "u", 4)[0] == 3
    with pytest.raises(ValueError, match="num_bins"):
        colorspace.bin_edges("u", 1)
    with pytest.raises(ValueError, match="axis"):
        colorspace.bin_edges("w")


def _random_distribution(seed, num_bins=30):
    logits = np.random.default_rng(seed).normal(size=(5, 7, num_bins)) * 3
    probabilities = np.exp(logits)
    return (probabilities / probabilities.sum(-1, keepdims=True)).astype(np.float32)


def test_decoding_by_argmax_and_expectation():
    probabilities = _random_distribution(0)
    centers = colorspace.bin_centers("u")
    np.testing.assert_allclose(
        colorspace.decode_distribution(probabilities, "u", "argmax"), centers[probabilities.argmax(-1)]
    )
    np.testing.assert_allclose(
        colorspace.decode_distribution(probabilities, "u", "expectation"), probabilities @ centers, atol=1e-6
    )


def test_annealed_mean_spans_argmax_to_expectation():
    probabilities = _random_distribution(1)
    at_one = colorspace.decode_distribution(probabilities, "v", "annealed_mean", temperature=1.0)
    at_zero = colorspace.decode_distribution(probabilities, "v", "annealed_mean", temperature=1e-6)
    np.testing.assert_allclose(at_one, colorspace.decode_distribution(probabilities, "v", "expectation"), atol=1e-5)
    np.testing.assert_allclose(at_zero, colorspace.decode_distribution(probabilities, "v", "argmax"), atol=1e-5)


def test_decoding_rejects_unknown_methods_and_bad_temperatures():
    probabilities = _random_distribution(2)
    with pytest.raises(ValueError, match="method"):
        colorspace.decode_distribution(probabilities, "u", "median")
    with pytest.raises(ValueError, match="temperature"):
        colorspace.decode_distribution(probabilities, "u", "annealed_mean", temperature=0)


def test_keeping_luma_desaturates_out_of_gamut_colours_instead_of_clipping():
    yuv = np.array([[0.9, 0.4, 0.5], [0.1, -0.4, -0.6], [0.5, 0.05, -0.02]], np.float32)
    rgb = colorspace.yuv_to_rgb_keeping_luma(yuv)
    assert rgb.min() >= 0 and rgb.max() <= 1
    np.testing.assert_allclose(colorspace.rgb_to_yuv(rgb)[:, 0], yuv[:, 0], atol=1e-5)
    # In-gamut colours are unchanged; out-of-gamut ones keep their hue direction.
    np.testing.assert_allclose(rgb[2], colorspace.yuv_to_rgb(yuv[2]), atol=1e-6)
    fitted_uv = colorspace.rgb_to_yuv(rgb)[0, 1:]
    np.testing.assert_allclose(fitted_uv / np.linalg.norm(fitted_uv), yuv[0, 1:] / np.linalg.norm(yuv[0, 1:]), atol=1e-4)


def test_decode_uv_decodes_both_heads_into_one_array():
    probabilities = {"u": _random_distribution(3), "v": _random_distribution(4)}
    uv = colorspace.decode_uv(probabilities, "expectation")
    assert uv.shape == (5, 7, 2)
    np.testing.assert_allclose(uv[..., 1], colorspace.decode_distribution(probabilities["v"], "v", "expectation"))
