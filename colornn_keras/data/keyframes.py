"""Keyframes: colour pictures of some of a video's frames, by 0-based frame index, loaded and checked.

A keyframe is an RGB uint8 array or an image path, of any size (it is resized to the frame); what
is not one, or names no frame of the clip, is an `InputError` naming the keyframe.
"""

import collections.abc
import os
import pathlib
import warnings

import numpy as np

from colornn_keras import errors
from colornn_keras.data import images
from colornn_keras.data import pictures


def read_keyframes(keyframes):
    """{frame index: RGB uint8} from {0-based frame index: RGB uint8 array or image path}.

    A keyframe is a colour picture of its frame (any size: it is resized to the frame). Keyframes
    that are not such a mapping (a list), an index that is no frame number, an image that is
    missing, a folder or unreadable, an array that is not RGB uint8, or one too small, is an
    `InputError` naming the keyframe.
    """
    if not isinstance(keyframes, collections.abc.Mapping):
        # A list would be read as frames 0, 1, 2...: a guess at what was meant, so it is refused.
        raise errors.InputError(f"Keyframes must be a dict {{0-based frame index: colour picture or image path}}, "
                                f"not a {type(keyframes).__name__}.")
    loaded = {}
    for index, keyframe in keyframes.items():
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
            raise errors.InputError(f"Keyframe index {index!r} is not a frame number (0 for the first frame).")
        if isinstance(keyframe, (str, os.PathLike)):
            if pathlib.Path(keyframe).is_dir():
                raise errors.InputError(f"Keyframe {index}: {keyframe} is a folder, not an image.")
            if not pathlib.Path(keyframe).exists():
                raise errors.InputError(f"Keyframe {index}: {keyframe} does not exist.")
            try:
                keyframe = pictures.read_image(keyframe)
            except errors.InputError as error:
                raise errors.InputError(f"Keyframe {index}: {error}") from error
        else:
            expected = f"Keyframe {index} must be an RGB uint8 picture (H, W, 3) or an image path"
            try:
                keyframe = np.asarray(keyframe)
            except (ValueError, TypeError):  # Ragged nested lists.
                raise errors.InputError(f"{expected}; got a {type(keyframe).__name__} that is no array.") from None
            if keyframe.dtype != np.uint8 or keyframe.ndim != 3 or keyframe.shape[2] != 3:
                hint = (" (a float picture in [0, 1]: multiply it by 255 and round it to uint8)"
                        if np.issubdtype(keyframe.dtype, np.floating) else "")
                raise errors.InputError(f"{expected}; got {keyframe.dtype} {keyframe.shape}{hint}.")
            pictures.check_image_size(keyframe.shape[1], keyframe.shape[0], f"Keyframe {index}")
        loaded[int(index)] = keyframe
    return loaded


def check_keyframe_indices(keyframes, frame_count, source="the clip"):
    """An `InputError` for a keyframe index outside a clip of `frame_count` frames."""
    outside = sorted(index for index in keyframes if not 0 <= index < frame_count)
    if outside:
        raise errors.InputError(f"Keyframe {outside[0]} is outside {source}'s {frame_count} frames "
                                f"(0 to {frame_count - 1}: frames count from 0).")


def warn_about_keyframes(keyframes, width, height):
    """Warnings for keyframes that work but are likely mistakes: one with almost no colour (the
    black-and-white frame itself?) seeds gray; one of another shape than the frames is stretched."""
    for index, keyframe in sorted(keyframes.items()):
        if images.mean_chroma(keyframe) < images.DEFAULT_GRAYSCALE_THRESHOLD:
            warnings.warn(f"Keyframe {index} has almost no colour: it seeds gray.", errors.ColorNNWarning,
                          stacklevel=3)
        keyframe_height, keyframe_width = keyframe.shape[:2]
        if abs(keyframe_width / keyframe_height - width / height) > 0.02 * width / height:
            warnings.warn(f"Keyframe {index} is {keyframe_width}x{keyframe_height}, another shape than the "
                          f"{width}x{height} frames: it is stretched to fit.", errors.ColorNNWarning, stacklevel=3)
