"""Still images: find them, drop black-and-white ones, split them, and feed them to Keras.

The same `tf.data` pipeline serves training (random crop and flip) and evaluation (centre crop);
it yields `(luma, {"u": targets, "v": targets})` with luma (H, W, 1) in [0, 1] and targets either
bin indices (classification) or U, V values (regression).
"""

import dataclasses
import fnmatch
import hashlib
import os
import pathlib
import warnings

import numpy as np
import tensorflow as tf
from PIL import Image

from colornn_keras import colorspace
from colornn_keras import defaults
from colornn_keras import errors

IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
# Mean of max(RGB) - min(RGB) on a 64x64 thumbnail, 0-255 scale, below which a photo counts as
# black-and-white (the same measure as the project's data manifests use).
DEFAULT_GRAYSCALE_THRESHOLD = defaults.DEFAULT_GRAYSCALE_THRESHOLD
THUMBNAIL_SIZE = 64
PAPER_SPLIT = defaults.PAPER_SPLIT
# The paper's kind of data (water scenes): the sets, by folder name, of the project's stills that
# paper-protocol runs keep by default, so that new folders beside them never change a reproduction.
PAPER_SETS = defaults.PAPER_SETS
# The "wide" held-out photos, drawn from every other set: (validation, test) counts.
WIDE_HOLDOUT = defaults.WIDE_HOLDOUT


def _walk_files(folder):
    """Every file under `folder`, entering linked folders too (each real folder once, so a link
    loop ends)."""
    seen = set()
    for root, folders, names in os.walk(folder, followlinks=True):
        real = os.path.realpath(root)
        if real in seen:
            folders[:] = []
            continue
        seen.add(real)
        folders.sort()
        for name in names:
            yield pathlib.Path(root) / name


def set_name(path, folder):
    """The set an image belongs to: its top-level folder under `folder` ("" for a file at the top)."""
    parts = pathlib.Path(path).relative_to(folder).parts
    return parts[0] if len(parts) > 1 else ""


def _matches(name, patterns):
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)


def find_images(folder, include=None, exclude=()):
    """All image files under `folder`, recursively (linked folders too), sorted.

    Args:
        folder: the data root; its top-level folders are the *sets* (e.g. `miniplaces_river`).
        include: glob patterns on set names; only sets matching one are kept (None: all).
        exclude: glob patterns on set names to leave out.

    A clear error if the folder is missing, holds no images, or the selection keeps none.
    """
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise errors.InputError(f"{folder} is not a folder of images.")
    files = sorted(path for path in _walk_files(folder) if path.suffix.lower() in IMAGE_EXTENSIONS and path.is_file())
    if not files:
        raise errors.InputError(f"{folder} holds no images ({', '.join(IMAGE_EXTENSIONS)}).")
    kept = [path for path in files
            if (include is None or _matches(set_name(path, folder), include))
            and not _matches(set_name(path, folder), exclude)]
    if not kept:
        sets = sorted({set_name(path, folder) for path in files})
        raise errors.InputError(f"No set under {folder} matches --include {list(include or ['*'])} "
                         f"--exclude {list(exclude)}; its sets are: {', '.join(sets)}.")
    return kept


def oversample(files, folder, weights):
    """`files` with those of the sets matching each (glob, times) of `weights` repeated `times` times.

    A weighted mix without a sampler: a training pass then sees a matched set's photos that much
    more often (say the paper's water sets, against 22 other sets six times their size). The first
    matching glob of a set decides. A glob that matches none of the files' sets is an error, so a
    misspelt set name is never a silent no-op.
    """
    weights = tuple(weights)
    names = [set_name(path, folder) for path in files]
    for pattern, _ in weights:
        if not any(_matches(name, [pattern]) for name in names):
            raise errors.InputError(f"--oversample {pattern!r} matches none of the training sets: "
                                    f"{', '.join(sorted(set(names)))}.")
    repeated = []
    for path, name in zip(files, names):
        times = next((times for pattern, times in weights if _matches(name, [pattern])), 1)
        repeated.extend([path] * times)
    return repeated


def count_sets(files, folder):
    """{set name: number of files}, for the run's data record."""
    counts = {}
    for path in files:
        name = set_name(path, folder)
        counts[name] = counts.get(name, 0) + 1
    return dict(sorted(counts.items()))


def paper_sets_selection(folder):
    """The default selection of a paper-protocol run: `PAPER_SETS` where `folder` holds any of
    them (this project's stills), otherwise every set (a user's own data)."""
    folder = pathlib.Path(folder)
    present = [name for name in PAPER_SETS if (folder / name).is_dir()]
    return tuple(present) if present else None


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


def split_files(files, sizes=PAPER_SPLIT, seed=0, noun="colour images"):
    """Deterministic train/val/test split of `files` by seed.

    Args:
        files: list of paths (order does not matter: they are sorted first).
        sizes: three counts (e.g. the paper's 3000, 500, 500) or three fractions summing to at
            most 1.
        seed: int; the same files and seed always give the same split.
        noun: what the files are, for the error message ("clips" for videos).

    Returns:
        {"train": [...], "val": [...], "test": [...]}, disjoint.
    """
    files = sorted(str(path) for path in files)
    if len(sizes) != 3 or any(size < 0 for size in sizes):
        raise errors.ColorNNError(f"sizes must be three non-negative counts or fractions, got {sizes!r}.")
    if all(isinstance(size, float) for size in sizes):
        if sum(sizes) > 1.0 + 1e-9:
            raise errors.ColorNNError(f"Split fractions {sizes} add up to more than 1.")
        # Rounded at the cumulative boundaries, so the parts never add up to more than the files.
        boundaries = [0] + [int(round(sum(sizes[: index + 1]) * len(files))) for index in range(3)]
        counts = [min(end, len(files)) - min(start, len(files)) for start, end in zip(boundaries, boundaries[1:])]
    else:
        counts = [int(size) for size in sizes]
    if sum(counts) > len(files):
        raise errors.InputError(
            f"The split asks for {sum(counts)} {noun} ({counts[0]}/{counts[1]}/{counts[2]}) but only "
            f"{len(files)} {noun} were found; ask for fewer (--split) or give fractions."
        )
    order = np.random.default_rng(seed).permutation(len(files))
    shuffled = [files[index] for index in order]
    train_end, val_end = counts[0], counts[0] + counts[1]
    return {
        "train": sorted(shuffled[:train_end]),
        "val": sorted(shuffled[train_end:val_end]),
        "test": sorted(shuffled[val_end : val_end + counts[2]]),
    }


def holdout_split(files, holdout=WIDE_HOLDOUT, seed=0):
    """A seeded (validation, test) hold-out with everything else for training.

    The test photos are taken first from one seeded order, then the validation ones: the test
    part depends only on the files and the seed, never on how many are trained on.

    Returns:
        {"train": [...], "val": [...], "test": [...]}, disjoint, each sorted.
    """
    files = sorted(str(path) for path in files)
    val_count, test_count = (int(count) for count in holdout)
    if val_count + test_count > len(files):
        raise errors.InputError(f"The hold-out asks for {val_count} + {test_count} photos but only {len(files)} were found.")
    order = np.random.default_rng(seed).permutation(len(files))
    shuffled = [files[index] for index in order]
    return {
        "train": sorted(shuffled[test_count + val_count:]),
        "val": sorted(shuffled[test_count : test_count + val_count]),
        "test": sorted(shuffled[:test_count]),
    }


def digest_files(files):
    """A sha256 over the sorted file names and sizes: changes whenever the split's content does."""
    digest = hashlib.sha256()
    for path in sorted(map(str, files)):
        digest.update(f"{path}\t{pathlib.Path(path).stat().st_size}\n".encode())
    return digest.hexdigest()


def resize_short_side(rgb, image_size):
    """RGB uint8 with its shorter side resized to `image_size` and the aspect ratio kept (bicubic);
    the longer side is never below `image_size`, so a centre crop of that square always fits."""
    height, width = rgb.shape[:2]
    scale = image_size / min(height, width)
    new_size = (max(image_size, round(width * scale)), max(image_size, round(height * scale)))
    if new_size != (width, height):
        rgb = np.asarray(Image.fromarray(rgb).resize(new_size, Image.BICUBIC))
    return rgb


def load_resized(path, image_size):
    """An image file as RGB uint8 with its shorter side resized to `image_size` (`resize_short_side`)."""
    return resize_short_side(open_rgb(path), image_size)


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
    luma = yuv[..., :1]
    if variant == "regression":
        return luma, {"u": yuv[..., 1:2], "v": yuv[..., 2:3]}
    return luma, colorspace.quantize_uv(yuv[..., 1:], num_bins)


def _decoded_ok(rgb, ok):
    return ok


def _drop_flag(rgb, ok):
    return rgb


# Decoded photos a training stream shuffles among (memory: about 50 KB each at 128).
SHUFFLE_BUFFER = 2048


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
    augmentation="crop_flip",
    repeat=False,
):
    """A `tf.data.Dataset` of (luma, {"u", "v"}) batches from image files.

    Decoding goes through Pillow, so every mode decodes; a file that fails is skipped with a
    warning and recorded in `failures` (a `DecodeFailures`), never an error mid-epoch. Decoded
    images are cached in memory (at the short side `image_size`) so epochs after the first do
    not decode again. Training augments (see `augment`); otherwise the centre crop. `repeat`
    makes the training stream endless, for epochs of a fixed number of steps.
    """
    if augmentation not in AUGMENTATIONS:
        raise errors.ColorNNError(f"augmentation must be one of {AUGMENTATIONS}, got {augmentation!r}.")
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

    if training:
        # The lists arrive sorted, so grouped by set (folder); a shuffle buffer smaller than the
        # list would then feed the sets in turn (an epoch of 4,000 of 18,945 photos saw six sets
        # of 29). A seeded permutation first makes every stretch of the stream a mix of all.
        order = np.random.default_rng(seed).permutation(len(files))
        files = [files[index] for index in order]
    dataset = tf.data.Dataset.from_tensor_slices([str(path) for path in files])
    dataset = dataset.map(decode_op, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    dataset = dataset.filter(_decoded_ok).map(_drop_flag)
    if cache:
        dataset = dataset.cache()
    if training:
        dataset = dataset.shuffle(min(len(files), SHUFFLE_BUFFER), seed=seed, reshuffle_each_iteration=True)
        if repeat:
            dataset = dataset.repeat()

    def crop(rgb):
        if training:
            rgb = augment(rgb, image_size, augmentation)
        else:
            height, width = tf.shape(rgb)[0], tf.shape(rgb)[1]
            top, left = (height - image_size) // 2, (width - image_size) // 2
            rgb = tf.cast(rgb[top : top + image_size, left : left + image_size], tf.float32) / 255.0
        rgb = tf.ensure_shape(rgb, (image_size, image_size, 3))
        return targets_from_rgb(rgb, num_bins, variant)

    dataset = dataset.map(crop, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


# "crop_flip": the paper-era augmentation (a random square crop at the short side, mirrored half the
# time); "resized_crop": a random crop of 35-100% of the area at aspect 3/4-4/3, resized to the
# model's side, then the flip.
AUGMENTATIONS = defaults.AUGMENTATIONS
RESIZED_CROP_AREA = (0.35, 1.0)
RESIZED_CROP_ASPECT = (3 / 4, 4 / 3)


def augment(rgb, image_size, augmentation="crop_flip"):
    """A random training view of an RGB uint8 image, as float RGB in [0, 1] (image_size, image_size, 3).

    Every geometric change is made to the RGB image before luma and chroma are split from it, so
    Y and (U, V) always stay aligned pixel for pixel.
    """
    if augmentation == "resized_crop":
        begin, size, _ = tf.image.sample_distorted_bounding_box(
            tf.shape(rgb), bounding_boxes=tf.zeros((1, 0, 4)), min_object_covered=0.0,
            aspect_ratio_range=RESIZED_CROP_ASPECT, area_range=RESIZED_CROP_AREA, max_attempts=10,
            use_image_if_no_bounding_boxes=True)
        rgb = tf.slice(rgb, begin, size)
        rgb = tf.image.resize(tf.cast(rgb, tf.float32), (image_size, image_size), method="bilinear", antialias=True)
        rgb = tf.clip_by_value(rgb / 255.0, 0.0, 1.0)
    else:
        rgb = tf.cast(tf.image.random_crop(rgb, (image_size, image_size, 3)), tf.float32) / 255.0
    return tf.image.random_flip_left_right(rgb)
