"""Picture files a user colours, in and out: read as RGB uint8 of a size the models colour, refused
in one line when unreadable, written atomically and read back before they are placed.

(The training and evaluation images, found, scanned and fed to Keras, are `images.py`'s.)
"""

import pathlib
import warnings

import numpy as np
from PIL import Image

from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras import files
from colornn_keras.data import frame_folders
from colornn_keras.data import images

MIN_SIDE = 8
# Larger images are refused before decoding: 8K x 8K, beyond which memory, not colour, is the issue.
MAX_PIXELS = 8192 * 8192
# Pillow's ways of saying it cannot read a file as an image.
UNREADABLE_IMAGE = (OSError, SyntaxError, EOFError, Image.DecompressionBombError)


def luma(picture):
    """BT.601 luma (H, W, 1) in [0, 1] of an RGB uint8 picture, at its own resolution."""
    return colorspace.rgb_to_luma(np.asarray(picture, np.float32) / 255.0)


def check_image_size(width, height, source):
    """An `InputError` naming `source` for a picture too small to colour or too large to hold."""
    if min(width, height) < MIN_SIDE:
        raise errors.InputError(f"{source} is {width}x{height}: too small to colorize (at least {MIN_SIDE}x{MIN_SIDE}).")
    if width * height > MAX_PIXELS:
        raise errors.InputError(f"{source} is {width}x{height}: larger than {MAX_PIXELS // 10**6} megapixels; "
                                "downscale it first.")


def read_image(path):
    """An image file as RGB uint8, of a size the models can colour; an `InputError` naming it if
    it is not a readable image."""
    try:
        # Our own limit, below Pillow's, applies with a clearer message than its decompression-bomb
        # warning (and without changing `Image.MAX_IMAGE_PIXELS` in the caller's process).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                check_image_size(*image.size, path)
        return images.open_rgb(path)
    except Image.DecompressionBombError as error:
        raise errors.InputError(f"{path} is larger than {MAX_PIXELS // 10**6} megapixels; downscale it first.") from error
    except UNREADABLE_IMAGE as error:
        raise errors.InputError(f"{path} is not a readable image: {frame_folders.image_failure(path, error)}.") from error


def image_format(target):
    """The Pillow format `target`'s extension names; an `OutputError` if it names none Pillow writes."""
    Image.init()
    image_format = Image.registered_extensions().get(pathlib.Path(target).suffix.lower())
    if image_format not in Image.SAVE:
        raise errors.OutputError(f"{target} does not end in an image extension that can be written "
                                 f"({', '.join(images.IMAGE_EXTENSIONS)}).")
    return image_format


def save_image(rgb, target, replace=True):
    """Writes RGB uint8 to `target` atomically; it replaces `target` only if it reads back whole.

    Without `replace` it is placed only if no other run placed `target` meanwhile; otherwise it is
    kept beside it and an `OutputError` says where (`files.atomic_write`)."""
    target = pathlib.Path(target)
    image_format_name = image_format(target)
    with files.atomic_write(target, suffix=target.suffix, replace=replace) as temporary:
        try:
            Image.fromarray(rgb).save(temporary, format=image_format_name)
        except OSError as error:
            raise files.cannot_write(target, error) from error
        try:
            with Image.open(temporary) as written:
                written.load()
                size = written.size
        except UNREADABLE_IMAGE as error:
            raise errors.OutputError(f"Cannot write {target}: it did not read back as an image.") from error
        if size != (rgb.shape[1], rgb.shape[0]):
            raise errors.OutputError(f"Cannot write {target}: it read back as {size[0]}x{size[1]}, "
                                     f"not {rgb.shape[1]}x{rgb.shape[0]}.")
    return target

