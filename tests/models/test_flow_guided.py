"""The flow-guided propagator: an untrained one carries the warped colours, and it saves whole."""

import numpy as np
import pytest

from colornn_keras.models import flow_guided
from tests.models import harness


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


def test_the_model_test_harness(tmp_path):
    def build():
        model = flow_guided.FlowGuidedModel(filters=8, gate_bias=2.0)
        # The gate's kernel starts at zero, leaving the convolutions out of the output: weights that
        # count, so that the save/load round trip checks them.
        for weight in model.trainable_weights:
            weight.assign(np.random.default_rng(1).normal(0, 0.1, weight.shape).astype("float32"))
        return model

    harness.run_model_test(flow_guided.FlowGuidedModel, build, _inputs(3), {"output": (2, 12, 10, 2)}, tmp_path,
                           distributions=(), mixed_precision=False)
    assert build().get_config() == {"filters": 8, "gate_bias": 2.0, "name": "flow_guided_model"}


def test_the_model_test_harness_on_smoothing(tmp_path):
    harness.run_model_test(flow_guided.FlowSmoothingModel, lambda: flow_guided.FlowSmoothingModel(0.9, 0.05),
                           _inputs(4), {"output": (2, 12, 10, 2)}, tmp_path, distributions=(), mixed_precision=False)


def test_smoothing_mixes_by_its_weight_lowered_where_the_warped_luma_misses():
    inputs = _inputs(5)
    plain = flow_guided.FlowSmoothingModel(0.9, mismatch_scale=None)
    np.testing.assert_allclose(np.asarray(plain(inputs)), 0.9 * inputs["warped_uv"] + 0.1 * inputs["color_uv"],
                               atol=1e-6)
    model = flow_guided.FlowSmoothingModel(0.9, mismatch_scale=0.03)
    share = 0.9 * np.exp(-np.abs(inputs["luma"] - inputs["warped_luma"]) / 0.03)
    np.testing.assert_allclose(np.asarray(model(inputs)), share * inputs["warped_uv"] + (1 - share) * inputs["color_uv"],
                               atol=1e-6)
    # Where the flow lands exactly, the full weight; where it misses by far, the color model's colours.
    inputs["warped_luma"][0], inputs["warped_luma"][1] = inputs["luma"][0], 1.0 - inputs["luma"][1]
    output = np.asarray(model(inputs))
    np.testing.assert_allclose(output[0], 0.9 * inputs["warped_uv"][0] + 0.1 * inputs["color_uv"][0], atol=1e-6)
    far = np.abs(inputs["luma"][1] - inputs["warped_luma"][1])[..., 0] > 0.5
    np.testing.assert_allclose(output[1][far], inputs["color_uv"][1][far], atol=1e-6)
    with pytest.raises(ValueError, match="between 0 and 1"):
        flow_guided.FlowSmoothingModel(1.0)
    with pytest.raises(ValueError, match="positive or None"):
        flow_guided.FlowSmoothingModel(0.9, mismatch_scale=0.0)
