import keras
import numpy as np
import pytest

from colornn_keras.models import checkpoints
from colornn_keras.models import color


def _luma():
    return np.random.default_rng(0).random((1, 32, 32, 1)).astype(np.float32)


def test_trained_part_round_trip_is_small_and_exact(tmp_path, vgg16_weights):
    trained = color.build_color_model(image_size=32, backbone_weights=vgg16_weights)
    for layer in checkpoints.trained_layers(trained):  # Make the weights differ from a fresh build.
        layer.set_weights([weight + 0.01 for weight in layer.get_weights()])
    path = checkpoints.save_trained_part(trained, tmp_path / "color.trained.h5")
    assert path.stat().st_size < 3_000_000  # The 30 MB of VGG16 are left out.
    assert not any(layer.name.startswith("block1_conv") for layer in checkpoints.trained_layers(trained))
    fresh = color.build_color_model(image_size=32, backbone_weights=vgg16_weights)
    checkpoints.load_trained_part(fresh, path)
    np.testing.assert_array_equal(trained.predict(_luma(), verbose=0)["u"], fresh.predict(_luma(), verbose=0)["u"])


def test_trained_part_loads_at_another_image_size(tmp_path, vgg16_weights):
    small = color.build_color_model(image_size=32, backbone_weights=vgg16_weights)
    path = checkpoints.save_trained_part(small, tmp_path / "color.trained.h5")
    larger = checkpoints.load_trained_part(color.build_color_model(image_size=64, backbone_weights=vgg16_weights), path)
    assert tuple(larger.get_layer("u").output.shape) == (None, 64, 64, 30)


def test_mismatched_or_foreign_files_are_refused(tmp_path, vgg16_weights):
    path = checkpoints.save_trained_part(
        color.build_color_model(image_size=32, num_bins=10, backbone_weights=vgg16_weights), tmp_path / "ten.h5"
    )
    thirty = color.build_color_model(image_size=32, num_bins=30, backbone_weights=vgg16_weights)
    with pytest.raises(ValueError, match="shape"):
        checkpoints.load_trained_part(thirty, path)
    regression = color.build_color_model(image_size=32, variant="regression", backbone_weights=vgg16_weights)
    with pytest.raises(ValueError, match="does not fit"):
        checkpoints.load_trained_part(regression, path)
    junk = tmp_path / "junk.h5"
    junk.write_bytes(b"\x00" * 64)
    with pytest.raises(ValueError, match="not a ColorNN weights file"):
        checkpoints.load_trained_part(thirty, junk)


def test_non_finite_weights_are_never_saved_nor_loaded(tmp_path, vgg16_weights):
    import h5py

    model = color.build_color_model(image_size=32, backbone_weights=vgg16_weights)
    path = checkpoints.save_trained_part(model, tmp_path / "good.h5")
    kernel = model.get_layer("color_features").kernel
    kernel.assign(kernel * float("nan"))
    assert checkpoints.non_finite_weights(model) == ["color_features/0"]
    with pytest.raises(checkpoints.NonFiniteWeightsError, match="color_features/0 hold NaN"):
        checkpoints.save_trained_part(model, tmp_path / "bad.h5")
    assert not (tmp_path / "bad.h5").exists()
    with h5py.File(path, "r+") as file:  # A broken file, as the withdrawn recurrent weights were.
        file["color_features"]["1"][0] = np.inf
    fresh = color.build_color_model(image_size=32, backbone_weights=vgg16_weights)
    with pytest.raises(checkpoints.NonFiniteWeightsError, match="color_features/1 holds NaN or infinity"):
        checkpoints.load_trained_part(fresh, path)


def test_a_frozen_models_weights_start_a_fine_tuned_one(tmp_path, vgg16_weights):
    frozen = color.build_color_model(image_size=32, backbone_weights=vgg16_weights)
    path = checkpoints.save_trained_part(frozen, tmp_path / "frozen.h5")
    tuned = color.build_color_model(image_size=32, backbone_weights=vgg16_weights, fine_tune_from="block4_conv1")
    with pytest.raises(ValueError, match="lacks.*block4_conv1"):
        checkpoints.load_trained_part(tuned, path)
    checkpoints.load_trained_part(tuned, path, skip_missing=("block4_conv1", "block4_conv2", "block4_conv3"))
    np.testing.assert_array_equal(frozen.predict(_luma(), verbose=0)["u"], tuned.predict(_luma(), verbose=0)["u"])


@pytest.mark.large
def test_a_fine_tuned_backbone_is_stored_as_its_difference_from_imagenet(tmp_path, vgg16_weights):
    keras.utils.set_random_seed(0)
    trained = color.build_color_model(image_size=32, backbone_weights=vgg16_weights, fine_tune_from="block4_conv1")
    rng = np.random.default_rng(2)
    for layer in checkpoints.trained_layers(trained):  # Fine-tuning's small changes, everywhere.
        layer.set_weights([weight + rng.normal(0, 1e-3, weight.shape).astype(np.float32) for weight in layer.get_weights()])
    full = checkpoints.save_trained_part(trained, tmp_path / "full.trained.h5")
    compact = checkpoints.save_trained_part(trained, tmp_path / "compact.trained.h5", backbone_as_difference=True)
    assert compact.stat().st_size < 0.35 * full.stat().st_size  # int8 differences instead of float32 weights.
    loaded = checkpoints.load_trained_part(
        color.build_color_model(image_size=32, backbone_weights=vgg16_weights, fine_tune_from="block4_conv1"), compact)
    for layer in checkpoints.trained_layers(trained):
        for index, (expected, got) in enumerate(zip(layer.get_weights(), loaded.get_layer(layer.name).get_weights())):
            if layer.name.startswith("block4_conv"):  # Within half an int8 step of the largest change (<6e-3 / 127).
                assert np.abs(got - expected).max() < 3e-5, (layer.name, index)
            else:  # The decoder's layers as they are.
                np.testing.assert_array_equal(got, expected)
    # An untrained decoder's peaked distributions move most where two bins are nearly tied.
    change = np.abs(loaded.predict(_luma(), verbose=0)["u"] - trained.predict(_luma(), verbose=0)["u"])
    assert change.mean() < 1e-3 and change.max() < 0.05
