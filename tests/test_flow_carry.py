"""A keyframe's run, one step along the flow: the fills where the flow fails, the luma palette, two runs blended."""

import numpy as np
import pytest

from colornn_keras import flow
from colornn_keras import flow_carry
from colornn_keras.data import clips
from tests.test_propagation import _panning_texture


def _coloured_by_luma(luma, slope=0.5):
    """(U, V) (h, w, 2) that depend on the luma alone, linearly: U = slope (Y - 0.5), V = -U / 2."""
    luma = np.asarray(luma, np.float32)
    luma = luma[..., 0] if luma.ndim == 3 else luma
    u = slope * (luma - 0.5)
    return np.stack([u, -0.5 * u], axis=-1).astype(np.float32)


def test_a_palette_gives_each_luma_the_keyframes_mean_colour_there_between_and_beyond():
    luma = np.array([[0.2, 0.2, 0.8, 0.8]], np.float32)
    uv = np.array([[[0.1, 0.2], [0.3, 0.0], [-0.2, 0.3], [-0.2, 0.3]]], np.float32)
    palette = flow_carry.LumaPalette(luma, uv)
    np.testing.assert_allclose(palette(np.array([[0.2, 0.8]])), [[[0.2, 0.1], [-0.2, 0.3]]], atol=1e-6)
    # The bins between hold no pixel: linear between their neighbours'; beyond them, the nearest's.
    np.testing.assert_allclose(palette(np.array([[0.5, 0.0, 1.0]])), [[[0.0, 0.2], [0.2, 0.1], [-0.2, 0.3]]],
                               atol=1e-6)
    # A colour that follows the luma (here linearly) is found again for lumas the keyframe has.
    texture = np.linspace(0.1, 0.9, 48 * 64, dtype=np.float32).reshape(48, 64)
    found = flow_carry.LumaPalette(texture, _coloured_by_luma(texture))(texture[::-1])
    # Between the darkest and the brightest bins' means (0.1125 and 0.8875), exactly; beyond, their colours.
    inner = (texture[::-1] > 0.1125) & (texture[::-1] < 0.8875)
    np.testing.assert_allclose(found[inner], _coloured_by_luma(texture[::-1])[inner], atol=1e-5)
    np.testing.assert_allclose(found, _coloured_by_luma(texture[::-1]), atol=0.5 * 0.0125 + 1e-5)
    with pytest.raises(ValueError, match="one luma for each"):
        flow_carry.LumaPalette(texture[:2], _coloured_by_luma(texture))


def _one_step(fill, color_model_uv=(0.1, -0.1)):
    """A keyframe (frame 0 of a texture panning right 4 pixels a frame, coloured by its luma)
    carried to frame 1 with `fill`; returns (the lumas of frames 0 and 1, the keyframe's (U, V),
    the step's `Carried`, the color model's colours)."""
    luma, _ = clips.split_yuv(_panning_texture(count=2, size=(48, 64), step=4))
    keyframe_uv = _coloured_by_luma(luma[0], slope=1.0)
    keyframe_luma, next_luma = (flow_carry.flow_luma(frame, 1) for frame in luma)
    model_uv = np.broadcast_to(np.asarray(color_model_uv, np.float32), keyframe_uv.shape)
    run = flow_carry.at_keyframe(keyframe_uv, keyframe_luma, fill)
    return luma, keyframe_uv, flow_carry.carry_along_flow(run, next_luma, model_uv, fill), model_uv


def test_where_the_flow_fails_each_fill_takes_its_own_colours_and_the_confidence_falls_alike():
    # The right edge of frame 1 shows what the keyframe never saw (its flow points outside).
    new, seen = np.s_[4:-4, -3:], np.s_[:, :-8]
    luma, keyframe_uv, model, model_uv = _one_step("model")
    _, _, keyframe, _ = _one_step("keyframe")
    _, _, flowed, _ = _one_step("flow")
    warped = flow.warp(keyframe_uv, flow.dis_flow(luma[1], luma[0]))
    truth = _coloured_by_luma(luma[1], slope=1.0)
    for carried in (model, keyframe, flowed):
        assert carried.confidence[new].max() < 0.05 and carried.confidence[seen].mean() > 0.9
        np.testing.assert_array_equal(carried.confidence, model.confidence)  # Whatever the fill.
        assert np.abs(carried.uv[seen] - truth[seen]).mean() < 0.01  # Where the flow holds, the keyframe's.
    np.testing.assert_allclose(model.uv[new], model_uv[new], atol=0.01)  # The color model's colours,
    assert np.abs(keyframe.uv[new] - truth[new]).mean() < 0.01  # the keyframe's for this luma,
    np.testing.assert_array_equal(flowed.uv, warped)  # or the colours carried, as plain DIS flow.
    # The three differ there: the test tells them apart.
    assert min(np.abs(warped[new] - truth[new]).mean(), np.abs(model_uv[new] - truth[new]).mean()) > 0.04
    assert keyframe.palette is not None and model.palette is None and flowed.palette is None


def test_a_fill_without_what_it_takes_is_refused():
    keyframe_uv = np.zeros((8, 8, 2), np.float32)
    luma = np.full((8, 8), 128, np.uint8)
    with pytest.raises(ValueError, match="the color model's colours: give fill_uv"):
        flow_carry.carry_along_flow(flow_carry.at_keyframe(keyframe_uv, luma), luma, fill="model")
    with pytest.raises(ValueError, match="needs the run's palette"):
        flow_carry.carry_along_flow(flow_carry.at_keyframe(keyframe_uv, luma, "model"), luma, fill="keyframe")
    with pytest.raises(ValueError, match=r"fill must be one of \('model', 'keyframe', 'flow', 'features'\)"):
        flow_carry.carry_along_flow(flow_carry.at_keyframe(keyframe_uv, luma), luma, keyframe_uv, "exemplar")


def test_where_one_run_is_not_trusted_the_others_colours_win():
    red, blue = (np.broadcast_to(np.asarray(uv, np.float32), (48, 64, 2)) for uv in ([-0.1, 0.3], [0.3, -0.1]))
    trusted = flow_carry.Carried(red, np.ones((48, 64), np.float32), None)
    lost = flow_carry.Carried(blue, np.zeros((48, 64), np.float32), None)
    np.testing.assert_allclose(flow_carry.blend_runs(trusted, lost, since=5, until=1), red, atol=0.01)
    even = flow_carry.Carried(blue, np.ones((48, 64), np.float32), None)
    np.testing.assert_allclose(flow_carry.blend_runs(trusted, even, since=1, until=3), 0.75 * red + 0.25 * blue,
                               atol=1e-6)


def test_the_features_fill_shows_the_heads_colours_where_and_when_the_run_is_less_trusted():
    carried_uv = np.broadcast_to(np.asarray([0.2, -0.2], np.float32), (4, 6, 2))
    head_uv = np.broadcast_to(np.asarray([-0.1, 0.1], np.float32), (4, 6, 2))
    confidence = np.ones((4, 6), np.float32)
    confidence[:, 3:] = 0.0  # The right half: the flow failed there.
    run = flow_carry.Carried(carried_uv, confidence, None)
    shown = flow_carry.shown(run, head_uv, "features", steps=0)
    np.testing.assert_allclose(shown.uv[:, :3], carried_uv[:, :3])  # Trusted and fresh: the run's own.
    floor = flow_carry.FEATURES_FLOOR
    np.testing.assert_allclose(shown.uv[:, 3:], floor * carried_uv[:, 3:] + (1 - floor) * head_uv[:, 3:], atol=1e-6)
    aged = flow_carry.shown(run, head_uv, "features", steps=flow_carry.FEATURES_MEMORY)
    weight = floor + (1 - floor) * np.exp(-1.0)
    np.testing.assert_allclose(aged.uv[:, :3], weight * carried_uv[:, :3] + (1 - weight) * head_uv[:, :3], atol=1e-6)
    np.testing.assert_array_equal(shown.confidence, confidence)  # The blend of two runs still weighs the flow's trust.
    for fill in ("model", "keyframe", "flow"):  # The other fills show the run as it is.
        assert flow_carry.shown(run, head_uv, fill, steps=50) is run
    with pytest.raises(ValueError, match="give fill_uv"):
        flow_carry.shown(run, None, "features")
