"""`colornn demo`: a real photograph (or your file) turned gray, colorized, shown side by side.

With no input it uses `grace_hopper.jpg`, a photograph that ships inside matplotlib (an
installed dependency), so the demo runs offline on a fresh install. It is not a water scene: the
shipped model, trained on water scenes, gives it plausible-looking but often wrong colours.
"""

import pathlib

import numpy as np
from PIL import Image

from colornn_keras import colorspace
from colornn_keras import files
from colornn_keras import inference
from colornn_keras.data import images
from colornn_keras.data import video


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


def _save(array, path):
    with files.atomic_write(path, suffix=path.suffix) as temporary:
        Image.fromarray(array).save(temporary)
    return path


def run_demo(colorizer, source=None, folder=pathlib.Path("colornn_demo"), overwrite=False):
    """Writes grayscale input, colorized output, original and a side-by-side into `folder`."""
    source = pathlib.Path(source) if source else default_demo_input()
    folder = pathlib.Path(folder)
    if not source.exists():
        raise ValueError(f"{source} does not exist.")
    if folder.exists() and any(folder.iterdir()) and not overwrite:
        raise ValueError(f"{folder} exists and is not empty; pass --overwrite or choose another -o folder.")
    folder.mkdir(parents=True, exist_ok=True)
    if video.is_video_file(source):
        return _video_demo(colorizer, source, folder)
    if source.suffix.lower() not in images.IMAGE_EXTENSIONS:
        raise ValueError(f"{source} is neither an image nor a video.")
    with Image.open(source) as image:
        inference.check_image_size(*image.size, source)
    original = images.open_rgb(source)
    gray = _gray(original)
    (colorized,) = colorizer.colorize_frames([gray])
    return [
        _save(gray, folder / "grayscale.png"),
        _save(colorized, folder / "colorized.png"),
        _save(original, folder / "original.png"),
        _save(np.concatenate([gray, colorized, original], axis=1), folder / "side_by_side.png"),
    ]


def _video_demo(colorizer, source, folder):
    info = video.probe(source)
    inference.check_image_size(info.width, info.height, source)
    originals = []

    def gray_frames():
        for frame in video.read_frames(source):
            originals.append(frame)
            yield _gray(frame)

    audio = source if info.has_audio else None
    targets = (folder / "colorized.mp4", folder / "side_by_side.mp4")
    with video.VideoWriter(targets[0], info.fps, audio) as colorized_writer, \
            video.VideoWriter(targets[1], info.fps, audio) as side_writer:
        for colorized in colorizer.colorize_sequence(gray_frames()):
            original = originals.pop(0)
            colorized_writer.write(colorized)
            side_writer.write(np.concatenate([_gray(original), colorized, original], axis=1))
    return list(targets)
