"""Colorizing images, folders and videos at their full resolution.

The models see luma at their own square size; their U and V are decoded there, resized back to
the source's size, and joined with the source's own full-resolution Y, so detail comes from the
original and never from an upscaled model input. Colour input is reduced to its luma first, so
any photo can be tried. Every output is written atomically and checked before it is put in
place: nothing half-written or unreadable is left. Bad inputs are `InputError`s, outputs that
cannot be written `OutputError`s, each one line naming the file.
"""

import collections
import concurrent.futures
import dataclasses
import pathlib
import queue
import threading

import numpy as np
from PIL import Image

from colornn_keras import colorspace
from colornn_keras import errors
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
        raise errors.InputError(f"{source} is {width}x{height}: too small to colorize (at least {MIN_SIDE}x{MIN_SIDE}).")
    if width * height > MAX_PIXELS:
        raise errors.InputError(f"{source} is {width}x{height}: larger than {MAX_PIXELS // 10**6} megapixels; "
                                "downscale it first.")


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


# Pillow's ways of saying it cannot read a file as an image.
_UNREADABLE_IMAGE = (OSError, SyntaxError, EOFError, Image.DecompressionBombError)


def read_image(path):
    """An image file as RGB uint8, of a size the models can colour; an `InputError` naming it if
    it is not a readable image."""
    try:
        with Image.open(path) as image:
            check_image_size(*image.size, path)
        return images.open_rgb(path)
    except _UNREADABLE_IMAGE as error:
        raise errors.InputError(f"{path} is not a readable image: {video.image_failure(path, error)}.") from error


def image_format(target):
    """The Pillow format `target`'s extension names; an `OutputError` if it names none Pillow writes."""
    Image.init()
    image_format = Image.registered_extensions().get(pathlib.Path(target).suffix.lower())
    if image_format not in Image.SAVE:
        raise errors.OutputError(f"{target} does not end in an image extension that can be written "
                                 f"({', '.join(images.IMAGE_EXTENSIONS)}).")
    return image_format


def save_image(rgb, target):
    """Writes RGB uint8 to `target` atomically; it replaces `target` only if it reads back whole."""
    target = pathlib.Path(target)
    image_format_name = image_format(target)
    with files.atomic_write(target, suffix=target.suffix) as temporary:
        try:
            Image.fromarray(rgb).save(temporary, format=image_format_name)
        except OSError as error:
            raise files.cannot_write(target, error) from error
        try:
            with Image.open(temporary) as written:
                written.load()
                size = written.size
        except _UNREADABLE_IMAGE as error:
            raise errors.OutputError(f"Cannot write {target}: it did not read back as an image.") from error
        if size != (rgb.shape[1], rgb.shape[0]):
            raise errors.OutputError(f"Cannot write {target}: it read back as {size[0]}x{size[1]}, "
                                     f"not {rgb.shape[1]}x{rgb.shape[0]}.")
    return target


def colorize_image_file(colorizer, source, target):
    """Colours one image file into `target` (format from its extension), atomically."""
    rgb = read_image(source)
    (output,) = colorizer.colorize_frames([rgb])
    return save_image(output, target)


def colorize_video_file(colorizer, source, target, progress=None, allow_truncated=False):
    """Colours a video (file or frame folder written as mp4) keeping fps and audio; returns frames written.

    A video cut short of the duration its header declares, or decoding to fewer frames than it
    holds, is an `InputError` unless `allow_truncated` (then a warning); nothing is written then.
    """
    info = video.probe(source, allow_truncated=allow_truncated)
    check_image_size(info.width, info.height, source)
    with video.VideoWriter(target, fps=info.fps, audio_from=source if info.has_audio else None) as writer:
        # Three stages overlap on the cores: decoding (a thread), prediction (this thread, in
        # TensorFlow), and joining full-resolution colour + encoding (a thread). Queues are short,
        # so memory stays flat however long the clip.
        frames = _read_ahead(
            video.read_frames(source, expected_frames=info.frame_count, allow_truncated=allow_truncated),
            depth=PIPELINE_DEPTH)
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


# Whether a folder is a video's numbered frames or a folder of photos (see `video.is_frame_folder`).
is_frame_folder = video.is_frame_folder


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
        raise errors.OutputError(f"{target} exists; pass --overwrite to replace it.")
    parent = target.parent if not target.is_dir() else target
    existing = next((folder for folder in [parent, *parent.parents] if folder.exists()), None)
    if existing is None or not existing.is_dir() or not _writable(existing):
        raise errors.OutputError(f"Cannot write to {parent}: the folder is not writable.")


def _writable(folder):
    import os

    return os.access(folder, os.W_OK | os.X_OK)


def _other_files(folder, colorized):
    """Files under `folder` that a folder run leaves alone (GIFs, notes, ...), hidden ones aside."""
    colorized = {pathlib.Path(path) for path in colorized}
    return sorted(path for path in pathlib.Path(folder).rglob("*")
                  if path.is_file() and path not in colorized
                  and not any(part.startswith(".") for part in path.relative_to(folder).parts))


@dataclasses.dataclass
class ColorizeReport:
    """What a `colorize` call wrote, what failed (folder runs continue past failures), and which
    files of a folder were not images it colours."""

    outputs: list
    failures: list  # [(path, message)]
    frames: int = 0
    skipped: list = dataclasses.field(default_factory=list)


def colorize(colorizer, source, target=None, overwrite=False, progress=None, allow_truncated=False):
    """Colours an image, a folder of images, a video file or a folder of numbered frames.

    Args:
        colorizer: a `Colorizer`.
        source: path of the input.
        target: output path (default: `default_output(source)`): an image file, an mp4, or a
            folder for a folder of images. A folder of numbered frames becomes an mp4 at 30 fps.
        overwrite: replace an existing output.
        progress: optional callable receiving the number of frames just finished.
        allow_truncated: colour what a truncated video holds, with a warning, instead of refusing it.

    Returns:
        A `ColorizeReport`. Raises an `InputError` or `OutputError` with a one-line message for
        a bad input or an output that cannot be written; nothing is left at the target then.
    """
    source = pathlib.Path(source)
    if not source.exists():
        raise errors.InputError(f"{source} does not exist.")
    frame_folder = source.is_dir() and is_frame_folder(source)
    if target is None:
        target = default_output(source)
        if frame_folder:
            target = target.with_name(target.name + ".mp4")
    target = pathlib.Path(target)
    _check_target(target, overwrite)

    if video.is_video_file(source) or frame_folder:
        if target.suffix.lower() != ".mp4":
            raise errors.OutputError(f"Video output must be an .mp4 file, got {target}.")
        frames = colorize_video_file(colorizer, source, target, progress, allow_truncated)
        return ColorizeReport([target], [], frames)
    if source.is_dir():
        sources = images.find_images(source)
        outputs, failures = [], []
        for path in sources:
            destination = target / path.relative_to(source)
            try:
                _check_target(destination, overwrite)
                outputs.append(colorize_image_file(colorizer, path, destination))
            except errors.ColorNNError as error:  # One bad file must not stop the folder: report and go on.
                failures.append((str(path), str(error)))
            if progress is not None:
                progress(1)
        return ColorizeReport(outputs, failures, len(outputs), [str(path) for path in _other_files(source, sources)])
    if source.suffix.lower() not in images.IMAGE_EXTENSIONS:
        raise errors.InputError(f"{source} is neither an image ({', '.join(images.IMAGE_EXTENSIONS)}) nor a video "
                                f"({', '.join(video.VIDEO_EXTENSIONS)}).")
    image_format(target)  # An output it cannot write is refused before the work.
    colorize_image_file(colorizer, source, target)
    if progress is not None:
        progress(1)
    return ColorizeReport([target], [], 1)
