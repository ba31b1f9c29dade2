"""The recurrent (ConvLSTM) consistency model: shapes, state carried and reset, trained part."""

import keras
import numpy as np
import pytest

from colornn_keras.models import checkpoints
from colornn_keras.models import color
from colornn_keras.models import recurrent
from tests.models import harness


@pytest.fixture
def color_model(vgg16_weights):
    return color.build_color_model(image_size=32, num_bins=12, backbone_weights=vgg16_weights)


def _luma(frames, seed=0):
    return np.random.default_rng(seed).random((frames, 32, 32, 1)).astype(np.float32)


def _randomized(model, seed=3):
    """`model` with random trained weights: built, its correction is zero and its memory unused."""
    rng = np.random.default_rng(seed)
    for layer in checkpoints.trained_layers(model):
        for weight in layer.weights:
            weight.assign(rng.normal(size=weight.shape).astype(np.float32) * 0.1)
    return model


def test_untrained_it_colours_exactly_as_the_color_model(color_model):
    # The correction starts at zero, so training starts from the color model alone.
    model = recurrent.RecurrentConsistencyModel(color_model, window=3, hidden_filters=8, filters=16)
    luma = _luma(3)
    outputs = model.predict_on_batch(luma[None])
    alone = color_model.predict_on_batch(luma)
    for axis in ("u", "v"):
        np.testing.assert_array_equal(outputs[axis][0], alone[axis])
    assert tuple(model.step.output["hidden"].shape) == (None, 16, 16, 8)  # The memory at half size.
    assert tuple(model.features_head().input.shape) == (None, 3, 32, 32, 64)


def test_memory_scale_must_divide_the_input(color_model):
    with pytest.raises(ValueError, match="memory_scale 3 does not divide"):
        recurrent.RecurrentConsistencyModel(color_model, window=2, memory_scale=3)


def test_sequence_shapes_and_only_new_layers_train(color_model):
    model = recurrent.RecurrentConsistencyModel(color_model, window=3, hidden_filters=8, filters=16)
    assert model.color_model is color_model
    outputs = model.predict_on_batch(np.stack([_luma(3), _luma(3, seed=1)]))
    assert outputs["u"].shape == (2, 3, 32, 32, 12) and outputs["v"].dtype == "float32"
    np.testing.assert_allclose(outputs["v"].sum(-1), 1.0, atol=1e-5)
    assert len(model.trainable_weights) == 3 + 2 * 2 + 2 * 2  # ConvLSTM, two convolutions, two heads.
    names = {layer.name for layer in checkpoints.trained_layers(model)}
    assert names == {recurrent.MEMORY_LAYER, "recurrent_conv1", "recurrent_conv2", "u_logits", "v_logits"}


@pytest.mark.large
def test_frame_by_frame_carries_the_state_and_a_cut_resets_it(color_model):
    model = _randomized(recurrent.RecurrentConsistencyModel(color_model, window=4, hidden_filters=8, filters=16))
    luma = _luma(4)
    whole = model.predict_on_batch(luma[None])
    stepped = list(recurrent.predict_recurrent_sequence(model, list(luma)))
    for index in range(4):
        np.testing.assert_allclose(stepped[index]["u"], whole["u"][0, index], atol=1e-5)
    assert stepped[0]["uv"].shape == (32, 32, 2)
    # A cut at frame 2 colours frames 2-3 as a fresh sequence starting there.
    cut = list(recurrent.predict_recurrent_sequence(model, list(luma), cuts=[False, False, True, False]))
    fresh = list(recurrent.predict_recurrent_sequence(model, list(luma[2:])))
    np.testing.assert_allclose(cut[3]["v"], fresh[1]["v"], atol=1e-5)
    assert not np.allclose(stepped[3]["v"], cut[3]["v"], atol=1e-5)  # The memory mattered.


def test_trained_part_round_trip(color_model, tmp_path):
    model = _randomized(recurrent.RecurrentConsistencyModel(color_model, window=1, hidden_filters=8, filters=16))
    path = checkpoints.save_trained_part(model, tmp_path / "recurrent.h5")
    rebuilt = recurrent.RecurrentConsistencyModel(color_model, window=1, hidden_filters=8, filters=16)
    checkpoints.load_trained_part(rebuilt, path)
    luma = _luma(1)
    np.testing.assert_allclose(rebuilt.step.predict_on_batch({"luma": luma[None, :1], "hidden": np.zeros((1, 16, 16, 8), np.float32),
                                                              "cell": np.zeros((1, 16, 16, 8), np.float32)})["u"],
                               model.predict_on_batch(luma[None, :1])["u"], atol=1e-5)


@pytest.mark.large
def test_the_model_test_harness(tmp_path, vgg16_weights):
    def build():
        return recurrent.RecurrentConsistencyModel(
            color.ColorModel(image_size=32, num_bins=12, backbone_weights=vgg16_weights),
            window=2, hidden_filters=4, filters=8)

    shape = (2, 2, 32, 32, 12)
    harness.run_model_test(recurrent.RecurrentConsistencyModel, build, np.stack([_luma(2), _luma(2, seed=1)]),
                           {"u": shape, "v": shape}, tmp_path)


@pytest.mark.large
def test_a_loaded_model_steps_frame_by_frame_like_the_saved_one(tmp_path, color_model):
    # The step graph is rebuilt on load from the same layers, so it carries the loaded weights.
    model = _randomized(recurrent.RecurrentConsistencyModel(color_model, window=3, hidden_filters=8, filters=16), 4)
    model.save(tmp_path / "recurrent.keras")
    loaded = keras.saving.load_model(tmp_path / "recurrent.keras")
    luma = list(_luma(3))
    for saved, reloaded in zip(recurrent.predict_recurrent_sequence(model, luma),
                               recurrent.predict_recurrent_sequence(loaded, luma)):
        np.testing.assert_array_equal(saved["v"], reloaded["v"])


def test_regression_color_model_is_refused(vgg16_weights):
    regression = color.build_color_model(image_size=32, variant="regression", backbone_weights=vgg16_weights)
    with pytest.raises(ValueError, match="classification"):
        recurrent.RecurrentConsistencyModel(regression)
