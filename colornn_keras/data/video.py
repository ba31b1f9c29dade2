"""Videos as streams of RGB frames: reading (files or folders of numbered frames), writing H.264
mp4 atomically with the source's audio, and detecting scene cuts.

Reading is a generator over imageio-ffmpeg's pipe, so memory does not grow with the video's
length. Decoding keeps every frame the container holds (no frame-rate conversion), which is
what a variable-frame-rate clip needs; `stride` keeps every k-th frame for the paper's
lower-frame-rate experiment.
"""

import contextlib
import dataclasses
import pathlib
import re
import subprocess

import imageio_ffmpeg
import numpy as np

from colornn_keras import files
from colornn_keras.data import images

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
# Total-variation distance of 64-bin luma histograms between consecutive frames above which a
# scene cut is declared. Measured on ../shared/data's clips: the two cuts of stock_beach_flyover
# score 0.42 and 0.45; no other frame pair of the flyover, surf or lake clips exceeds 0.06.
DEFAULT_SCENE_CUT_THRESHOLD = 0.25
HISTOGRAM_BINS = 64


@dataclasses.dataclass
class VideoInfo:
    """What is known about a video before decoding it."""

    path: str
    fps: float
    width: int
    height: int
    frame_count: int  # Frames in the container (or files in the folder).
    has_audio: bool
    is_frame_folder: bool


def is_video_file(path):
    return pathlib.Path(path).suffix.lower() in VIDEO_EXTENSIONS


def _natural_key(path):
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", path.name)]


def frame_files(folder):
    """Image files of a folder of numbered frames, in numeric order (frame2 before frame10)."""
    files = [path for path in pathlib.Path(folder).iterdir() if path.suffix.lower() in images.IMAGE_EXTENSIONS]
    if not files:
        raise ValueError(f"{folder} holds no frame images ({', '.join(images.IMAGE_EXTENSIONS)}).")
    return sorted(files, key=_natural_key)


def _ffmpeg_streams(path):
    """ffmpeg's description of a file's streams (its stderr for `ffmpeg -i`)."""
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path)],
        capture_output=True, text=True, timeout=60,
    )
    return result.stderr


def count_frames(path):
    """Frames of a video's first video stream, counted from its packets without decoding them."""
    result = subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-i", str(path), "-map", "0:v:0", "-c", "copy",
         "-f", "null", "-"], capture_output=True, text=True, timeout=300,
    )
    counts = re.findall(r"frame=\s*(\d+)", result.stderr)
    if result.returncode != 0 or not counts:
        raise ValueError(f"ffmpeg could not count the frames: {result.stderr.strip().splitlines()[-1:]}")
    return int(counts[-1])


def probe(path, fps_for_folders=30.0):
    """Reads a video's frame rate, size, frame count and whether it has audio.

    A folder of numbered frames has no frame rate of its own: `fps_for_folders` is used.
    """
    path = pathlib.Path(path)
    if path.is_dir():
        files = frame_files(path)
        height, width = images.open_rgb(files[0]).shape[:2]
        return VideoInfo(str(path), float(fps_for_folders), width, height, len(files), False, True)
    if not path.is_file():
        raise ValueError(f"{path} does not exist.")
    try:
        reader = imageio_ffmpeg.read_frames(str(path))
        metadata = next(reader)
        reader.close()
        frame_count = count_frames(path)
    except (RuntimeError, OSError, StopIteration, ValueError) as error:
        raise ValueError(f"{path} is not a readable video: {str(error).strip().splitlines()[0]}") from error
    if frame_count == 0:
        raise ValueError(f"{path} holds no video frames.")
    width, height = metadata["size"]
    has_audio = bool(re.search(r"Stream #\S+.*: Audio:", _ffmpeg_streams(path)))
    return VideoInfo(str(path), float(metadata["fps"]), width, height, int(frame_count), has_audio, False)


def read_frames(path, stride=1, max_frames=None):
    """Yields RGB uint8 frames (H, W, 3) of a video file or a folder of numbered frames.

    Args:
        path: video file or folder of frame images.
        stride: keep every `stride`-th frame (1: all).
        max_frames: stop after yielding this many frames (None: all).
    """
    if int(stride) != stride or stride < 1:
        raise ValueError(f"stride must be a positive integer, got {stride!r}.")
    path = pathlib.Path(path)
    if path.is_dir():
        source = (images.open_rgb(file) for file in frame_files(path))
    else:
        source = _read_video_file(path)
    yielded = 0
    for index, frame in enumerate(source):
        if max_frames is not None and yielded >= max_frames:
            break
        if index % stride == 0:
            yield frame
            yielded += 1


def _read_video_file(path):
    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        metadata = next(reader)
    except (RuntimeError, StopIteration) as error:
        raise ValueError(f"{path} is not a readable video: {error}") from error
    width, height = metadata["size"]
    try:
        for buffer in reader:
            yield np.frombuffer(buffer, np.uint8).reshape(height, width, 3)
    finally:
        reader.close()


class VideoWriter:
    """Writes RGB frames to an H.264 mp4, atomically, optionally with another file's audio.

    Frames go to a temporary file beside the target, renamed into place only when the writer
    closes without an error; an exception (or Ctrl-C) leaves no partial file. Odd sizes are
    padded by one edge pixel, since H.264's 4:2:0 chroma needs even sides. `preset` is x264's
    speed/size trade-off: "veryfast" encodes several times faster than the default "medium" for
    files a little larger, which matters when the encoder shares two cores with the model.

    Example:
        with VideoWriter("out.mp4", fps=29.97, audio_from="in.mp4") as writer:
            for frame in frames:
                writer.write(frame)
    """

    def __init__(self, path, fps, audio_from=None, quality=8, preset="veryfast"):
        self.path = pathlib.Path(path)
        self.fps, self.audio_from, self.quality, self.preset = float(fps), audio_from, quality, preset
        self._temporary = None
        self._generator = None
        self._size = None
        self.frames_written = 0

    def __enter__(self):
        self._stack = contextlib.ExitStack()
        self._temporary = self._stack.enter_context(files.atomic_write(self.path, suffix=".partial.mp4"))
        return self

    def write(self, frame):
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"Frames must be RGB uint8 (H, W, 3); got {frame.dtype} {frame.shape}.")
        height, width = frame.shape[:2]
        padded = np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
        if self._generator is None:
            self._size = (padded.shape[1], padded.shape[0])
            self._generator = imageio_ffmpeg.write_frames(
                str(self._temporary), self._size, fps=self.fps, codec="libx264", quality=self.quality,
                macro_block_size=1, pix_fmt_out="yuv420p", output_params=["-preset", self.preset, "-movflags", "+faststart"],
                audio_path=str(self.audio_from) if self.audio_from else None,
                audio_codec="aac" if self.audio_from else None,
            )
            self._generator.send(None)
        elif (padded.shape[1], padded.shape[0]) != self._size:
            raise ValueError(f"Frame size changed from {self._size} to {(padded.shape[1], padded.shape[0])}.")
        self._generator.send(np.ascontiguousarray(padded))
        self.frames_written += 1

    def __exit__(self, error_type, error, traceback):
        try:
            if self._generator is not None:
                self._generator.close()
            if error_type is None and self.frames_written == 0:
                raise ValueError(f"No frames were written to {self.path}.")
        except BaseException as failure:
            self._stack.__exit__(type(failure), failure, failure.__traceback__)
            raise
        return self._stack.__exit__(error_type, error, traceback)


def luma_histogram(frame):
    """Normalized 64-bin histogram of a frame's BT.601 luma."""
    luma = frame[..., 0] * 0.299 + frame[..., 1] * 0.587 + frame[..., 2] * 0.114
    counts, _ = np.histogram(luma, bins=HISTOGRAM_BINS, range=(0.0, 256.0))
    return counts / max(1, counts.sum())


def histogram_distance(first, second):
    """Total-variation distance (0: same histogram, 1: disjoint) between two frames' luma histograms."""
    return float(0.5 * np.abs(luma_histogram(first) - luma_histogram(second)).sum())


class SceneCutDetector:
    """Flags frames that start a new shot: a jump in the luma histogram above `threshold`."""

    def __init__(self, threshold=DEFAULT_SCENE_CUT_THRESHOLD):
        self.threshold = threshold
        self._previous = None

    def is_cut(self, frame):
        """True when `frame` starts a new shot (never for the first frame)."""
        histogram = luma_histogram(frame)
        cut = self._previous is not None and 0.5 * np.abs(histogram - self._previous).sum() > self.threshold
        self._previous = histogram
        return bool(cut)
