"""Reading a video, a file or a folder of numbered frames: what it is (`probe`), then its frames
as a stream of RGB frames (`read_frames`) or of the luma planes the file holds (`read_luma_planes`).

Colorizing a video file needs only its luma plane, which ffmpeg hands over as the file holds it;
RGB frames serve frame folders, evaluation and training. Reading is a generator over ffmpeg's
pipe, so memory does not grow with the video's length. Decoding keeps every frame the container
holds (no frame-rate conversion), which is what a variable-frame-rate clip needs; `stride` keeps
every k-th frame for the paper's lower-frame-rate experiment. A damaged input (not a video, no
video stream, no frames, cut short) is an `InputError` before any work.

Writing is `video_encoding`; how the planes code colour, `yuv`; the frames' times, `frame_timing`.
"""

import contextlib
import dataclasses
import fractions
import logging
import pathlib
import re
import subprocess
import tempfile
import warnings

import imageio_ffmpeg
import numpy as np

from colornn_keras import errors
from colornn_keras.data import clean_aperture
from colornn_keras.data import ffmpeg_scan
from colornn_keras.data import frame_folders
from colornn_keras.data import yuv

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
# How far a complete file's streams may end before the duration its header declares: copying
# packets stops at the last packet's time, a few frames early with B-frames (0.08 s for a
# complete 25 fps H.264 mp4). A shortfall beyond max(seconds, frames / fps) is a truncation.
TRUNCATION_TOLERANCE_SECONDS = 0.25
TRUNCATION_TOLERANCE_FRAMES = 3


@dataclasses.dataclass
class VideoInfo:
    """What is known about a video before decoding it."""

    path: str
    fps: float
    width: int
    height: int
    frame_count: int  # Frames the container shows (a trimmed clip's pre-roll left out), or files in the folder.
    has_audio: bool
    is_frame_folder: bool
    # How the file's planes code colour, where it is YUV in a matrix `yuv.YuvFormat` converts to;
    # None for frame folders and RGB-coded or other videos, which are read as RGB.
    yuv_format: "yuv.YuvFormat" = None
    # The shape of a pixel, width over height, where the stream states one that is not square
    # (12/11 for a 4:3 picture coded at 704x576); None for square pixels or none stated.
    sample_aspect_ratio: fractions.Fraction = None
    # What the container crops off the coded picture, where it crops any: an odd size's pad
    # (`clean_aperture`), applied exactly as the frames are read. `width` and `height` are the cropped.
    crop: "clean_aperture.Crop" = None


def is_video_file(path):
    return pathlib.Path(path).suffix.lower() in VIDEO_EXTENSIONS


def _check_complete(path, scan, fps, allow_truncated):
    """An `InputError` (a warning with `allow_truncated`) when the streams end before the duration
    the header declares."""
    declared = scan.duration()
    if not declared or scan.seconds is None:
        return
    if scan.seconds >= declared - max(TRUNCATION_TOLERANCE_SECONDS, TRUNCATION_TOLERANCE_FRAMES / fps):
        return
    declared_frames = round(declared * fps)
    message = (f"{path} is truncated: its header declares {declared:.2f} s (about {declared_frames} frames at "
               f"{fps:g} fps) but the file holds {scan.seconds:.2f} s ({scan.frames} frames)")
    if not allow_truncated:
        raise errors.InputError(f"{message}; pass --allow-truncated to colour what is there.")
    warnings.warn(f"{message}; going on with what is there.", errors.ColorNNWarning, stacklevel=3)


def probe(path, fps_for_folders=30.0, allow_truncated=False):
    """Reads a video's frame rate, size, frame count and whether it has audio.

    A folder of numbered frames has no frame rate of its own: `fps_for_folders` is used; every
    frame's header is read, so a damaged or odd-sized frame is reported before any work. A file
    must be a video ffmpeg reads, with a video stream, holding frames, and not cut short of the
    duration its header declares (with `allow_truncated`, a warning says how much is missing).
    Each is an `InputError` of its own.

    A clip its display matrix turns (a phone's) is read turned, as players show it: its width and
    height are the turned frames', which are written so, with no matrix left to turn them again.
    A clip whose container crops its coded picture (the pad of an odd size, `clean_aperture`) is
    read cropped, to the pixel, as the players that honour the crop show it.
    """
    path = pathlib.Path(path)
    if path.is_dir():
        paths = frame_folders.frame_files(path)
        width, height = frame_folders.check_frames(paths)
        return VideoInfo(str(path), float(fps_for_folders), width, height, len(paths), False, True)
    if not path.is_file():
        raise errors.InputError(f"{path} does not exist.")
    if path.stat().st_size == 0:
        raise errors.InputError(f"{path} is empty (0 bytes), not a video.")
    scan = ffmpeg_scan.scan(path)
    if not scan.streams(r"\w+"):
        if re.search(r"^Input #", scan.header, re.MULTILINE):  # Read, and describing no stream (an mp4 with no track).
            raise errors.InputError(f"{path} has no video stream (it holds no streams at all).")
        raise errors.InputError(f"{path} is not a video ffmpeg can read: {scan.reason(path)}.")
    if not scan.streams("Video"):
        kinds = sorted({kind.lower() for kind in re.findall(r"Stream #\S+.*: (\w+):", scan.header)})
        raise errors.InputError(f"{path} has no video stream (only {', '.join(kinds)}).")
    if scan.returncode != 0 or scan.frames == 0:
        if scan.returncode != 0:
            reason = f" ({scan.reason(path)})"
        elif scan.duration():
            reason = f": its header declares {scan.duration():.2f} s, so the file is cut short"
        else:
            reason = ""
        raise errors.InputError(f"{path} has a video stream but no frames{reason}.")
    crop = _container_crop(scan.header)
    try:
        reader = imageio_ffmpeg.read_frames(str(path), input_params=clean_aperture.DECODER_OPTIONS if crop else None)
        with _turned_frames_unremarked():
            metadata = next(reader)
        reader.close()
    except (RuntimeError, OSError, StopIteration) as error:
        raise errors.InputError(f"{path} is not a video ffmpeg can decode: {scan.reason(path)}.") from error
    fps = float(metadata["fps"])
    _check_complete(path, scan, fps, allow_truncated)
    width, height = metadata["size"]
    if crop:
        width, height = width - crop.left - crop.right, height - crop.top - crop.bottom
    return VideoInfo(str(path), fps, width, height, scan.frames, bool(scan.streams("Audio")), False,
                     yuv.YuvFormat.from_header(scan.header, width, height), _sample_aspect_ratio(scan.header), crop)


class _FrameSizeNotice(logging.Filter):
    """Drops imageio-ffmpeg's warning that the frames it reads are not of the stream's coded size."""

    def filter(self, record):
        return not record.getMessage().startswith("The frame size for reading")


@contextlib.contextmanager
def _turned_frames_unremarked():
    """Keeps imageio-ffmpeg from logging that a clip's frames differ in size from its stream (two
    stray lines on the terminal for each phone clip): nothing here asks ffmpeg for another size,
    so they differ only where ffmpeg turns a clip its display matrix turns, as players do, and
    `probe` reports the turned size."""
    logger, notice = logging.getLogger("imageio_ffmpeg"), _FrameSizeNotice()
    logger.addFilter(notice)
    try:
        yield
    finally:
        logger.removeFilter(notice)


def _container_crop(header):
    """The `clean_aperture.Crop` the container states in `header`, to be applied exactly; None where
    it states none, or turns the picture too (ffmpeg then crops it, to even sides, and turns it)."""
    if re.search(r"(?i)display ?matrix", header):
        return None
    return clean_aperture.from_header(header)


def _sample_aspect_ratio(header):
    """The pixel shape (width over height) of the first video stream ffmpeg describes in `header`
    ("... 704x576 [SAR 12:11 DAR 4:3]"), as its frames are decoded; None for square or unstated."""
    match = re.search(r"Stream #\S+.*?: Video: .*?\[SAR (\d+):(\d+) DAR", header)
    if match is None or int(match[1]) == 0 or int(match[2]) == 0:
        return None
    ratio = fractions.Fraction(int(match[1]), int(match[2]))
    # ffmpeg turns a picture its display matrix rotates by a quarter turn as it decodes it, and its
    # pixels with it: a 12:11 pixel on its side is 11:12.
    rotation = re.search(r"(?i)display ?matrix: rotation of (-?\d+(?:\.\d+)?) degrees", header)
    if rotation is not None and round(float(rotation[1])) % 180 == 90:
        ratio = 1 / ratio
    return None if ratio == 1 else ratio


def read_frames(path, stride=1, max_frames=None, expected_frames=None, allow_truncated=False):
    """Yields RGB uint8 frames (H, W, 3) of a video file or a folder of numbered frames.

    Args:
        path: video file or folder of frame images.
        stride: keep every `stride`-th frame (1: all).
        max_frames: stop after yielding this many frames (None: all).
        expected_frames: the frames a file holds (`VideoInfo.frame_count`): decoding fewer is an
            `InputError` at the end, or a warning with `allow_truncated`.
    """
    if int(stride) != stride or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}.")
    path = pathlib.Path(path)
    if path.is_dir():
        source = (frame_folders.read_frame(file) for file in frame_folders.frame_files(path))
    else:
        source = _read_video_file(path, expected_frames, allow_truncated)
    yielded = 0
    for index, frame in enumerate(source):
        if max_frames is not None and yielded >= max_frames:
            break
        if index % stride == 0:
            yield frame
            yielded += 1


def _read_video_file(path, expected_frames=None, allow_truncated=False):
    # Every frame as the file holds it: imageio's image pipe alone is made constant-rate by
    # ffmpeg, repeating and dropping frames of a variable-frame-rate clip.
    crop = _container_crop(ffmpeg_scan.header(path))
    reader = imageio_ffmpeg.read_frames(str(path), input_params=clean_aperture.DECODER_OPTIONS if crop else None,
                                        output_params=["-fps_mode", "passthrough"])
    try:
        with _turned_frames_unremarked():
            metadata = next(reader)
    except (RuntimeError, OSError, StopIteration) as error:
        reader.close()
        raise errors.InputError(f"{path} is not a readable video: {str(error).strip().splitlines()[0]}.") from error
    width, height = metadata["size"]
    decoded = 0
    try:
        for buffer in reader:
            frame = np.frombuffer(buffer, np.uint8).reshape(height, width, 3)
            yield crop.apply(frame) if crop else frame
            decoded += 1
    except RuntimeError as error:  # imageio-ffmpeg's "Could not read frame": the data ends mid-frame.
        raise errors.InputError(f"{path} stops decoding after frame {decoded}: it is damaged or truncated.") from error
    finally:
        reader.close()
    if expected_frames is not None and decoded < expected_frames:
        message = f"{path} decodes to {decoded} of the {expected_frames} frames it holds"
        if not allow_truncated:
            raise errors.InputError(f"{message}: it is damaged; pass --allow-truncated to keep what decodes.")
        warnings.warn(f"{message}; kept those.", errors.ColorNNWarning, stacklevel=2)


def read_luma_planes(info, allow_truncated=False):
    """Yields the luma plane (H, W) uint8 of every frame of a YUV video file, as the file holds it.

    Only the luma is decoded into the pipe: colorizing replaces the chroma. 8-bit planar formats
    (`yuv.YuvFormat.luma_untouched`) arrive bit for bit; others are converted to 8 bits by ffmpeg.

    Args:
        info: the file's `VideoInfo` (from `probe`), with a `yuv_format`.
        allow_truncated: a file that decodes to fewer frames than `info.frame_count` is an
            `InputError` at the end, or a warning with this, as with `read_frames`.
    """
    if info.yuv_format is None:
        raise ValueError(f"{info.path} is not read as YUV planes (VideoInfo.yuv_format is None).")
    path, width, height, crop = info.path, info.width, info.height, info.crop
    if crop:  # Decoded whole, then cropped here: ffmpeg would crop to even sides.
        width, height = width + crop.left + crop.right, height + crop.top + crop.bottom
    # Every decoded frame as it is (no frame-rate conversion), like `read_frames`.
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error",
               *(clean_aperture.DECODER_OPTIONS if crop else []), "-i", str(path),
               "-map", "0:v:0", "-vf", info.yuv_format.read_filter(), "-fps_mode", "passthrough",
               "-f", "rawvideo", "-pix_fmt", "gray", "-"]
    frame_bytes = width * height
    with tempfile.TemporaryFile() as log:
        # Its own process group: a Ctrl-C meant for us must not end the decoder mid-frame first.
        decoder = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, start_new_session=True)
        decoded = 0
        try:
            while buffer := decoder.stdout.read(frame_bytes):
                if len(buffer) < frame_bytes:
                    raise errors.InputError(f"{path} stops decoding after frame {decoded}: it is damaged or truncated.")
                plane = np.frombuffer(buffer, np.uint8).reshape(height, width)
                yield crop.apply(plane) if crop else plane
                decoded += 1
            returncode = decoder.wait()
        finally:  # Also when the consumer stops early: the decoder must not outlive the reading.
            if decoder.poll() is None:
                decoder.kill()
                decoder.wait()
            decoder.stdout.close()
        if decoded == 0 and returncode != 0:
            log.seek(0)
            lines = log.read().decode(errors="replace").strip().splitlines() or [f"ffmpeg exit status {returncode}"]
            raise errors.InputError(f"{path} is not a readable video: {lines[0]}.")
    if info.frame_count is not None and decoded < info.frame_count:
        message = f"{path} decodes to {decoded} of the {info.frame_count} frames it holds"
        if not allow_truncated:
            raise errors.InputError(f"{message}: it is damaged; pass --allow-truncated to keep what decodes.")
        warnings.warn(f"{message}; kept those.", errors.ColorNNWarning, stacklevel=2)

