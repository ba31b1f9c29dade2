"""Colorizing in one line of Python: `colornn_keras.colorize(image)` and `colorize_video(...)`.

Both take the command line's options as keywords (`colornn_keras.options.ColorizeOptions`), under
the same rules for which combine, and raise the project's errors (`colornn_keras.errors`) with
messages that name Python arguments. The models of a set of options load once per process.

    >>> import colornn_keras
    >>> rgb = colornn_keras.colorize("old_photo.jpg")            # RGB uint8, the photo's own size
    >>> colornn_keras.colorize_video("old_film.mp4", "old_film_colorized.mp4")
"""

import functools
import os
import pathlib
import re

import numpy as np
from PIL import Image

from colornn_keras import colorize_files
from colornn_keras import engines
from colornn_keras import errors
from colornn_keras import inference
from colornn_keras import precision
from colornn_keras import pretrained
from colornn_keras.data import keyframes as keyframe_pictures
from colornn_keras.data import pictures
from colornn_keras.data import video
from colornn_keras.data import video_encoding
from colornn_keras.models import flow_guided as flow_guided_models
from colornn_keras.options import ColorizeOptions
from colornn_keras.runs import loading


def make_colorizer(options, keyframes=False, frames=1, announce=None):
    """The `inference.Colorizer` of checked `ColorizeOptions`.

    Args:
        options: `ColorizeOptions` (call `check` first: this builds what they name).
        keyframes: whether the run is given keyframes (they run through the Keras models).
        frames: how many frames the run colours: `engines.for_work` weighs an engine's one-off
            export against them.
        announce: optional callable given the engine and the models before they load, to say
            that an export will take a while (the command line prints it).
    """
    dtype = precision.resolve_dtype_policy(options.precision)
    by_model = keyframes and options.propagation == "model"
    flow_guided_model = None
    if options.smooth_along_flow is not None:
        # Both ways, the plain weight was chosen on validation clips; one way, the occlusion-aware
        # one (experiments/2026-12-01_flow_smoothing_both_ways_128, 2026-11-30_flow_smoothing_block4_128).
        flow_guided_model = flow_guided_models.FlowSmoothingModel(
            options.smooth_along_flow, **({"mismatch_scale": None} if options.both_ways else {}))
    if options.flow_guided_run:
        color_model, flow_guided_model, _ = loading.load_flow_guided_run(options.flow_guided_run)
        consistency_model = None
    elif options.consistency_run:
        color_model, consistency_model, _ = loading.load_consistency_run(options.consistency_run)
    elif options.color_run:
        color_model, consistency_model = loading.load_color_run(options.color_run)[0], None
    elif by_model or options.consistency or options.model == "consistency":
        kind = "consistency" if by_model or options.consistency else options.model
        color_model, consistency_model = pretrained.load_shipped(kind, options.weights, dtype=dtype)
    else:
        color_model, consistency_model = pretrained.load_shipped("color", options.weights, dtype=dtype), None
    # Keyframes run through the Keras models (propagation reads their layers).
    engine = "tensorflow" if keyframes else options.engine
    exported = inference.engine_models(color_model, consistency_model, options.decoding)
    engine = engines.for_work(engine, exported, frames)
    if announce is not None:
        announce(engine, *exported)
    # Keyframes along the flow: the library's defaults where the options leave them.
    along_flow = {field: getattr(options, field) for field in ("flow_scale", "keyframe_blend", "keyframe_fill")
                  if getattr(options, field) is not None}
    return inference.Colorizer(color_model, consistency_model, method=options.decoding,
                               scene_cut_threshold=options.scene_cut_threshold, batch_size=options.batch_size,
                               engine=engine, keyframe_propagation=options.propagation,
                               flow_guided_model=flow_guided_model, both_ways=options.both_ways, **along_flow)


@functools.lru_cache(maxsize=2)
def _cached_colorizer(options, keyframes):
    return make_colorizer(options, keyframes)


# Command-line flags in messages from the shared code, as a Python caller writes them.
_SWITCHES = {"--overwrite": "overwrite=True", "--allow-truncated": "allow_truncated=True"}


def _in_python_terms(error):
    """The same error, its message naming Python arguments instead of command-line flags."""
    message = str(error)
    for flag, argument in _SWITCHES.items():
        message = message.replace(flag, argument)
    message = re.sub(r"--keyframe\b(?!-)", "keyframes", message)
    message = re.sub(r"--([a-z0-9]+(?:-[a-z0-9]+)*)", lambda match: match.group(1).replace("-", "_"), message)
    return type(error)(message)


def as_rgb(image, name="image"):
    """RGB uint8 (H, W, 3) from a path, a `PIL.Image`, or an array: (H, W), (H, W, 1), (H, W, 3) or
    (H, W, 4), uint8 or float in [0, 1]. An `InputError` naming `name` for anything else."""
    if isinstance(image, (str, os.PathLike)):
        path = pathlib.Path(image)
        if not path.is_file():
            raise errors.InputError(f"{name}: {path} {'is a folder' if path.is_dir() else 'does not exist'}; "
                                    "give an image file.")
        return pictures.read_image(path)
    if isinstance(image, Image.Image):
        image = np.asarray(image.convert("RGB"))
    if not isinstance(image, np.ndarray):
        raise errors.InputError(f"{name} must be a path, a PIL.Image or a NumPy array, got {type(image).__name__}.")
    if image.ndim == 3 and image.shape[2] in (1, 4):
        image = image[..., :1] if image.shape[2] == 1 else image[..., :3]  # Alpha does not colour.
    if image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    if image.ndim == 2:
        image = np.repeat(image[..., None], 3, axis=-1)  # Gray: its luma is itself.
    if image.ndim != 3 or image.shape[2] != 3:
        raise errors.InputError(f"{name} must be (H, W), (H, W, 1), (H, W, 3) or (H, W, 4), got shape {image.shape}.")
    if np.issubdtype(image.dtype, np.floating):
        if not (np.isfinite(image).all() and image.min() >= 0.0 and image.max() <= 1.0):
            raise errors.InputError(f"{name}: a float image must hold values in [0, 1], got "
                                    f"{np.nanmin(image):.3g} to {np.nanmax(image):.3g}.")
        image = np.round(image * 255.0).astype(np.uint8)
    elif image.dtype != np.uint8:
        raise errors.InputError(f"{name} must be uint8 or float in [0, 1], got {image.dtype}.")
    pictures.check_image_size(image.shape[1], image.shape[0], name)
    return np.ascontiguousarray(image)


def colorize(image, preset=None, **options):
    """Colours one image; returns RGB uint8 (H, W, 3) of its own size, with its own luma.

    Args:
        image: a path, a `PIL.Image`, or an array (gray or RGB, uint8 or float in [0, 1]).
        preset: a shipped color preset (`colornn presets`), or "paper"; None for the default.
        **options: as `colornn colorize`'s flags, spelled with underscores (`decoding="argmax"`,
            `precision="float32"`, `color_run=...`; see `ColorizeOptions`).
    """
    settings = ColorizeOptions.from_keywords(preset, **options).check(style="python")
    rgb = as_rgb(image)
    try:
        (colored,) = _cached_colorizer(settings, False).colorize_frames([rgb])
    except errors.ColorNNError as error:
        raise _in_python_terms(error) from None
    return colored


def colorize_video(source, output=None, keyframes=None, *, overwrite=False, progress=None, allow_truncated=False,
                   x264_preset=video_encoding.DEFAULT_X264_PRESET, crf=video_encoding.DEFAULT_CRF, preset=None,
                   **options):
    """Colours a video file or a folder of numbered frames into an mp4; returns its path.

    Args:
        source: a video file, or a folder of numbered frames.
        output: the .mp4 to write (default: `<source>_colorized.mp4` beside it).
        keyframes: {0-based frame index: a colour picture of that frame (path, `PIL.Image` or
            RGB array), any size}: their colours are carried along optical flow through their shots,
            at the video's own resolution (`flow_scale=1, 2 or 4`: the flow computed at full, half
            or quarter size; `keyframe_blend="nearest"`: between two keyframes, the nearer one's
            colours alone instead of both blended by confidence; `keyframe_fill="keyframe"` or
            `"flow"`: where the flow fails, the keyframe's colours matched by luma, or the colours
            carried, instead of the color model's).
        overwrite: replace an existing output.
        progress: optional callable given the number of frames just finished.
        allow_truncated: colour what a truncated video holds instead of refusing it.
        x264_preset, crf: the encoder's speed/size trade-off and quality.
        preset, **options: as `colorize`; video modes too (`smooth_along_flow=0.9, both_ways=True`,
            `consistency=True`, ...).
    """
    source = pathlib.Path(source)
    if not colorize_files.colored_as_video(source):
        raise errors.InputError(f"source: {source} is not a video file or a folder of numbered frames "
                                "(colorize() colours photos).")
    if keyframes is not None and not isinstance(keyframes, dict):
        raise errors.InputError("keyframes must be a dict {frame index: image}, got "
                                f"{type(keyframes).__name__}.")
    settings = ColorizeOptions.from_keywords(preset, **options).check(keyframes=bool(keyframes), style="python")
    try:
        if keyframes:  # Checked before the models load.
            keyframes = keyframe_pictures.read_keyframes({
                index: image if isinstance(image, (str, os.PathLike)) else as_rgb(image, f"keyframes[{index!r}]")
                for index, image in keyframes.items()})
            frame_count = video.probe(source, allow_truncated=allow_truncated).frame_count
            keyframe_pictures.check_keyframe_indices(keyframes, frame_count, source)
        report = colorize_files.colorize(_cached_colorizer(settings, bool(keyframes)), source, output, overwrite,
                                         progress, allow_truncated=allow_truncated, keyframes=keyframes or None,
                                    x264_preset=x264_preset, crf=crf)
    except errors.ColorNNError as error:
        raise _in_python_terms(error) from None
    return report.outputs[0]
