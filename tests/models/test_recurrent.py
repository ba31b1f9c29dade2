"""The recurrent (ConvLSTM) consistency model: shapes, state carried and reset, trained part."""

import numpy as np
import pytest

from colornn_keras.models import checkpoints
from colornn_keras.models import color
from colornn_keras.models import recurrent


@pytest.fixture
def color_model(vgg16_weights):
    return color.build_color_model(image_size=32, num_bins=12, backbone_weights=vgg16_weights)


def _luma(frames, seed=0):
    return np.random.default_rng(seed).random((frames, 32, 32, 1)).astype(np.float32)


def test_sequence_shapes_and_only_new_layers_train(color_model):
    models = recurrent.build_recurrent_model(color_model, window=3, hidden_filters=8, filters=16)
    outputs = models.sequence.predict_on_batch(np.stack([_luma(3), _luma(3, seed=1)]))
    assert outputs["u"].shape == (2, 3, 32, 32, 12) and outputs["v"].dtype == "float32"
    np.testing.assert_allclose(outputs["v"].sum(-1), 1.0, atol=1e-5)
    assert len(models.sequence.trainable_weights) == 3 + 2 * 2 + 2 * 2  # ConvLSTM, two convolutions, two heads.
    names = {layer.name for layer in checkpoints.trained_layers(models.sequence)}
    assert names == {recurrent.MEMORY_LAYER, "recurrent_conv1", "recurrent_conv2", "u_logits", "v_logits"}


def test_frame_by_frame_carries_the_state_and_a_cut_resets_it(color_model):
    models = recurrent.build_recurrent_model(color_model, window=4, hidden_filters=8, filters=16)
    luma = _luma(4)
    whole = models.sequence.predict_on_batch(luma[None])
    stepped = list(recurrent.predict_recurrent_sequence(models, list(luma)))
    for index in range(4):
        np.testing.assert_allclose(stepped[index]["u"], whole["u"][0, index], atol=1e-5)
    assert stepped[0]["uv"].shape == (32, 32, 2)
    # A cut at frame 2 colours frames 2-3 as a fresh sequence starting there.
    cut = list(recurrent.predict_recurrent_sequence(models, list(luma), cuts=[False, False, True, False]))
    fresh = list(recurrent.predict_recurrent_sequence(models, list(luma[2:])))
    np.testing.assert_allclose(cut[3]["v"], fresh[1]["v"], atol=1e-5)
    assert not np.allclose(stepped[3]["v"], cut[3]["v"], atol=1e-5)  # The memory mattered.


def test_trained_part_round_trip(color_model, tmp_path):
    models = recurrent.build_recurrent_model(color_model, window=1, hidden_filters=8, filters=16)
    for weight in models.sequence.get_layer(recurrent.MEMORY_LAYER).weights:
        weight.assign(np.random.default_rng(3).normal(size=weight.shape).astype(np.float32) * 0.1)
    path = checkpoints.save_trained_part(models.sequence, tmp_path / "recurrent.h5")
    rebuilt = recurrent.build_recurrent_model(color_model, window=1, hidden_filters=8, filters=16)
    checkpoints.load_trained_part(rebuilt.sequence, path)
    luma = _luma(1)
    np.testing.assert_allclose(rebuilt.step.predict_on_batch({"luma": luma[None, :1], "hidden": np.zeros((1, 32, 32, 8), np.float32),
                                                              "cell": np.zeros((1, 32, 32, 8), np.float32)})["u"],
                               models.sequence.predict_on_batch(luma[None, :1])["u"], atol=1e-5)


def test_regression_color_model_is_refused(vgg16_weights):
    regression = color.build_color_model(image_size=32, variant="regression", backbone_weights=vgg16_weights)
    with pytest.raises(ValueError, match="classification"):
        recurrent.build_recurrent_model(regression)
