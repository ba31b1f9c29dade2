"""A clip's luma planes as the Colorizer reads them: RGB frames' luma made as they are read, once or again."""

import numpy as np
import pytest

from colornn_keras import luma_planes
from colornn_keras.data import pictures
from tests.conftest import panning_frames


class _FullRange:
    """Of a `YuvFormat`, what the planes need: its luma codes in [0, 1]."""

    def luma_to_unit(self, codes):
        return codes / np.float32(255.0)


def test_rgb_frames_become_float_luma_planes_read_once_or_again_as_the_frames_can_be():
    frames = panning_frames(3)
    again = luma_planes.of_frames(frames)  # A sequence: read again at each call.
    for planes in (list(again()), list(again()), list(luma_planes.once(luma_planes.of_frames(iter(frames))))):
        assert len(planes) == 3
        np.testing.assert_array_equal(planes[1], pictures.luma(frames[1]))
    to_unit, subsampling = luma_planes.format_of(None)
    assert to_unit(planes[0]) is planes[0] and subsampling == 1
    to_unit, subsampling = luma_planes.format_of(_FullRange())
    assert to_unit(np.full((2, 2), 255, np.uint8)).shape == (2, 2, 1) and subsampling == 2


def test_a_clip_read_twice_cannot_be_an_iterator_and_its_first_plane_is_read_once():
    with pytest.raises(TypeError, match="a sequence, or a callable that reads them again"):
        luma_planes.reader(iter([1, 2]))
    readings = []

    def read():
        readings.append(1)
        return iter([1, 2, 3])

    first, read_again = luma_planes.peeked(read)
    assert first == 1 and list(read_again()) == [1, 2, 3] and len(readings) == 1
    assert list(read_again()) == [1, 2, 3] and len(readings) == 2
