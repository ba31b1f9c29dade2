"""`colornn demo`: a real photograph (or your file) turned gray, colorized, shown side by side.

With no input it uses `grace_hopper.jpg`, a photograph that ships inside matplotlib (an
installed dependency), so the demo runs offline on a fresh install. It is not a water scene: the
shipped model, trained on water scenes, gives it plausible-looking but often wrong colours.
"""

import contextlib
import dataclasses
import pathlib
import shutil

import numpy as np

from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras.data import images
from colornn_keras.data import pictures
from colornn_keras.data import video
from colornn_keras.data import video_encoding


def default_demo_input():
    import matplotlib.cbook

    return pathlib.Path(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False))


def free_folder(folder):
    """`folder` if it is free, else the first free `folder_2`, `folder_3`, ..."""
    candidate, index = folder, 1
    while candidate.exists():
        index += 1
        candidate = folder.with_name(f"{folder.name}_{index}")
    return candidate


def _gray(rgb):
    luma = colorspace.rgb_to_luma(np.asarray(rgb, np.float32) / 255.0)
    return np.repeat(np.round(luma * 255.0).astype(np.uint8), 3, axis=-1)


@dataclasses.dataclass
class DemoInput:
    """A demo's input, read and checked (`check_input`) before any model is loaded."""

    source: pathlib.Path
    folder: pathlib.Path
    video_info: object = None  # `video.VideoInfo` for a video.
    original: object = None  # RGB uint8 for an image.
    allow_truncated: bool = False


def check_input(source=None, folder=pathlib.Path("colornn_demo"), overwrite=False, allow_truncated=False):
    """Reads and checks the demo's input and output folder; an `InputError` or `OutputError` if
    either will not do, before anything is written."""
    source = pathlib.Path(source) if source else default_demo_input()
    folder = pathlib.Path(folder)
    if not source.exists():
        raise errors.InputError(f"{source} does not exist.")
    if folder.exists() and (not folder.is_dir() or any(folder.iterdir())) and not overwrite:
        raise errors.OutputError(f"{folder} exists and is not empty; pass --overwrite or choose another -o folder.")
    if video.is_video_file(source):
        info = video.probe(source, allow_truncated=allow_truncated)
        pictures.check_image_size(info.width, info.height, source)
        return DemoInput(source, folder, video_info=info, allow_truncated=allow_truncated)
    if source.suffix.lower() in images.IMAGE_EXTENSIONS:
        return DemoInput(source, folder, original=pictures.read_image(source))
    raise errors.InputError(f"{source} is neither an image nor a video.")


def write_demo(colorizer, demo_input):
    """Writes the demo of a checked input into its folder; returns the files written.

    All or nothing: if any output cannot be written, the files this call made are removed
    again, with the folder if it made it.
    """
    folder = demo_input.folder
    is_video = demo_input.video_info is not None
    targets = [folder / name for name in _OUTPUTS["video" if is_video else "image"]]
    created = not folder.exists()
    before = {path: _identity(path) for path in targets}
    try:
        if is_video:
            return _video_demo(colorizer, demo_input)
        return _image_demo(colorizer, demo_input.original, folder)
    except BaseException:
        for path in targets:
            if _identity(path) != before[path]:  # Written by this call (a rename gives a new inode).
                with contextlib.suppress(OSError):
                    path.unlink()
        if created:
            shutil.rmtree(folder, ignore_errors=True)
        raise


def _identity(path):
    with contextlib.suppress(OSError):
        status = path.stat()
        return status.st_ino, status.st_mtime_ns
    return None


_OUTPUTS = {
    "image": ("grayscale.png", "colorized.png", "original.png", "side_by_side.png"),
    "video": ("colorized.mp4", "side_by_side.mp4"),
}


# The side-by-side's panels, left to right, named in a white bar above them.
LABELS = ("grayscale", "colorized", "original")


def _font(size):
    from PIL import ImageFont

    try:
        return ImageFont.load_default(size=size)  # Pillow 10.1 and later, with FreeType: scalable.
    except (TypeError, ImportError, OSError, AttributeError):
        return ImageFont.load_default()  # Its small bitmap font.


def label_bar(panel_width, panel_height, labels=LABELS):
    """A white bar (RGB uint8, an even number of rows, as 4:2:0 video wants) naming each of
    `labels`' panels, `panel_width` wide each, centred above it; its height follows the panels'."""
    from PIL import Image
    from PIL import ImageDraw

    height = 2 * max(8, round(panel_height * 0.035))
    bar = Image.new("RGB", (panel_width * len(labels), height), "white")
    draw = ImageDraw.Draw(bar)
    size = round(height * 0.7)
    font = _font(size)
    while size > 6 and max(draw.textlength(label, font=font) for label in labels) > panel_width - 4:
        size -= 1  # Narrow panels: a smaller font, so each name stays above its own panel.
        font = _font(size)
    _, top, _, bottom = draw.textbbox((0, 0), "".join(labels), font=font)  # One baseline for all names.
    for index, label in enumerate(labels):
        left, _, right, _ = draw.textbbox((0, 0), label, font=font)
        draw.text((index * panel_width + (panel_width - (right - left)) / 2 - left,
                   (height - (bottom - top)) / 2 - top), label, fill="black", font=font)
    return np.asarray(bar)


def side_by_side(gray, colorized, original, bar=None):
    """The three pictures (RGB uint8, of one size) side by side under their names (`label_bar`,
    which a video passes in, made once)."""
    if bar is None:
        bar = label_bar(gray.shape[1], gray.shape[0])
    return np.concatenate([bar, np.concatenate([gray, colorized, original], axis=1)], axis=0)


def _image_demo(colorizer, original, folder):
    gray = _gray(original)
    (colorized,) = colorizer.colorize_frames([gray])
    shown = (gray, colorized, original, side_by_side(gray, colorized, original))
    return [pictures.save_image(picture, folder / name) for picture, name in zip(shown, _OUTPUTS["image"])]


def _video_demo(colorizer, demo_input):
    source, info = demo_input.source, demo_input.video_info
    originals = []

    def gray_frames():
        for frame in video.read_frames(source, expected_frames=info.frame_count,
                                       allow_truncated=demo_input.allow_truncated):
            originals.append(frame)
            yield _gray(frame)

    audio = source if info.has_audio else None
    targets = [demo_input.folder / name for name in _OUTPUTS["video"]]
    bar = label_bar(info.width, info.height)
    with video_encoding.VideoWriter(targets[0], info.fps, audio) as colorized_writer, \
            video_encoding.VideoWriter(targets[1], info.fps, audio) as side_writer:
        for colorized in colorizer.colorize_sequence(gray_frames()):
            original = originals.pop(0)
            colorized_writer.write(colorized)
            side_writer.write(side_by_side(_gray(original), colorized, original, bar))
    return targets
