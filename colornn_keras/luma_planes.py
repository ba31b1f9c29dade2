"""A clip's luma planes as the `Colorizer`'s one path reads them: a YUV video's own, or RGB frames' luma.

A YUV video's luma planes are uint8 (H, W) in the video's `yuv.YuvFormat`, its chroma planes
4:2:0; RGB frames are reduced to float luma planes (H, W, 1) in [0, 1] (`pictures.luma`) as they
are read, their chroma at their own size. A clip is read once (a sequence, an iterator, or a
callable that reads it), or, for keyframes carried along the flow, twice (a sequence, or a callable).
"""

import itertools

from colornn_keras.data import pictures


def format_of(yuv_format):
    """(plane -> its Y (H, W, 1) in [0, 1], how many times smaller than the plane its chroma is) of
    a YUV video's uint8 luma planes in `yuv_format`, or, `yuv_format` None, of RGB frames' float luma."""
    if yuv_format is None:
        return (lambda luma: luma), 1
    return (lambda plane: yuv_format.luma_to_unit(plane)[..., None]), 2


def of_frames(frames):
    """RGB uint8 frames as float luma planes, each made as it is read: a callable that reads them
    again where `frames` can be read again (a sequence, or a callable that reads them), else an iterator."""
    if callable(frames):
        return lambda: map(pictures.luma, frames())
    if iter(frames) is frames:
        return map(pictures.luma, frames)
    return lambda: map(pictures.luma, frames)


def once(planes):
    """Planes to read once: a sequence or an iterator as it is, a callable's reading."""
    return planes() if callable(planes) else planes


def reader(planes):
    """A callable that reads `planes` again from the first, each time it is called: `planes` itself
    where it is one, else a sequence's iterator. A `TypeError` for an iterator, read only once."""
    if callable(planes):
        return planes
    if iter(planes) is planes:
        raise TypeError("The clip's frames must be a sequence, or a callable that reads them again: keyframes "
                        "carried along the flow read the clip twice.")
    return lambda: iter(planes)


def peeked(read):
    """(the first plane, a `read` whose first call gives back the stream that plane came from): the
    frame size is known before the work, without a reading of its own (a video decoded once more)."""
    stream = read()
    first = next(stream, None)
    opened = [itertools.chain([first], stream)] if first is not None else []
    return first, lambda: opened.pop() if opened else read()
