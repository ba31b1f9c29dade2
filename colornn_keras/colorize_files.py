"""Colouring by path: an image, a folder of images, a video file or a folder of numbered frames,
each into the output its path names (`colorize`).

Every output is written atomically and checked before it is put in place: nothing half-written or
unreadable is left. Bad inputs are `InputError`s, outputs that cannot be written `OutputError`s,
each one line naming the file. The colours come from an `inference.Colorizer`, which this module
drives without importing (so that `inference.colorize` can name this module's `colorize`).
"""

import dataclasses
import os
import pathlib

from colornn_keras import errors
from colornn_keras.data import frame_folders
from colornn_keras.data import frame_timing
from colornn_keras.data import images
from colornn_keras.data import input_changes
from colornn_keras.data import keyframes as keyframe_pictures
from colornn_keras.data import pictures
from colornn_keras.data import video
from colornn_keras.data import video_encoding
from colornn_keras.data import video_pipeline


def colorize_image_file(colorizer, source, target, overwrite=True):
    """Colours one image file into `target` (format from its extension), atomically; without
    `overwrite`, never over a file another run placed at `target` while this one worked."""
    rgb = pictures.read_image(source)
    (output,) = colorizer.colorize_frames([rgb])
    return pictures.save_image(output, target, replace=overwrite)


def colorize_video_file(colorizer, source, target, progress=None, allow_truncated=False, keyframes=None,
                        x264_preset=video_encoding.DEFAULT_X264_PRESET, crf=video_encoding.DEFAULT_CRF, overwrite=True):
    """Colours a video (file or frame folder written as mp4) keeping fps and audio; returns frames written.

    A video cut short of the duration its header declares, or decoding to fewer frames than it
    holds, is an `InputError` unless `allow_truncated` (then a warning); nothing is written then.

    With `keyframes` ({0-based frame index: colour picture of that frame, an RGB uint8 array or
    an image path}) the video is coloured from them. Carried along the flow (the default,
    `Colorizer.predict_chroma_planes_along_flow`), at the output's own resolution, the frames stream
    through as below, while a second reading of the file runs ahead of them to each keyframe,
    for its run backwards. By the consistency model or a flow-guided model
    (`Colorizer.predict_chroma_planes_with_keyframes`), in two passes: the first reads every frame,
    predicts every frame's colours at model size and keeps them; the second reads the frames
    again and joins them with those colours at full resolution (in YUV where the file is, as
    below). So is a video smoothed along the flow both ways (`Colorizer.both_ways`). `progress`
    counts each frame of every pass, `colorizer.progress_total(frames, keyframes)` in all, so
    that a bar moves through the readings ahead too.

    Otherwise a video file coded in YUV (`VideoInfo.yuv_format`, nearly all) is coloured in YUV
    end to end: ffmpeg hands over its luma planes only, the model's U and V are resized to the
    chroma planes and coded in the source's matrix and range, and x264 gets the source's luma
    plane as it is (`Colorizer.chroma_planes`). Frame folders and RGB-coded videos are read as
    RGB frames' luma, their colours joined back into RGB.

    Each frame keeps its time (a variable-frame-rate clip's, `frame_timing.FrameTimes`), so the
    audio stays in step, and non-square pixels their shape (`VideoInfo.sample_aspect_ratio`). An
    input that changes during the run (`input_changes.check_unchanged`) is an `InputError`, and
    nothing is written.

    `x264_preset` and `crf` are x264's speed/size trade-off and constant-rate factor
    (`video_encoding.X264_PRESETS`; see `video_encoding.VideoWriter`). Without `overwrite`, the
    mp4 never replaces a file another run placed at `target` while this one worked: it is kept
    beside it instead, and an `OutputError` names both.
    """
    video_encoding.check_encoding(x264_preset, crf)
    # Before any reading: an input replaced or rewritten while this run reads it (twice, for
    # keyframes and both ways) would join one clip's luma to another's colours.
    identity = input_changes.input_identity(source)
    info = video.probe(source, allow_truncated=allow_truncated)
    pictures.check_image_size(info.width, info.height, source)
    along_flow = bool(keyframes) and colorizer.keyframe_propagation == "flow"  # Streams, read twice in step.
    whole_clip = not along_flow and (bool(keyframes) or colorizer.both_ways)  # Read twice: colours, then joined.
    yuv_format = info.yuv_format
    # A frame folder has no times of its own: it is written at a constant rate.
    frame_times = None if info.is_frame_folder else frame_timing.read_frame_times(source)

    def read_planes():
        # Decoding runs in a thread, overlapping prediction (or joining); the queue is short, so
        # memory stays flat however long the clip. RGB frames are read as their luma planes.
        if yuv_format is not None:
            return video_pipeline.read_ahead(video.read_luma_planes(info, allow_truncated),
                                             depth=video_pipeline.PIPELINE_DEPTH)
        frames = video.read_frames(source, expected_frames=info.frame_count, allow_truncated=allow_truncated)
        return map(pictures.luma, video_pipeline.read_ahead(frames, depth=video_pipeline.PIPELINE_DEPTH))

    if keyframes:
        colorizer.check_keyframe_model()
        keyframes = keyframe_pictures.read_keyframes(keyframes)
        keyframe_pictures.check_keyframe_indices(keyframes, info.frame_count, source)
        keyframe_pictures.warn_about_keyframes(keyframes, info.width, info.height)
    # One path, luma planes in and chroma out, for YUV videos and RGB frames alike (`yuv_format` None).
    if along_flow:
        pairs = colorizer.predict_chroma_planes_along_flow(read_planes, yuv_format, keyframes, progress, source)
    elif whole_clip:
        chroma = colorizer.predict_chroma_planes_with_keyframes(read_planes(), yuv_format, keyframes or {},
                                                                 progress, source)
        pairs = zip(video_pipeline.as_many_frames(read_planes(), len(chroma), source), chroma)
    else:
        pairs = colorizer.predict_chroma_planes(read_planes(), yuv_format)
    # The input is checked once the last reading is done, the encoder's of the audio included,
    # and before the output is placed: a changed input leaves nothing at `target`.
    with video_encoding.VideoWriter(target, fps=info.fps, audio_from=source if info.has_audio else None,
                                    crf=crf, preset=x264_preset, yuv_format=yuv_format, replace=overwrite,
                                    frame_times=frame_times, sample_aspect_ratio=info.sample_aspect_ratio,
                                    before_placing=lambda: input_changes.check_unchanged(source, identity)) as writer:
        def encode(luma, uv):
            if yuv_format is None:  # RGB frames' luma (H, W, 1).
                writer.write(colorizer.join(luma, uv))
            else:  # `luma` is the source's luma plane.
                writer.write_planes(luma, *colorizer.chroma_planes(luma, uv, yuv_format))

        # Joining full-resolution colour and encoding run in a thread, overlapping the prediction
        # (in TensorFlow, in this thread) and the decoding.
        video_pipeline.write_behind(pairs, encode, progress)
    return writer.frames_written


# Whether a folder is a video's numbered frames or a folder of photos (see `frame_folders.is_frame_folder`).
is_frame_folder = frame_folders.is_frame_folder
# How a folder of images may be coloured when the caller says (`colorize(folder_as=...)`).
FOLDER_KINDS = ("photos", "video")


def colored_as_video(source, folder_as=None):
    """Whether `source` is coloured as a video: a video file is, an image is not, and a folder of
    images is as `folder_as` says ("photos" or "video"), or, left None, when its images are
    numbered frames of one size (`is_frame_folder`).

    An `InputError` for "video" on a folder whose images differ in size, and for a `folder_as`
    that contradicts what a file is (a video file as photos, a photo as a video).
    """
    if folder_as not in (None, *FOLDER_KINDS):
        raise errors.ColorNNError(f"folder_as must be one of {', '.join(map(repr, FOLDER_KINDS))} or None, "
                                  f"got {folder_as!r}.")
    source = pathlib.Path(source)
    if not source.is_dir():
        is_video = video.is_video_file(source)
        if folder_as is not None and (folder_as == "video") != is_video:
            what = "a video file" if is_video else "not a video file"
            asked = "a video" if folder_as == "video" else "photos"
            raise errors.InputError(f"{source} is {what}, not a folder: it cannot be coloured as {asked}.")
        return is_video
    if folder_as is None:
        return is_frame_folder(source)
    if folder_as == "video":
        frame_folders.check_one_size(source)
    return folder_as == "video"


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


def check_output_name(source, target, frame_folder=None):
    """An `OutputError`, before any work, for an output whose name says another kind of output
    than `source` gives: a video's name for photos (they would be written to a folder, or an
    image, so named) or a folder for a video (an mp4 file).

    `frame_folder`: whether `source` is a folder of numbered frames, where already known.
    """
    source, target = pathlib.Path(source), pathlib.Path(target)
    if frame_folder is None:
        frame_folder = source.is_dir() and is_frame_folder(source)
    folder_like = target.is_dir() or not target.suffix
    if video.is_video_file(source) or frame_folder:
        if folder_like:
            what = "a video" if not frame_folder else "a folder of numbered frames, coloured as a video"
            name = "a folder" if target.is_dir() else "a folder's name (it has no extension)"
            raise errors.OutputError(f"{target} is {name}, but {source} is {what}: give an .mp4 file name.")
    elif source.is_dir():
        # A folder of photos is coloured into a folder: one named like a video (or an existing
        # file) would hold JPEGs under a name that says otherwise.
        if video.is_video_file(target) or target.is_file():
            name = "a file" if target.is_file() else "a video's name"
            raise errors.OutputError(f"{target} is {name}, but {source} is a folder of photos, coloured into a "
                                     "folder (a video's frames are numbered and all of one size): give a folder name.")
    elif source.suffix.lower() in images.IMAGE_EXTENSIONS and (video.is_video_file(target) or target.is_dir()):
        name = "a folder" if target.is_dir() else "a video's name"
        raise errors.OutputError(f"{target} is {name}, but {source} is a photo: give an image file name "
                                 f"({', '.join(images.IMAGE_EXTENSIONS)}).")


def _writable(folder):
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


def colorize(colorizer, source, target=None, overwrite=False, progress=None, allow_truncated=False, keyframes=None,
             x264_preset=video_encoding.DEFAULT_X264_PRESET, crf=video_encoding.DEFAULT_CRF, folder_as=None):
    """Colours an image, a folder of images, a video file or a folder of numbered frames.

    Args:
        colorizer: a `Colorizer`.
        source: path of the input.
        target: output path (default: `default_output(source)`): an image file, an mp4, or a
            folder for a folder of images. A folder of numbered frames becomes an mp4 at 30 fps.
        overwrite: replace an existing output. Without it, an output that another run placed
            while this one worked is not replaced either: this run's is kept beside it
            (`files.kept_name`) and an `OutputError` names both.
        progress: optional callable receiving the number of frames just finished.
        allow_truncated: colour what a truncated video holds, with a warning, instead of refusing it.
        keyframes: videos only: {0-based frame index: colour picture of that frame (an RGB uint8
            array or an image path), any size}. The video is coloured from them by the
            colorizer's consistency model (see `colorize_video_file`).
        x264_preset, crf: videos only: x264's speed/size trade-off ("veryfast"; "ultrafast" takes
            about 40% of its time for files 2.6 times as large) and constant-rate factor (23; lower
            is larger and closer to the frames), see `video_encoding.X264_PRESETS`.
        folder_as: folders only: "photos" colours a folder's images one by one into a folder,
            "video" colours its top-level images, in name order, into an mp4 (they must be of one
            size); None (the default) decides as `is_frame_folder` does: a video when they are
            named by frame number and all of one size (see `colored_as_video`).

    Returns:
        A `ColorizeReport`. Raises an `InputError` or `OutputError` with a one-line message for
        a bad input or an output that cannot be written; nothing is left at the target then. A
        target whose name says another kind of output (a video's name for photos, a folder for a
        video) is an `OutputError` before any work (`check_output_name`).
    """
    source = pathlib.Path(source)
    if not source.exists():
        raise errors.InputError(f"{source} does not exist.")
    frame_folder = colored_as_video(source, folder_as) and source.is_dir()
    if keyframes and not (video.is_video_file(source) or frame_folder):
        raise errors.InputError(f"{source} is not a video (or a folder of numbered frames): keyframes colour videos.")
    if keyframes:
        colorizer.check_keyframe_model()
    if target is None:
        target = default_output(source)
        if frame_folder:
            target = target.with_name(target.name + ".mp4")
    target = pathlib.Path(target)
    check_output_name(source, target, frame_folder)
    _check_target(target, overwrite)

    if video.is_video_file(source) or frame_folder:
        if target.suffix.lower() != ".mp4":
            raise errors.OutputError(f"Video output must be an .mp4 file, got {target}.")
        frames = colorize_video_file(colorizer, source, target, progress, allow_truncated, keyframes, x264_preset, crf,
                                     overwrite=overwrite)
        return ColorizeReport([target], [], frames)
    if source.is_dir():
        sources = images.find_images(source)
        outputs, failures = [], []
        for path in sources:
            destination = target / path.relative_to(source)
            try:
                _check_target(destination, overwrite)
                outputs.append(colorize_image_file(colorizer, path, destination, overwrite))
            except errors.ColorNNError as error:  # One bad file must not stop the folder: report and go on.
                failures.append((str(path), str(error)))
            if progress is not None:
                progress(1)
        return ColorizeReport(outputs, failures, len(outputs), [str(path) for path in _other_files(source, sources)])
    if source.suffix.lower() not in images.IMAGE_EXTENSIONS:
        raise errors.InputError(f"{source} is neither an image ({', '.join(images.IMAGE_EXTENSIONS)}) nor a video "
                                f"({', '.join(video.VIDEO_EXTENSIONS)}).")
    pictures.image_format(target)  # An output it cannot write is refused before the work.
    colorize_image_file(colorizer, source, target, overwrite)
    if progress is not None:
        progress(1)
    return ColorizeReport([target], [], 1)
