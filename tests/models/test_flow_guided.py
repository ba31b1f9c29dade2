"""The flow-guided propagator: an untrained one carries the warped colours, and it saves whole."""

import keras
import numpy as np

from colornn_keras.models import flow_guided


def _inputs(seed=0, size=(12, 10)):
    rng = np.random.default_rng(seed)
    return {
        "luma": rng.uniform(0, 1, (2, *size, 1)).astype("float32"),
        "warped_luma": rng.uniform(0, 1, (2, *size, 1)).astype("float32"),
        "warped_uv": rng.uniform(-0.4, 0.4, (2, *size, 2)).astype("float32"),
        "color_uv": rng.uniform(-0.4, 0.4, (2, *size, 2)).astype("float32"),
    }


def test_an_untrained_model_mixes_by_its_initial_gate_and_starts_as_the_flow_baseline():
    inputs = _inputs()
    model = flow_guided.FlowGuidedModel(filters=8)
    gate = 1.0 / (1.0 + np.exp(-flow_guided.DEFAULT_GATE_BIAS))
    expected = gate * inputs["warped_uv"] + (1 - gate) * inputs["color_uv"]
    np.testing.assert_allclose(np.asarray(model(inputs)), expected, atol=1e-6)
    carrier = flow_guided.FlowGuidedModel(filters=8, gate_bias=30.0)  # Gate 1: exactly the warped colours.
    np.testing.assert_allclose(np.asarray(carrier(inputs)), inputs["warped_uv"], atol=1e-6)


def test_any_frame_size_is_taken():
    model = flow_guided.FlowGuidedModel(filters=4)
    assert tuple(model(_inputs(size=(37, 51))).shape) == (2, 37, 51, 2)


def test_config_round_trip_and_keras_file(tmp_path):
    model = flow_guided.FlowGuidedModel(filters=8, gate_bias=2.0)
    for weight in model.trainable_weights:  # Non-trivial weights, so that the round trip is checked.
        weight.assign(np.random.default_rng(1).normal(0, 0.1, weight.shape).astype("float32"))
    config = model.get_config()
    assert config == {"filters": 8, "gate_bias": 2.0, "name": "flow_guided_model"}
    assert flow_guided.FlowGuidedModel.from_config(config).get_config() == config
    path = tmp_path / "guided.keras"
    model.save(path)
    loaded = keras.saving.load_model(path)
    assert type(loaded) is flow_guided.FlowGuidedModel
    inputs = _inputs(3)
    np.testing.assert_array_equal(np.asarray(loaded(inputs)), np.asarray(model(inputs)))


def test_a_fixed_gate_model_mixes_by_exactly_that_gate():
    inputs = _inputs(5)
    model = flow_guided.fixed_gate_model(0.9)
    expected = 0.9 * inputs["warped_uv"] + 0.1 * inputs["color_uv"]
    np.testing.assert_allclose(np.asarray(model(inputs)), expected, atol=1e-6)
    import pytest

    with pytest.raises(ValueError, match="between 0 and 1"):
        flow_guided.fixed_gate_model(1.0)
