"""Folders of images told apart as a video's numbered frames or a set of photos, and a video's
frames listed, checked and read from one.

A folder is a video when its images are named as the numbered frames of one sequence
(00001.jpg, frame_0001.png), not as a camera numbers photos (IMG_0001.jpg), and all have one size.
"""

import contextlib
import pathlib
import re

from PIL import Image

from colornn_keras import errors
from colornn_keras.data import images

# Camera file names number photos, not the frames of one shot: IMG_0001.jpg (phones, Canon),
# DSC01234 / DSC_0001 / DSCN0001 / DSCF0001 (Sony, Nikon, Fujifilm), GOPR0001 / GH010001 (GoPro),
# DJI_0001, MVI_0001, SAM_0001, IMGP0001 (Pentax), CIMG0001 (Casio), PICT0001, PXL_... (Pixel).
CAMERA_PREFIX = re.compile(r"_?(img[_-]|dsc[_fn]?|pxl_|gopr|gh|gx|dji_|mvi_|sam_|imgp|cimg|pict)", re.IGNORECASE)


def _natural_key(path):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def _image_files(folder):
    return [path for path in pathlib.Path(folder).iterdir()
            if path.suffix.lower() in images.IMAGE_EXTENSIONS and not path.name.startswith(".")]



def images_in_order(folder):
    """A folder's image files (at its top level), in numeric order (frame2 before frame10)."""
    return sorted(_image_files(folder), key=_natural_key)


def _named_as_frames(paths):
    """True when the names number the frames of one sequence: all digits (00001.jpg), or one
    shared prefix without digits before the number (frame_0001.png) that is not a camera's."""
    stems = [path.stem for path in paths]
    if all(stem.isdigit() for stem in stems):
        return True
    # A prefix with digits is most often a date (20240101_120000.jpg, PXL_20240101_...): photos.
    matches = [re.fullmatch(r"(\D+)(\d+)", stem) for stem in stems]
    if not all(matches):
        return False
    prefixes = {match.group(1) for match in matches}
    return len(prefixes) == 1 and not CAMERA_PREFIX.fullmatch(prefixes.pop())


def is_frame_folder(folder):
    """True when a folder's images are numbered frames of one sequence, all of one size.

    Anything else (camera names such as IMG_0001.jpg, mixed names, mixed sizes) is a folder of
    photos. A frame that cannot be read does not decide: reading it reports it by name.
    """
    return not_frames_because(folder) is None


def not_frames_because(folder):
    """Why a folder's images are not a video's numbered frames, in a few words ("not named by frame
    number", ...); None when they are (`is_frame_folder`)."""
    paths = images_in_order(folder)
    if len(paths) < 2:
        return "fewer than two images at its top level"
    if not _named_as_frames(paths):
        return "not named by frame number"
    differing = _first_size_difference(paths)
    if differing is not None:
        (_, (width, height)), (_, (other_width, other_height)) = differing
        return f"numbered, but of different sizes ({width}x{height} and {other_width}x{other_height})"
    return None


def _first_size_difference(paths):
    """((path, size), (path, size)): the first of `paths` and the first after it of another size;
    None where all have one size. Unreadable images are passed over: reading them as frames
    reports them by name."""
    first = None
    for path in paths:
        try:
            with Image.open(path) as image:
                size = image.size
        except (OSError, SyntaxError):
            continue
        if first is None:
            first = path, size
        elif size != first[1]:
            return first, (path, size)
    return None


def check_one_size(folder):
    """An `InputError` naming two of a folder's images (at its top level) that differ in size:
    the frames of a video have one size."""
    differing = _first_size_difference(images_in_order(folder))
    if differing is not None:
        (first, (width, height)), (other, (other_width, other_height)) = differing
        raise errors.InputError(
            f"{folder} cannot be coloured as a video: its images differ in size ({first.name} is {width}x{height}, "
            f"{other.name} is {other_width}x{other_height}), and a video's frames have one size.")


def frame_files(folder):
    """Image files of a folder of numbered frames, in numeric order (frame2 before frame10)."""
    paths = _image_files(folder)
    if not paths:
        raise errors.InputError(f"{folder} holds no frame images ({', '.join(images.IMAGE_EXTENSIONS)}).")
    return sorted(paths, key=_natural_key)


def image_failure(path, error):
    """Why Pillow could not read `path`, in words that do not repeat the path."""
    path = pathlib.Path(path)
    with contextlib.suppress(OSError):
        if path.stat().st_size == 0:
            return "the file is empty (0 bytes)"
    if isinstance(error, Image.UnidentifiedImageError):
        return "not an image format Pillow can read, or damaged"
    return str(error).replace(f"'{path}'", "").strip() or type(error).__name__


def read_frame(path):
    """A frame image as RGB uint8 (H, W, 3); an `InputError` naming it where it cannot be read."""
    try:
        return images.open_rgb(path)
    except (OSError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
        raise errors.InputError(f"Frame {path} is not a readable image: {image_failure(path, error)}.") from error


def check_frames(paths):
    """Every frame's header readable and of the first frame's size; an `InputError` naming the
    first that is not. Returns (width, height)."""
    size = None
    for path in paths:
        try:
            with Image.open(path) as image:
                frame_size = image.size
        except (OSError, SyntaxError) as error:
            raise errors.InputError(f"Frame {path} is not a readable image: {image_failure(path, error)}.") from error
        if size is not None and frame_size != size:
            raise errors.InputError(f"Frame {path} is {frame_size[0]}x{frame_size[1]}, but {paths[0].name} is "
                                    f"{size[0]}x{size[1]}: the frames of a video have one size.")
        size = frame_size
    return size

