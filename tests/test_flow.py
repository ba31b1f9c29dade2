"""Optical flow and warping, shared by the video modes (DIS) and the warp-error metric (Farneback)."""

import numpy as np

from colornn_keras import flow


def _texture(shift=0):
    rng = np.random.default_rng(0)
    base = rng.random((40, 56)).astype(np.float32)
    base = (base + np.roll(base, 1, 0) + np.roll(base, 1, 1) + np.roll(base, (1, 1), (0, 1))) / 4  # Smoother.
    return np.roll(base, shift, axis=1)


def test_warping_along_no_motion_is_the_identity_and_along_a_shift_moves_the_picture():
    image = np.random.default_rng(1).random((12, 16, 2)).astype(np.float32)
    np.testing.assert_allclose(flow.warp(image, np.zeros((12, 16, 2), np.float32)), image, atol=1e-6)
    shift = np.zeros((12, 16, 2), np.float32)
    shift[..., 0] = 3.0  # Each pixel takes the value 3 columns to its right.
    np.testing.assert_allclose(flow.warp(image, shift)[:, :-3], image[:, 3:], atol=1e-5)


def test_both_flows_find_a_picture_moved_three_pixels_right():
    before, after = _texture(), _texture(3)
    # From `after` back to `before`: each pixel of `after` was 3 columns to the left.
    dis = flow.dis_flow(after[..., None], before[..., None])
    gray = [np.round(picture * 255).astype(np.uint8) for picture in (after, before)]
    farneback = flow.farneback_flow(*gray)
    for found in (dis, farneback):
        inner = found[8:-8, 8:-8]
        assert abs(np.median(inner[..., 0]) + 3.0) < 0.5 and abs(np.median(inner[..., 1])) < 0.5
    # Warping `before` along that flow gives back `after` inside the frame.
    np.testing.assert_allclose(flow.warp(before, dis)[8:-8, 8:-8], after[8:-8, 8:-8], atol=0.1)
