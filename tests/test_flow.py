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


def test_the_forward_backward_check_trusts_a_flow_that_comes_back_inside_the_frame():
    shape = (8, 12, 2)
    still = np.zeros(shape, np.float32)
    np.testing.assert_array_equal(flow.forward_backward_confidence(still, still), np.ones(shape[:2]))
    right, left = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
    right[..., 0], left[..., 0] = 3.0, -3.0
    confidence = flow.forward_backward_confidence(right, left)
    np.testing.assert_array_equal(confidence[:, :-3], 1.0)  # There and back again.
    np.testing.assert_array_equal(confidence[:, -3:], 0.0)  # Sent outside the frame.
    np.testing.assert_array_equal(flow.forward_backward_confidence(right, right), 0.0)  # Never comes back.


def test_a_flow_brought_to_another_size_keeps_its_motion_in_that_sizes_pixels():
    small = np.broadcast_to(np.array([2.0, 1.0], np.float32), (8, 10, 2))
    np.testing.assert_allclose(flow.resize_flow(small, (20, 16)), np.broadcast_to([4.0, 2.0], (16, 20, 2)))
    np.testing.assert_allclose(flow.resize_flow(small, (5, 4)), np.broadcast_to([1.0, 0.5], (4, 5, 2)))
    # DIS's smallest picture is 12 pixels a side: smaller ones are padded, and their flow cropped.
    tiny = _texture()[:8, :9]
    assert flow.dis_flow(tiny, tiny).shape == (8, 9, 2)
