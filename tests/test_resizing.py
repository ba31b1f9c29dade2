"""The one resize: bilinear, averaged where a plane shrinks (not aliased), any number of channels."""

import numpy as np

from colornn_keras import resizing


def test_a_plane_at_its_own_size_is_itself():
    plane = np.random.default_rng(0).random((6, 8, 2)).astype(np.float32)
    assert resizing.resize(plane, (8, 6)) is plane


def test_shrinking_averages_and_growing_interpolates_whatever_the_channels():
    checkerboard = (np.indices((8, 8)).sum(axis=0) % 2).astype(np.float32)
    np.testing.assert_allclose(resizing.resize(checkerboard, (4, 4)), 0.5, atol=0.1)  # Averaged, not sampled.
    plane = np.arange(16, dtype=np.float32).reshape(4, 4)
    for channels in ((), (1,), (3,)):
        stacked = np.broadcast_to(plane.reshape(4, 4, *([1] * len(channels))), (4, 4, *channels))
        assert resizing.resize(stacked, (2, 2)).shape == (2, 2, *channels)  # A last axis of 1 is kept.
    ramp = np.tile(np.array([0.0, 1.0], np.float32), (2, 1))
    grown = resizing.resize(ramp, (4, 2))
    np.testing.assert_allclose(grown[0], [0.0, 0.25, 0.75, 1.0])  # Pixel centres, edges replicated.
