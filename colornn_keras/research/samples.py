"""The data folders of the lab notebooks, and a small real sample when none is at hand.

A fresh clone holds no dataset. So that the labs still run top to bottom, `lab_data_folder`
falls back to a stand-in built from `grace_hopper.jpg`, the photograph that ships inside
matplotlib (an installed dependency, as in `colornn demo`): square crops of it as a folder of
photos, and a camera pan across it as a short clip. Real pixels, but of one portrait: enough to
run every cell, not to learn colour from. Nothing is downloaded.
"""

import os
import pathlib

import numpy as np
from PIL import Image

# Where the samples are written, relative to the notebook (git-ignored under notebooks/).
SAMPLES_FOLDER = pathlib.Path("lab_samples")
SAMPLE_PHOTO_COUNT = 40
SAMPLE_CLIP_FRAMES = 30
SAMPLE_CLIP_SIZE = 160
SAMPLE_CLIP_FPS = 10.0
_KINDS = {
    "photos": ("DATA_DIR", "a folder of colour photos", "/path/to/photos"),
    "videos": ("VIDEOS_DIR", "a folder of clips (video files or folders of numbered frames)", "/path/to/clips"),
}


def sample_photograph():
    """The photograph the samples are cut from, RGB uint8: Grace Hopper, 512x600, from matplotlib."""
    import matplotlib.cbook

    with Image.open(matplotlib.cbook.get_sample_data("grace_hopper.jpg", asfileobj=False)) as image:
        return np.asarray(image.convert("RGB"))


def write_sample_photos(folder, count=SAMPLE_PHOTO_COUNT, seed=0):
    """`count` square crops of the sample photograph, of seeded sizes and places, as JPEG files."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    photo = sample_photograph()
    height, width = photo.shape[:2]
    shorter = min(height, width)
    rng = np.random.default_rng(seed)
    for index in range(count):
        side = int(rng.integers(shorter // 3, shorter + 1))
        top, left = int(rng.integers(0, height - side + 1)), int(rng.integers(0, width - side + 1))
        crop = photo[top : top + side, left : left + side]
        Image.fromarray(crop).save(folder / f"grace_hopper_crop_{index:02d}.jpg", quality=95)
    return folder


def write_sample_clip(folder, frames=SAMPLE_CLIP_FRAMES, size=SAMPLE_CLIP_SIZE, fps=SAMPLE_CLIP_FPS):
    """A camera pan across the sample photograph, corner to corner: an H.264 mp4 in `folder`."""
    from colornn_keras.data import video_encoding

    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    photo = sample_photograph()
    height, width = photo.shape[:2]
    path = folder / "grace_hopper_pan.mp4"
    with video_encoding.VideoWriter(path, fps=fps) as writer:
        for top, left in zip(np.linspace(0, height - size, frames).round().astype(int),
                             np.linspace(0, width - size, frames).round().astype(int)):
            writer.write(photo[top : top + size, left : left + size])
    return folder


def lab_data_folder(chosen, environment_variable, project_default, kind):
    """The folder a lab notebook reads; prints where it came from and, for a sample, how to change it.

    In order: `chosen` (the notebook's own setting, unless None), the environment variable,
    `project_default` (where this project's machines keep the data, beside the repository),
    else a sample written under `lab_samples/` (`kind`: "photos" or "videos"). A folder given
    explicitly that does not exist is an error, not a reason to fall back.
    """
    setting, description, example = _KINDS[kind]
    for given, source in ((chosen, setting), (os.environ.get(environment_variable), environment_variable)):
        if given:
            folder = pathlib.Path(given).expanduser()
            if not folder.is_dir():
                raise ValueError(f"{source} is {given}, which is not a folder.")
            print(f"{setting} = {folder} (from {source})")
            return folder
    if pathlib.Path(project_default).is_dir():
        print(f"{setting} = {project_default} (the project's data, beside the repository)")
        return pathlib.Path(project_default)
    target = SAMPLES_FOLDER / kind
    if not target.is_dir() or not any(target.iterdir()):
        (write_sample_photos if kind == "photos" else write_sample_clip)(target)
    sample = (f"{SAMPLE_PHOTO_COUNT} crops of" if kind == "photos"
              else f"a {SAMPLE_CLIP_FRAMES}-frame camera pan across")
    print(f"No data folder found: {setting} is None, {environment_variable} is not set, and {project_default} "
          f"does not exist.\nUsing a small sample instead, in {target}: {sample} grace_hopper.jpg, a photograph "
          "that ships with matplotlib. Every cell runs on it, but one portrait says little about colour.\n"
          f"For your own data, set {setting} in this cell to {description}, or start Jupyter as "
          f"`{environment_variable}={example} jupyter lab`.")
    return target
