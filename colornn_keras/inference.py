"""Colorizing images, folders and videos at their full resolution.

The models see luma at their own square size; their U and V are decoded there, resized back to
the source's size, and joined with the source's own full-resolution Y, so detail comes from the
original and never from an upscaled model input. Colour input is reduced to its luma first, so
any photo can be tried. Every output is written atomically: nothing half-written is left.
"""

import collections
import concurrent.futures
import dataclasses
import pathlib
import queue
import re
import threading

import numpy as np
from PIL import Image

from colornn_keras import colorspace
from colornn_keras import files
from colornn_keras.data import images
from colornn_keras.data import video
from colornn_keras.models import consistency as consistency_models
from colornn_keras.models import recurrent as recurrent_models

MIN_SIDE = 8
# Larger images are refused before decoding: 8K x 8K, beyond which memory, not colour, is the issue.
MAX_PIXELS = 8192 * 8192
Image.MAX_IMAGE_PIXELS = None  # Our own limit applies, with a clearer message than Pillow's.


def _resize_plane(plane, size):
    """Resizes a float (H, W) plane to size (width, height), bilinear."""
    return np.asarray(Image.fromarray(np.asarray(plane, np.float32), mode="F").resize(size, Image.BILINEAR))


def check_image_size(width, height, source):
    if min(width, height) < MIN_SIDE:
        raise ValueError(f"{source} is {width}x{height}: too small to colorize (at least {MIN_SIDE}x{MIN_SIDE}).")
    if width * height > MAX_PIXELS:
        raise ValueError(f"{source} is {width}x{height}: larger than {MAX_PIXELS // 10**6} megapixels; downscale it first.")


@dataclasses.dataclass
class Colorizer:
    """Colours frames with a color model, and with a consistency model for videos.

    Args:
        color_model: a trained classification color model.
        consistency_model: optional; when given, videos are coloured free-running with it (a
            consistency model, or the `RecurrentModels` of the recurrent variant).
        method: "argmax", "expectation" or "annealed_mean" decoding.
        scene_cut_threshold: luma-histogram jump that resets the video context.
        batch_size: frames per prediction where frames are independent (images, per-frame video).
    """

    color_model: object
    consistency_model: object = None
    method: str = "annealed_mean"
    scene_cut_threshold: float = video.DEFAULT_SCENE_CUT_THRESHOLD
    batch_size: int = 8

    def __post_init__(self):
        if self.method not in colorspace.DECODING_METHODS:
            raise ValueError(f"method must be one of {colorspace.DECODING_METHODS}, got {self.method!r}.")
        self.model_size = int(self.color_model.input_shape[1])

    def _model_luma(self, luma):
        return _resize_plane(luma[..., 0], (self.model_size, self.model_size))[..., None]

    def join(self, luma, uv_model_size):
        """Full-resolution RGB uint8 from the source's luma and model-size (U, V)."""
        height, width = luma.shape[:2]
        u, v = (_resize_plane(uv_model_size[..., index], (width, height)) for index in (0, 1))
        rgb = colorspace.yuv_to_rgb_keeping_luma(np.stack([luma[..., 0], u, v], axis=-1))
        return np.round(rgb * 255.0).astype(np.uint8)

    def _decode(self, outputs, index):
        return colorspace.decode_uv({axis: np.asarray(outputs[axis][index]) for axis in ("u", "v")}, self.method)

    def colorize_frames(self, frames):
        """Colours independent RGB uint8 frames (any size each), in batches; yields RGB uint8."""
        for luma, uv in self.predict_chroma(frames):
            yield self.join(luma, uv)

    def predict_chroma(self, frames):
        """(full-resolution luma, model-size (U, V)) for independent frames, predicted in batches."""
        batch = []
        for frame in frames:
            batch.append(colorspace.rgb_to_luma(np.asarray(frame, np.float32) / 255.0))
            if len(batch) == self.batch_size:
                yield from self._predict_batch(batch)
                batch = []
        if batch:
            yield from self._predict_batch(batch)

    def _predict_batch(self, lumas):
        outputs = self.color_model.predict_on_batch(np.stack([self._model_luma(luma) for luma in lumas]))
        for index, luma in enumerate(lumas):
            yield luma, self._decode(outputs, index)

    def colorize_sequence(self, frames):
        """Colours video frames in order: free-running with the consistency model (scene cuts
        reset it to the color model), or per frame in batches without one; yields RGB uint8."""
        for luma, uv in self.predict_chroma_sequence(frames):
            yield self.join(luma, uv)

    def predict_chroma_sequence(self, frames):
        """`predict_chroma` for video frames in order, free-running when there is a consistency model."""
        if self.consistency_model is None:
            yield from self.predict_chroma(frames)
            return
        detector = video.SceneCutDetector(self.scene_cut_threshold)
        lumas, cuts = [], []

        def luma_stream():
            for frame in frames:
                cuts.append(detector.is_cut(frame))
                luma = colorspace.rgb_to_luma(np.asarray(frame, np.float32) / 255.0)
                lumas.append(luma)
                yield self._model_luma(luma)

        def cut_stream():
            while True:
                yield cuts[-1] if cuts else False

        if isinstance(self.consistency_model, recurrent_models.RecurrentModels):
            predictions = recurrent_models.predict_recurrent_sequence(
                self.consistency_model, luma_stream(), cuts=cut_stream(), method=self.method)
        else:
            predictions = consistency_models.predict_sequence(
                self.color_model, self.consistency_model, luma_stream(), "free_running", cuts=cut_stream(),
                method=self.method,
            )
        for prediction in predictions:
            yield lumas.pop(0), prediction["uv"]


def _open_checked(path):
    with Image.open(path) as image:
        check_image_size(*image.size, path)
    return images.open_rgb(path)


def colorize_image_file(colorizer, source, target):
    """Colours one image file into `target` (format from its extension), atomically."""
    rgb = _open_checked(source)
    (output,) = colorizer.colorize_frames([rgb])
    with files.atomic_write(target, suffix=pathlib.Path(target).suffix) as temporary:
        Image.fromarray(output).save(temporary)
    return target


def colorize_video_file(colorizer, source, target, progress=None):
    """Colours a video (file or frame folder written as mp4) keeping fps and audio; returns frames written."""
    info = video.probe(source)
    check_image_size(info.width, info.height, source)
    with video.VideoWriter(target, fps=info.fps, audio_from=source if info.has_audio else None) as writer:
        # Three stages overlap on the cores: decoding (a thread), prediction (this thread, in
        # TensorFlow), and joining full-resolution colour + encoding (a thread). Queues are short,
        # so memory stays flat however long the clip.
        frames = _read_ahead(video.read_frames(source), depth=PIPELINE_DEPTH)
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as encoder:
            pending = collections.deque()

            def encode(luma, uv):
                writer.write(colorizer.join(luma, uv))

            def finish_oldest():
                pending.popleft().result()  # Re-raises an encoding error here.
                if progress is not None:
                    progress(1)

            for luma, uv in colorizer.predict_chroma_sequence(frames):
                pending.append(encoder.submit(encode, luma, uv))
                if len(pending) > PIPELINE_DEPTH:
                    finish_oldest()
            while pending:
                finish_oldest()
    return writer.frames_written


PIPELINE_DEPTH = 4


def _read_ahead(iterator, depth):
    """Yields `iterator`'s items, produced `depth` ahead in a thread; its errors are re-raised here."""
    items = queue.Queue(maxsize=depth)
    finished = object()
    stop = threading.Event()

    def produce():
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        items.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put((finished, None))
        except BaseException as error:  # Handed to the consumer, which raises it.
            items.put((finished, error))

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if item is finished:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()  # The consumer stopped early (an error, Ctrl-C): let the producer end.
        thread.join(timeout=5)


def is_frame_folder(folder):
    """True when a folder's images are numbered frames of one sequence (frame_0001.png, ...)."""
    names = [path.name for path in pathlib.Path(folder).iterdir() if path.suffix.lower() in images.IMAGE_EXTENSIONS]
    if len(names) < 2 or not all(re.search(r"\d", name) for name in names):
        return False
    return len({re.sub(r"\d+", "#", name) for name in names}) == 1


def default_output(source):
    """`photo.jpg` -> `photo_colorized.jpg`, `clip.mov` -> `clip_colorized.mp4`, `folder` -> `folder_colorized`."""
    source = pathlib.Path(source)
    if source.is_dir():
        return source.with_name(f"{source.name}_colorized")
    suffix = ".mp4" if video.is_video_file(source) else source.suffix
    return source.with_name(f"{source.stem}_colorized{suffix}")


def _check_target(target, overwrite):
    target = pathlib.Path(target)
    if target.exists() and not overwrite and not (target.is_dir() and not any(target.iterdir())):
        raise ValueError(f"{target} exists; pass --overwrite to replace it.")
    parent = target.parent if not target.is_dir() else target
    existing = next((folder for folder in [parent, *parent.parents] if folder.exists()), None)
    if existing is None or not existing.is_dir() or not _writable(existing):
        raise ValueError(f"Cannot write to {parent}: the folder is not writable.")


def _writable(folder):
    import os

    return os.access(folder, os.W_OK | os.X_OK)


@dataclasses.dataclass
class ColorizeReport:
    """What a `colorize` call wrote and what failed (folder runs continue past failures)."""

    outputs: list
    failures: list  # [(path, message)]
    frames: int = 0


def colorize(colorizer, source, target=None, overwrite=False, progress=None):
    """Colours an image, a folder of images, a video file or a folder of numbered frames.

    Args:
        colorizer: a `Colorizer`.
        source: path of the input.
        target: output path (default: `default_output(source)`): an image file, an mp4, or a
            folder for a folder of images. A folder of numbered frames becomes an mp4 at 30 fps.
        overwrite: replace an existing output.
        progress: optional callable receiving the number of frames just finished.

    Returns:
        A `ColorizeReport`. Raises `ValueError` with a one-line message for bad input.
    """
    source = pathlib.Path(source)
    if not source.exists():
        raise ValueError(f"{source} does not exist.")
    frame_folder = source.is_dir() and is_frame_folder(source)
    if target is None:
        target = default_output(source)
        if frame_folder:
            target = target.with_name(target.name + ".mp4")
    target = pathlib.Path(target)
    _check_target(target, overwrite)

    if video.is_video_file(source) or frame_folder:
        if target.suffix.lower() != ".mp4":
            raise ValueError(f"Video output must be an .mp4 file, got {target}.")
        frames = colorize_video_file(colorizer, source, target, progress)
        return ColorizeReport([target], [], frames)
    if source.is_dir():
        sources = images.find_images(source)
        outputs, failures = [], []
        for path in sources:
            destination = target / path.relative_to(source)
            try:
                _check_target(destination, overwrite)
                outputs.append(colorize_image_file(colorizer, path, destination))
            except Exception as error:  # One bad file must not stop the folder: report and go on.
                failures.append((str(path), str(error).splitlines()[0] if str(error) else type(error).__name__))
            if progress is not None:
                progress(1)
        return ColorizeReport(outputs, failures, len(outputs))
    if source.suffix.lower() not in images.IMAGE_EXTENSIONS:
        raise ValueError(f"{source} is neither an image ({', '.join(images.IMAGE_EXTENSIONS)}) nor a video "
                         f"({', '.join(video.VIDEO_EXTENSIONS)}).")
    try:
        colorize_image_file(colorizer, source, target)
    except (OSError, SyntaxError) as error:  # Pillow's ways of saying "not an image I can read".
        raise ValueError(f"{source} is not a readable image: {error}") from error
    if progress is not None:
        progress(1)
    return ColorizeReport([target], [], 1)
