"""Keyframes carried along the flow at the output's own resolution (issue #29): sizes, fills, blends, cuts, memory."""

import numpy as np
import pytest

from colornn_keras import errors
from colornn_keras import flow_carry
from colornn_keras import keyframes_along_flow
from colornn_keras import propagation
from colornn_keras.data import clips
from tests.test_flow_carry import _coloured_by_luma
from tests.test_propagation import _panning_texture


def _constant_color_model(uv=(0.1, -0.1), size=8):
    """The `color_uv` of a color model that predicts one colour everywhere, at its own square size
    (for the "features" fill, (U, V, U', V'): the color model's colour, then the keyframes' head's)."""
    def color_uv(lumas):
        for _ in lumas:
            yield np.broadcast_to(np.asarray(uv, np.float32), (size, size, len(uv)))
    return color_uv


def _along_flow(luma, keyframes, color_uv=None, **options):
    steps = []
    outputs = list(keyframes_along_flow.propagate_keyframes_along_flow(
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
    outputs, _ = _along_flow(luma, {0: true_uv[0]}, _constant_color_model(filled), flow_scale=1, fill="model")
    for index in (1, 2, 3):
        new_content = outputs[index][4:-4, -3:]  # Entered at the last step (the rows away from the flow's edges).
        assert np.abs(new_content - filled).mean() < 0.02, index
        seen = np.abs(outputs[index][:, : -4 * index] - true_uv[index][:, : -4 * index]).mean()
        assert seen < 0.15 * np.abs(true_uv[index]).mean(), index  # The keyframe's colours, carried.
    # The held (replicated) edge colours, with no check, would differ from the color model's.
    assert np.abs(propagation.flow_keyframe(list(luma), {0: true_uv[0]})[3]["uv"][4:-4, -3:] - filled).mean() > 0.05


@pytest.mark.parametrize("fill", ["keyframe", "flow"])
def test_where_the_flow_fails_frames_take_the_keyframes_colours_by_luma_or_keep_the_carried_ones(fill):
    # A texture coloured by its luma alone: the keyframe's colour for a luma is the truth. Panning
    # right 4 pixels a frame, runs forwards from frame 0 meet new content at the right edge, runs
    # backwards from frame 3 at the left.
    luma, _ = clips.split_yuv(_panning_texture(count=4, size=(48, 64), step=4))
    filled = np.array([0.1, -0.1], np.float32)
    for seed, new in ((0, np.s_[4:-4, -3:]), (3, np.s_[4:-4, :3])):
        keyframes = {seed: _coloured_by_luma(luma[seed], slope=1.0)}
        outputs, _ = _along_flow(luma, keyframes, _constant_color_model(filled), flow_scale=1, fill=fill)
        plain = propagation.flow_keyframe(list(luma), keyframes)  # DIS flow, nothing filled.
        for index in sorted(set(range(4)) - {seed}):
            truth = _coloured_by_luma(luma[index], slope=1.0)
            assert np.abs(plain[index]["uv"][new] - truth[new]).mean() > 0.02  # The fills differ there.
            if fill == "keyframe":
                assert np.abs(outputs[index][new] - truth[new]).mean() < 0.01, (seed, index)
                assert np.abs(outputs[index] - truth).mean() < 0.002, (seed, index)  # And all it carried.
            else:  # Backwards, through the float16 of the temporary file.
                np.testing.assert_allclose(outputs[index], plain[index]["uv"], atol=1e-3, err_msg=str((seed, index)))
    if fill == "flow":
        # Kept, the carried colours are still not trusted there: between two keyframes, the run
        # from the keyframe that saw the new content wins.
        keyframes = {0: _coloured_by_luma(luma[0], slope=1.0), 3: _coloured_by_luma(luma[3], slope=1.0)}
        outputs, _ = _along_flow(luma, keyframes, _constant_color_model(filled), flow_scale=1, fill=fill)
        for index in (1, 2):
            truth = _coloured_by_luma(luma[index], slope=1.0)
            assert np.abs(outputs[index][4:-4, -3:] - truth[4:-4, -3:]).mean() < 0.005, index


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
    assert sum(steps) == len(steps) == keyframes_along_flow.steps_along_flow(keyframes) == 7 + 5
    nearest, steps = _along_flow(luma, keyframes, blend="nearest")
    for index in range(7):  # Frame 3, as near to either, keeps the earlier keyframe's.
        np.testing.assert_allclose(nearest[index], _flat(red if index <= 3 else blue), atol=1e-3)
    assert sum(steps) == keyframes_along_flow.steps_along_flow(keyframes)  # Frames 1-3, which no run back reaches, too.
    with pytest.raises(errors.ColorNNError, match=r"blend must be one of \('confidence', 'nearest'\)"):
        _along_flow(luma, keyframes, blend="mean")
    with pytest.raises(errors.ColorNNError, match=r"flow_scale must be one of \(1, 2, 4\)"):
        _along_flow(luma, keyframes, flow_scale=3)
    with pytest.raises(errors.ColorNNError, match=r"fill must be one of \('model', 'keyframe', 'flow', 'features'\)"):
        _along_flow(luma, keyframes, fill="exemplar")


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
    assert len(steps) == sum(steps) == keyframes_along_flow.steps_along_flow(keyframes) == 7 + 1 + 4
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
        for _ in keyframes_along_flow.propagate_keyframes_along_flow(read, keyframes, _constant_color_model(),
                                                                      flow_scale=1):
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


def test_the_features_fill_shows_the_carried_colours_mixed_with_the_heads_more_with_each_frame():
    # A still clip: the flow holds everywhere (confidence 1), so each frame shows the keyframe's
    # colours and the head's weighed by age alone; what is carried on stays the keyframe's.
    luma = [np.full((24, 32), 0.5, np.float32)] * 40 + [np.full((24, 32), 0.05, np.float32)] * 3
    key, model_uv, head_uv = (np.asarray(uv, np.float32) for uv in ([0.2, -0.2], [0.0, 0.0], [-0.1, 0.1]))
    keyframe = np.broadcast_to(key, (24, 32, 2))
    outputs, _ = _along_flow(luma, {0: keyframe}, _constant_color_model([*model_uv, *head_uv]), flow_scale=1, fill="features")
    np.testing.assert_array_equal(outputs[0], keyframe)
    for index in (1, 10, 39):
        weight = flow_carry.FEATURES_FLOOR + (1 - flow_carry.FEATURES_FLOOR) * np.exp(-index / flow_carry.FEATURES_MEMORY)
        np.testing.assert_allclose(outputs[index][4:-4, 4:-4], np.broadcast_to(weight * key + (1 - weight) * head_uv,
                                                                               (16, 24, 2)), atol=2e-3, err_msg=str(index))
    # Far from the keyframe the mix nears the floor, not the head alone: the carried colours were not mixed on.
    assert np.abs(outputs[39] - (0.5 * key + 0.5 * head_uv)).max() < 0.06
    # A cut (the luma's jump) starts a shot without a keyframe: the color model's colours, not the head's.
    np.testing.assert_allclose(outputs[-1], np.broadcast_to(model_uv, (24, 32, 2)), atol=1e-6)
    # Backwards from a later keyframe, through the temporary file, the same by age.
    outputs, _ = _along_flow(luma[:40], {39: keyframe}, _constant_color_model([*model_uv, *head_uv]), flow_scale=1,
                             fill="features")
    weight = flow_carry.FEATURES_FLOOR + (1 - flow_carry.FEATURES_FLOOR) * np.exp(-9 / flow_carry.FEATURES_MEMORY)
    np.testing.assert_allclose(outputs[30][4:-4, 4:-4].mean(axis=(0, 1)), weight * key + (1 - weight) * head_uv,
                               atol=2e-3)
