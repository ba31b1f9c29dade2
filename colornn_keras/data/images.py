"""Still images: find them, drop black-and-white ones, split them, and feed them to Keras.

The same `tf.data` pipeline serves training (random crop and flip) and evaluation (centre crop);
it yields `(luma, {"u": targets, "v": targets})` with luma (H, W, 1) in [0, 1] and targets either
bin indices (classification) or U, V values (regression).
"""

import dataclasses
import hashlib
import logging
import pathlib
import warnings

import numpy as np
import tensorflow as tf
from PIL import Image

from colornn_keras import colorspace

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
# Mean of max(RGB) - min(RGB) on a 64x64 thumbnail, 0-255 scale, below which a photo counts as
# black-and-white (the same measure as ../shared/data's manifest).
DEFAULT_GRAYSCALE_THRESHOLD = 6.0
THUMBNAIL_SIZE = 64
PAPER_SPLIT = (3000, 500, 500)

logger = logging.getLogger(__name__)


def find_images(folder):
    """All image files under `folder`, recursively, sorted; a clear error if there are none."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder of images.")
    files = sorted(
        path for path in folder.rglob("*") if path.is_file() and path.suffix.lower() in IMAGE_EXTENSIONS
    )
    if not files:
        raise ValueError(f"{folder} holds no images ({', '.join(IMAGE_EXTENSIONS)}).")
    return files


def open_rgb(path):
    """Reads any image file as an RGB uint8 array, whatever its mode (L, LA, P, RGBA, CMYK, I;16...)."""
    with Image.open(path) as image:
        image.load()
        if image.mode in ("I;16", "I;16B", "I;16L", "I"):
            # 16-bit and 32-bit integer grayscale: scale to 8 bits before converting.
            array = np.asarray(image, dtype=np.float64)
            peak = 65535.0 if image.mode.startswith("I;16") or array.max() > 255 else 255.0
            gray = np.clip(np.round(array / peak * 255.0), 0, 255).astype(np.uint8)
            return np.repeat(gray[..., None], 3, axis=-1)
        if image.mode in ("RGBA", "LA", "PA") or (image.mode == "P" and "transparency" in image.info):
            # Composite transparency on white rather than letting hidden colours show.
            background = Image.new("RGBA", image.size, (255, 255, 255, 255))
            background.alpha_composite(image.convert("RGBA"))
            image = background
        return np.asarray(image.convert("RGB"), dtype=np.uint8)


def mean_chroma(rgb):
    """Mean of max(RGB) - min(RGB) over a 64x64 thumbnail, on the 0-255 scale."""
    thumbnail = Image.fromarray(rgb).resize((THUMBNAIL_SIZE, THUMBNAIL_SIZE), Image.BILINEAR)
    pixels = np.asarray(thumbnail, dtype=np.int16)
    return float((pixels.max(axis=-1) - pixels.min(axis=-1)).mean())


@dataclasses.dataclass
class ImageScan:
    """What `scan_images` found: colour images to use, and what was left out and why."""

    color: list
    grayscale: list
    unreadable: list  # [(path, reason)]
    threshold: float


def scan_images(files, grayscale_threshold=DEFAULT_GRAYSCALE_THRESHOLD, max_color=None, seed=0):
    """Opens each file once: unreadable ones are reported, black-and-white ones set apart.

    With `max_color`, the files are visited in a seeded random order and the scan stops once that
    many colour images are found: a seeded sample, without opening a whole large dataset.
    """
    files = sorted(str(path) for path in files)
    if max_color is not None:
        files = [files[index] for index in np.random.default_rng(seed).permutation(len(files))]
    color, grayscale, unreadable = [], [], []
    for path in files:
        if max_color is not None and len(color) >= max_color:
            break
        try:
            chroma = mean_chroma(open_rgb(path))
        except Exception as error:  # PIL raises many types for corrupt files; all mean "skip".
            warnings.warn(f"Skipping unreadable image {path}: {error}", stacklevel=2)
            unreadable.append((str(path), f"{type(error).__name__}: {error}"))
            continue
        (grayscale if chroma < grayscale_threshold else color).append(path)
    return ImageScan(sorted(color), sorted(grayscale), unreadable, grayscale_threshold)


def split_files(files, sizes=PAPER_SPLIT, seed=0):
    """Deterministic train/val/test split of `files` by seed.

    Args:
        files: list of paths (order does not matter: they are sorted first).
        sizes: three counts (e.g. the paper's 3000, 500, 500) or three fractions summing to at
            most 1.
        seed: int; the same files and seed always give the same split.

    Returns:
        {"train": [...], "val": [...], "test": [...]}, disjoint.
    """
    files = sorted(str(path) for path in files)
    if len(sizes) != 3 or any(size < 0 for size in sizes):
        raise ValueError(f"sizes must be three non-negative counts or fractions, got {sizes!r}.")
    if all(isinstance(size, float) for size in sizes):
        if sum(sizes) > 1.0 + 1e-9:
            raise ValueError(f"Split fractions {sizes} add up to more than 1.")
        counts = [int(round(size * len(files))) for size in sizes]
    else:
        counts = [int(size) for size in sizes]
    if sum(counts) > len(files):
        raise ValueError(
            f"The split asks for {sum(counts)} images ({counts[0]}/{counts[1]}/{counts[2]}) but only "
            f"{len(files)} colour images were found; ask for fewer or give fractions."
        )
    order = np.random.default_rng(seed).permutation(len(files))
    shuffled = [files[index] for index in order]
    train_end, val_end = counts[0], counts[0] + counts[1]
    return {
        "train": sorted(shuffled[:train_end]),
        "val": sorted(shuffled[train_end:val_end]),
        "test": sorted(shuffled[val_end : val_end + counts[2]]),
    }


def digest_files(files):
    """A sha256 over the sorted file names and sizes: changes whenever the split's content does."""
    digest = hashlib.sha256()
    for path in sorted(map(str, files)):
        digest.update(f"{path}\t{pathlib.Path(path).stat().st_size}\n".encode())
    return digest.hexdigest()


def load_resized(path, image_size):
    """RGB uint8 with its shorter side resized to `image_size` (never both sides: no distortion)."""
    rgb = open_rgb(path)
    height, width = rgb.shape[:2]
    scale = image_size / min(height, width)
    new_size = (max(image_size, round(width * scale)), max(image_size, round(height * scale)))
    if new_size != (width, height):
        rgb = np.asarray(Image.fromarray(rgb).resize(new_size, Image.BICUBIC))
    return rgb


class DecodeFailures:
    """Collects files that fail to decode inside a pipeline, so the run record can list them."""

    def __init__(self):
        self.failed = {}

    def record(self, path, error):
        if path not in self.failed:
            warnings.warn(f"Skipping unreadable image {path}: {error}", stacklevel=2)
        self.failed[path] = f"{type(error).__name__}: {error}"


def targets_from_rgb(rgb, num_bins, variant):
    """(luma, {"u", "v"}) training pair from RGB in [0, 1] (works inside tf.data)."""
    yuv = colorspace.rgb_to_yuv(rgb)
    luma, u, v = yuv[..., :1], yuv[..., 1], yuv[..., 2]
    if variant == "regression":
        return luma, {"u": u[..., None], "v": v[..., None]}
    return luma, {
        "u": colorspace.quantize(u, "u", num_bins),
        "v": colorspace.quantize(v, "v", num_bins),
    }


def _decoded_ok(rgb, ok):
    return ok


def _drop_flag(rgb, ok):
    return rgb


def make_dataset(
    files,
    image_size,
    batch_size,
    num_bins=colorspace.DEFAULT_NUM_BINS,
    variant="classification",
    training=False,
    seed=0,
    failures=None,
    cache=True,
):
    """A `tf.data.Dataset` of (luma, {"u", "v"}) batches from image files.

    Decoding goes through Pillow, so every mode decodes; a file that fails is skipped with a
    warning and recorded in `failures` (a `DecodeFailures`), never an error mid-epoch. Decoded
    images are cached in memory (at the short side `image_size`) so epochs after the first do
    not decode again. Training adds a random crop and horizontal flip; otherwise the centre crop.
    """
    if not files:
        raise ValueError("No image files were given to the pipeline.")
    failures = failures if failures is not None else DecodeFailures()

    def decode(path_tensor):
        path = path_tensor.decode() if isinstance(path_tensor, bytes) else str(path_tensor)
        try:
            return load_resized(path, image_size), True
        except Exception as error:  # Any decoding failure: skip and record, never crash.
            failures.record(path, error)
            return np.zeros((image_size, image_size, 3), np.uint8), False

    def decode_op(path):
        rgb, ok = tf.numpy_function(decode, [path], [tf.uint8, tf.bool], stateful=False)
        rgb.set_shape([None, None, 3])
        ok.set_shape([])
        return rgb, ok

    dataset = tf.data.Dataset.from_tensor_slices([str(path) for path in files])
    dataset = dataset.map(decode_op, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset = dataset.filter(_decoded_ok).map(_drop_flag)
    if cache:
        dataset = dataset.cache()
    if training:
        dataset = dataset.shuffle(min(len(files), 2048), seed=seed, reshuffle_each_iteration=True)

    def crop(rgb):
        if training:
            rgb = tf.image.random_crop(rgb, (image_size, image_size, 3))
            rgb = tf.image.random_flip_left_right(rgb)
        else:
            height, width = tf.shape(rgb)[0], tf.shape(rgb)[1]
            top, left = (height - image_size) // 2, (width - image_size) // 2
            rgb = rgb[top : top + image_size, left : left + image_size]
        rgb = tf.ensure_shape(rgb, (image_size, image_size, 3))
        return targets_from_rgb(tf.cast(rgb, tf.float32) / 255.0, num_bins, variant)

    dataset = dataset.map(crop, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
