"""Keyframe propagation: seeding, both directions, shots without keyframes, and the two baselines."""

import numpy as np
import pytest

from colornn_keras import colorspace
from colornn_keras import propagation
from colornn_keras.data import clips
from colornn_keras.research import evaluation

NUM_BINS = 30


def _one_hot(uv):
    return {axis: np.eye(NUM_BINS, dtype=np.float32)[colorspace.quantize(uv[..., index], axis, NUM_BINS)]
            for index, axis in enumerate(("u", "v"))}


class _CarryContext:
    """A consistency model that predicts exactly the colours it is given (an ideal carrier)."""

    def predict_on_batch(self, inputs):
        return {axis: value[None] for axis, value in _one_hot(inputs["previous_uv"][0]).items()}


class _Gray:
    """A color model that predicts gray everywhere."""

    def predict_on_batch(self, luma):
        return {axis: value[None] for axis, value in _one_hot(np.zeros((*luma.shape[1:3], 2), np.float32)).items()}


def test_shots_follow_the_cuts():
    assert propagation.shots([False, False, True, False, True]) == [(0, 2), (2, 4), (4, 5)]
    assert propagation.shots([True, False]) == [(0, 2)]


def test_a_keyframe_colours_its_shot_both_ways_and_a_shot_without_one_is_automatic():
    luma = [np.full((6, 5, 1), 0.5, np.float32)] * 7
    key_uv = np.stack([np.full((6, 5), 0.2), np.full((6, 5), -0.3)], -1).astype(np.float32)
    cuts = [False, False, False, False, False, True, False]  # Shots: frames 0-4 and 5-6.
    outputs = propagation.propagate(_Gray(), _CarryContext(), luma, {2: key_uv}, cuts, num_bins=NUM_BINS)
    assert len(outputs) == 7
    np.testing.assert_array_equal(outputs[2]["uv"], key_uv)  # The keyframe keeps its true colours.
    carried = colorspace.decode_uv(_one_hot(key_uv), "annealed_mean")
    for index in (0, 1, 3, 4):  # Before the keyframe (run backwards) and after it.
        np.testing.assert_allclose(outputs[index]["uv"], carried, atol=1e-6)
    for index in (5, 6):  # The next shot has no keyframe: the color model (gray here).
        np.testing.assert_allclose(outputs[index]["uv"], 0.0, atol=0.03)  # The gray bins' centres.
    with pytest.raises(ValueError, match="Keyframe 9 is outside the clip's 7 frames"):
        propagation.propagate(_Gray(), _CarryContext(), luma, {9: key_uv}, num_bins=NUM_BINS)


def test_without_distributions_only_colours_are_kept_and_every_frame_is_seen():
    luma = [np.full((6, 5, 1), 0.5, np.float32)] * 6
    key_uv = np.stack([np.full((6, 5), 0.2), np.full((6, 5), -0.3)], -1).astype(np.float32)
    cuts = [False, False, False, True, False, False]
    seen = []
    outputs = propagation.propagate(_Gray(), _CarryContext(), luma, {1: key_uv}, cuts, num_bins=NUM_BINS,
                                    distributions=False, on_frame=seen.append)
    assert [sorted(output) for output in outputs] == [["uv"]] * 6
    np.testing.assert_array_equal(outputs[1]["uv"], key_uv)
    # Each frame once, with its distributions (but the keyframe's own, which are its true colours).
    assert len(seen) == 6 and sum("u" in prediction for prediction in seen) == 5


def _panning_texture(count=8, size=(48, 64), step=2):
    """A smooth random colour texture panning right by `step` pixels a frame (uint8 RGB frames)."""
    from PIL import Image

    coarse = (np.random.default_rng(0).random((6, 14, 3)) * 200 + 30).astype(np.uint8)
    wide = np.asarray(Image.fromarray(coarse).resize((size[1] + step * count, size[0]), Image.BICUBIC))
    return np.stack([wide[:, index * step : index * step + size[1]] for index in range(count)])


def test_flow_carries_keyframe_colours_better_than_holding_them():
    frames = _panning_texture()
    luma, true_uv = clips.split_yuv(frames)
    flowed = propagation.flow_keyframe(list(luma), {0: true_uv[0]})
    held = propagation.hold_keyframe(list(luma), {0: true_uv[0]})
    flow_error = np.mean([np.abs(out["uv"] - truth).mean() for out, truth in zip(flowed[1:], true_uv[1:])])
    hold_error = np.mean([np.abs(out["uv"] - truth).mean() for out, truth in zip(held[1:], true_uv[1:])])
    assert flow_error < 0.25 * hold_error
    # A keyframe in the middle: frames before it are reached backwards along the flow.
    backwards = propagation.flow_keyframe(list(luma), {5: true_uv[5]})
    np.testing.assert_array_equal(backwards[5]["uv"], true_uv[5])
    assert np.abs(backwards[4]["uv"] - true_uv[4]).mean() < np.abs(true_uv[5] - true_uv[4]).mean()


def test_the_keyframe_modes_are_scored_from_the_first_frame_on():
    frames = _panning_texture(count=6, size=(24, 32))
    predictors = evaluation.keyframe_predictors(_Gray(), _CarryContext())
    predictors["seeded"] = lambda luma, true_uv, cuts: propagation.propagate(
        _Gray(), _CarryContext(), luma, {0: true_uv[0]}, cuts, num_bins=NUM_BINS)
    results = evaluation.evaluate_sequences(predictors, [frames], ["stripes"], NUM_BINS)
    clip = results["per_clip"]["stripes"]
    for mode in ("seeded", "hold_keyframe", "flow_keyframe"):
        assert clip[mode]["u_accuracy_by_frame"][0] == 1.0 and clip[mode]["v_accuracy_by_frame"][0] == 1.0
        assert len(clip[mode]["v_accuracy_by_frame"]) == 6 and "first_50_frames" in clip[mode]
    assert results["overall"]["hold_keyframe"]["loss"] is None  # A baseline has no distributions.
    assert results["overall"]["seeded"]["loss"] is not None
    assert results["overall"]["flow_keyframe"]["auc"] > results["overall"]["hold_keyframe"]["auc"]


def test_the_guided_propagator_with_its_gate_shut_is_the_flow_baseline_both_ways():
    from colornn_keras.models import flow_guided

    frames = _panning_texture(count=8, size=(40, 48), step=2)
    luma, true_uv = clips.split_yuv(np.stack(frames))
    color_uv = np.zeros_like(true_uv)
    carrier = flow_guided.FlowGuidedModel(filters=4, gate_bias=30.0)
    guided = propagation.propagate_guided(carrier, luma, color_uv, {3: true_uv[3]})
    flow = propagation.flow_keyframe(luma, {3: true_uv[3]})
    np.testing.assert_array_equal(guided[3]["uv"], true_uv[3])
    for index in range(8):  # Forward after frame 3 and backwards before it, as the flow baseline.
        np.testing.assert_allclose(guided[index]["uv"], flow[index]["uv"], atol=1e-5)


def test_the_guided_propagator_falls_back_on_the_color_model_where_its_gate_opens_and_without_keyframes():
    from colornn_keras.models import flow_guided

    frames = _panning_texture(count=6, size=(24, 32))
    luma, true_uv = clips.split_yuv(np.stack(frames))
    color_uv = np.full_like(true_uv, 0.1)
    cuts = [False, False, False, True, False, False]  # Shots 0-2 (keyframe 1) and 3-5 (none: automatic).
    opened = flow_guided.FlowGuidedModel(filters=4, gate_bias=-30.0)  # Gate 0: the color model's colours.
    outputs = propagation.propagate_guided(opened, luma, color_uv, {1: true_uv[1]}, cuts)
    np.testing.assert_array_equal(outputs[1]["uv"], true_uv[1])
    for index in (0, 2, 3, 4, 5):
        np.testing.assert_allclose(outputs[index]["uv"], 0.1, atol=1e-6)
    with pytest.raises(ValueError, match="6 frames of luma but 5"):
        propagation.propagate_guided(opened, luma, color_uv[:5])


def test_both_ways_the_automatic_mode_is_the_mean_of_the_forward_and_the_backward_runs_and_keyframes_stay():
    from colornn_keras.models import flow_guided

    frames = _panning_texture(count=7, size=(24, 32))
    luma, true_uv = clips.split_yuv(np.stack(frames))
    noisy_uv = true_uv + np.random.default_rng(1).normal(0.0, 0.05, true_uv.shape).astype(np.float32)
    smoothing = flow_guided.FlowSmoothingModel(0.8, mismatch_scale=None)
    cuts = [False, False, False, True, False, False, False]  # Shots 0-2 (keyframe 1) and 3-6 (automatic).
    both = propagation.propagate_guided(smoothing, luma, noisy_uv, {1: true_uv[1]}, cuts, both_ways=True)
    one_way = propagation.propagate_guided(smoothing, luma, noisy_uv, {1: true_uv[1]}, cuts)
    for index in (0, 1, 2):  # The keyframed shot is coloured from its keyframe, as one way.
        np.testing.assert_array_equal(both[index]["uv"], one_way[index]["uv"])
    backward = propagation.propagate_guided(smoothing, luma[3:][::-1], noisy_uv[3:][::-1])[::-1]
    for index in (3, 4, 5, 6):
        np.testing.assert_allclose(both[index]["uv"], 0.5 * (one_way[index]["uv"] + backward[index - 3]["uv"]),
                                   atol=1e-6)
    # The shot's first frame is smoothed too (one way, it is the color model's own colours).
    np.testing.assert_array_equal(one_way[3]["uv"], noisy_uv[3])
    assert np.abs(both[3]["uv"] - true_uv[3]).mean() < np.abs(noisy_uv[3] - true_uv[3]).mean()
