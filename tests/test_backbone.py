import keras
import numpy as np
import pytest

from colornn_keras import backbone


def test_loaded_weights_are_the_imagenet_ones(vgg16_weights):
    assert set(vgg16_weights) == set(backbone.VGG16_CONV_LAYERS)
    assert vgg16_weights["block1_conv1"][0][0, 0, 0, 0] == pytest.approx(0.42947057, abs=1e-7)
    assert vgg16_weights["block1_conv1"][1][0] == pytest.approx(0.73429835, abs=1e-7)
    assert vgg16_weights["block5_conv2"][1][510] == pytest.approx(0.23517226, abs=1e-7)
    assert vgg16_weights["block4_conv3"][0].shape == (3, 3, 512, 512)


def test_onnx_conversion_fills_an_empty_cache_atomically(tmp_path, monkeypatch):
    monkeypatch.setenv(backbone.CACHE_DIR_ENV_VARIABLE, str(tmp_path))
    monkeypatch.delenv(backbone.WEIGHTS_ENV_VARIABLE, raising=False)
    weights = backbone.load_vgg16_weights()
    cache = tmp_path / backbone.CACHE_FILE_NAME
    assert cache.is_file()
    assert [path.name for path in tmp_path.iterdir()] == [backbone.CACHE_FILE_NAME]  # No temporary left.
    cached = backbone.load_vgg16_weights()  # Now read from the cache file.
    for name in backbone.VGG16_CONV_LAYERS:
        np.testing.assert_array_equal(cached[name][0], weights[name][0])


def test_a_wrong_weights_file_is_refused_naming_the_file(tmp_path, monkeypatch, vgg16_weights):
    random_vgg = keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))
    wrong = tmp_path / "random.weights.h5"
    random_vgg.save_weights(wrong)
    with pytest.raises(backbone.BackboneWeightsError, match="random.weights.h5.*not the ImageNet"):
        backbone.load_vgg16_weights(weights_path=wrong)
    monkeypatch.setenv(backbone.WEIGHTS_ENV_VARIABLE, str(wrong))
    with pytest.raises(backbone.BackboneWeightsError, match="not the ImageNet"):
        backbone.load_vgg16_weights()


def test_a_file_that_is_not_weights_or_is_missing_gets_a_clear_error(tmp_path):
    junk = tmp_path / "junk.h5"
    junk.write_text("not hdf5")
    with pytest.raises(backbone.BackboneWeightsError, match="Could not read VGG16 weights"):
        backbone.load_vgg16_weights(weights_path=junk)
    with pytest.raises(backbone.BackboneWeightsError, match="does not exist"):
        backbone.load_vgg16_weights(weights_path=tmp_path / "missing.h5")


def test_preprocessing_matches_keras_vgg16_preprocess_input():
    luma = np.random.default_rng(0).random((2, 8, 8, 1)).astype(np.float32)
    gray_rgb = np.repeat(luma * 255.0, 3, axis=-1)
    expected = keras.applications.vgg16.preprocess_input(gray_rgb.copy())
    np.testing.assert_allclose(backbone.VGGPreprocessing()(luma), expected, atol=1e-4)


def test_vgg16_layers_match_keras_vgg16_outputs(vgg16_weights):
    reference = keras.applications.VGG16(include_top=False, weights=None, input_shape=(32, 32, 3))
    for name in backbone.VGG16_CONV_LAYERS:
        reference.get_layer(name).set_weights(list(vgg16_weights[name]))
    images = keras.Input((32, 32, 3))
    ours = keras.Model(images, backbone.apply_vgg16(images, vgg16_weights, last_layer="block4_conv3")["block4_conv3"])
    batch = np.random.default_rng(1).normal(size=(2, 32, 32, 3)).astype(np.float32) * 50
    expected = keras.Model(reference.input, reference.get_layer("block4_conv3").output)(batch)
    np.testing.assert_allclose(ours(batch), expected, rtol=1e-4, atol=1e-3)
    assert all(not layer.trainable for layer in ours.layers if layer.weights)
