"""Keyframe propagation: seeding, both directions, shots without keyframes, and the two baselines."""

import numpy as np
import pytest

from colornn_keras import colorspace
from colornn_keras import errors
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


# Keyframes carried along the flow at the output's own resolution (issue #29).


def _constant_color_model(uv=(0.1, -0.1), size=8):
    """The `color_uv` of a color model that predicts one colour everywhere, at its own square size."""
    def color_uv(lumas):
        for _ in lumas:
            yield np.broadcast_to(np.asarray(uv, np.float32), (size, size, 2))
    return color_uv


def _along_flow(luma, keyframes, color_uv=None, **options):
    steps = []
    outputs = list(propagation.propagate_keyframes_along_flow(
        lambda: iter(luma), keyframes, color_uv or _constant_color_model(), on_step=steps.append, **options))
    return [uv for _, uv in outputs], steps


def _chroma_420(uv):
    """(U, V) averaged over 2x2 pixels, the edges repeated for odd sides: 4:2:0's chroma."""
    height, width = uv.shape[:2]
    padded = np.pad(uv, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
    return padded.reshape(padded.shape[0] // 2, 2, padded.shape[1] // 2, 2, 2).mean(axis=(1, 3))


@pytest.mark.parametrize("flow_scale", [1, 2, 4])
def test_keyframes_along_the_flow_come_out_at_the_chroma_size_of_odd_frames(flow_scale):
    frames = _panning_texture(count=6, size=(37, 51), step=2)
    luma, true_uv = clips.split_yuv(frames)
    # The frames' own size (RGB output), and their 4:2:0 chroma planes' (YUV output).
    for shape, truth in (((37, 51, 2), list(true_uv)), ((19, 26, 2), [_chroma_420(uv) for uv in true_uv])):
        outputs, steps = _along_flow(luma, {0: truth[0]}, flow_scale=flow_scale)
        assert len(outputs) == 6 and {uv.shape for uv in outputs} == {shape}
        np.testing.assert_array_equal(outputs[0], truth[0])  # The keyframe's own colours, as they are.
        error = np.mean([np.abs(uv - expected).mean() for uv, expected in zip(outputs[1:], truth[1:])])
        held = np.mean([np.abs(truth[0] - expected).mean() for expected in truth[1:]])
        assert error < 0.5 * held, (error, held)  # Carried with the picture, not held in place.
        assert steps == []  # Keyed at frame 0: nothing to read ahead, nothing to carry back.
    # The smallest frames a video may have: DIS's smallest picture is padded up to.
    tiny_luma, tiny_uv = clips.split_yuv(_panning_texture(count=3, size=(8, 8), step=1))
    outputs, _ = _along_flow(tiny_luma, {2: tiny_uv[2]}, flow_scale=flow_scale)
    assert [uv.shape for uv in outputs] == [(8, 8, 2)] * 3


def test_where_the_flow_fails_frames_take_the_color_models_colours():
    # Panning right 4 pixels a frame: the right edge shows what the keyframe never saw, so the flow
    # points outside the frame there; the color model's colours (one colour here) fill it.
    frames = _panning_texture(count=4, size=(48, 64), step=4)
    luma, true_uv = clips.split_yuv(frames)
    filled = np.array([0.1, -0.1], np.float32)
    outputs, _ = _along_flow(luma, {0: true_uv[0]}, _constant_color_model(filled), flow_scale=1)
    for index in (1, 2, 3):
        new_content = outputs[index][4:-4, -3:]  # Entered at the last step (the rows away from the flow's edges).
        assert np.abs(new_content - filled).mean() < 0.02, index
        seen = np.abs(outputs[index][:, : -4 * index] - true_uv[index][:, : -4 * index]).mean()
        assert seen < 0.15 * np.abs(true_uv[index]).mean(), index  # The keyframe's colours, carried.
    # The held (replicated) edge colours, with no check, would differ from the color model's.
    assert np.abs(propagation.flow_keyframe(list(luma), {0: true_uv[0]})[3]["uv"][4:-4, -3:] - filled).mean() > 0.05


def _still_texture(count, brightness=(0.2, 0.8)):
    """Lumas of one textured picture held still, in [brightness[0], brightness[1]]."""
    texture = np.random.default_rng(3).random((6, 8))
    from PIL import Image

    smooth = np.asarray(Image.fromarray(texture.astype(np.float32), mode="F").resize((64, 48), Image.BICUBIC))
    smooth = (smooth - smooth.min()) / (smooth.max() - smooth.min())
    low, high = brightness
    return [(low + (high - low) * smooth)[..., None].astype(np.float32)] * count


def _flat(uv, shape=(48, 64)):
    return np.broadcast_to(np.asarray(uv, np.float32), (*shape, 2)).copy()


def test_two_keyframes_blend_by_confidence_and_nearness_or_the_nearer_one_alone():
    luma = _still_texture(7)  # Still: the flow holds both keyframes' colours fully, everywhere.
    red, blue = np.array([-0.1, 0.3], np.float32), np.array([0.3, -0.1], np.float32)
    keyframes = {0: _flat(red), 6: _flat(blue)}
    blended, steps = _along_flow(luma, keyframes)
    for index in range(7):  # With equal confidence, linear in time.
        np.testing.assert_allclose(blended[index], _flat(((6 - index) * red + index * blue) / 6), atol=2e-3)
    assert sum(steps) == len(steps) == propagation.steps_along_flow(keyframes) == 7 + 5
    nearest, steps = _along_flow(luma, keyframes, blend="nearest")
    for index in range(7):  # Frame 3, as near to either, keeps the earlier keyframe's.
        np.testing.assert_allclose(nearest[index], _flat(red if index <= 3 else blue), atol=1e-3)
    assert sum(steps) == propagation.steps_along_flow(keyframes)  # Frames 1-3, which no run back reaches, too.
    # Where one run was not trusted (its colours are the color model's), the other's colours win.
    trusted = propagation.Carried(_flat(red), np.ones((48, 64), np.float32), None)
    lost = propagation.Carried(_flat(blue), np.zeros((48, 64), np.float32), None)
    np.testing.assert_allclose(propagation.blend_runs(trusted, lost, since=5, until=1), _flat(red), atol=0.01)
    with pytest.raises(errors.ColorNNError, match=r"blend must be one of \('confidence', 'nearest'\)"):
        _along_flow(luma, keyframes, blend="mean")
    with pytest.raises(errors.ColorNNError, match=r"flow_scale must be one of \(1, 2, 4\)"):
        _along_flow(luma, keyframes, flow_scale=3)


def test_scene_cuts_bound_the_runs_and_a_shot_without_a_keyframe_takes_the_color_model():
    # Shots: frames 0-3 (dark), 4-7 (bright), 8-9 (dark again, without a keyframe).
    luma = _still_texture(4, (0.05, 0.35)) + _still_texture(4, (0.6, 0.95)) + _still_texture(2, (0.05, 0.35))
    red, blue, filled = (np.array(uv, np.float32) for uv in ([-0.1, 0.3], [0.3, -0.1], [0.02, 0.04]))
    keyframes = {1: _flat(red), 6: _flat(blue)}
    outputs, steps = _along_flow(luma, keyframes, _constant_color_model(filled))
    for index, expected in enumerate([red] * 4 + [blue] * 4 + [filled] * 2):
        np.testing.assert_allclose(outputs[index], _flat(expected), atol=1e-3, err_msg=str(index))
    # Read ahead: frames 0-6; carried back: frame 0, and frames 4-5 (the cut at 4 stops the run,
    # frames 2-3 count as they are given back).
    assert len(steps) == sum(steps) == propagation.steps_along_flow(keyframes) == 7 + 1 + 4
    with pytest.raises(errors.InputError, match=r"Keyframe 12 is outside the clip's 10 frames \(0 to 9"):
        _along_flow(luma, {1: _flat(red), 12: _flat(blue)})
    with pytest.raises(errors.InputError, match=r"Keyframe 10 is outside the clip's 10 frames"):
        _along_flow(luma, {10: _flat(red)})


def _generated_clip(count, size=(48, 64), step=1):
    """A callable that renders a clip panning right `step` pixels a frame, frame by frame: the
    clip itself is never held."""
    coarse = np.random.default_rng(5).random((7, 9)).astype(np.float32)
    from PIL import Image

    wide = np.asarray(Image.fromarray(coarse, mode="F").resize((size[1] + step * count, size[0]), Image.BICUBIC))
    wide = np.clip(wide, 0.0, 1.0)
    return lambda: (wide[:, index * step : index * step + size[1], None].copy() for index in range(count))


@pytest.mark.large
def test_memory_does_not_grow_with_the_clip():
    import tracemalloc

    def peak(count):
        read = _generated_clip(count)
        keyframes = {0: _flat([0.1, 0.2]), count - 1: _flat([0.2, 0.1])}  # The run back crosses the whole clip.
        tracemalloc.start()
        for _ in propagation.propagate_keyframes_along_flow(read, keyframes, _constant_color_model(), flow_scale=1):
            pass  # Written and dropped, as `colorize` does.
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return peak

    peak(10)  # Warm-up outside the counts (OpenCV, NumPy's first allocations).
    short, long = peak(30), peak(300)
    frame_bytes = 48 * 64 * 2 * 4  # One frame's (U, V) in float32.
    # Held in memory, the run back's colours and confidences would take 270 frames' (U, V) and half
    # again more; what is left is the peak's jitter from run to run (measured: up to 60 KB either way).
    assert long - short < 10 * frame_bytes, (short, long)


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
