"""A block-4 color model's weights start a block-5 one as nearly the same function."""

import numpy as np
import pytest

from colornn_keras.models import checkpoints
from colornn_keras.models import color
from colornn_keras.research.training import growth


@pytest.fixture(scope="module")
def block4_file(tmp_path_factory):
    model = color.ColorModel(image_size=32, backbone_weights=None, fine_tune_from="block4_conv1", dtype="float32")
    rng = np.random.default_rng(0)
    for layer in checkpoints.trained_layers(model):  # Weights unlike any fresh initialization.
        layer.set_weights([rng.normal(0, 0.05, np.shape(weight)).astype("float32") for weight in layer.get_weights()])
    path = tmp_path_factory.mktemp("grow") / "block4.h5"
    checkpoints.save_trained_part(model, path)
    return model, path


def grown(path, scale=growth.NEW_PATH_SCALE):
    model = color.ColorModel(image_size=32, backbone_weights=None, fine_tune_from="block4_conv1",
                             deepest_tap="block5_conv3", dtype="float32")
    assert growth.is_growth(model, path)
    return growth.grow_from_block4(model, path, new_path_scale=scale)


def test_grown_model_starts_as_the_block4_model(block4_file):
    block4, path = block4_file
    luma = np.random.default_rng(1).random((2, 32, 32, 1)).astype("float32")
    before, after = block4.predict(luma, verbose=0), grown(path, scale=0.0).predict(luma, verbose=0)
    for axis in ("u", "v"):
        np.testing.assert_allclose(after[axis], before[axis], atol=1e-5)


def test_new_path_starts_small_but_alive(block4_file):
    _, path = block4_file
    model = grown(path)
    kernel = model.get_layer("block5_reduce").get_weights()[0]
    assert 0 < np.abs(kernel).max() < 10 * growth.NEW_PATH_SCALE
    np.testing.assert_array_equal(model.get_layer("block4_decode").get_weights()[0][0], 0.0)


def test_same_architecture_is_not_growth(block4_file):
    block4, path = block4_file
    assert not growth.is_growth(block4, path)
