"""Videos as streams of RGB frames: reading (files or folders of numbered frames), writing H.264
mp4 atomically with the source's audio, and detecting scene cuts.

Reading is a generator over imageio-ffmpeg's pipe, so memory does not grow with the video's
length. Decoding keeps every frame the container holds (no frame-rate conversion), which is
what a variable-frame-rate clip needs; `stride` keeps every k-th frame for the paper's
lower-frame-rate experiment. A damaged input (not a video, no video stream, no frames, cut short)
is an `InputError` before any work; an output the encoder failed to finish, or that does not
hold every frame sent, is an `OutputError` and never replaces anything.
"""

import contextlib
import dataclasses
import fractions
import pathlib
import re
import signal
import subprocess
import tempfile
import warnings

import imageio_ffmpeg
import numpy as np
from PIL import Image

from colornn_keras import defaults
from colornn_keras import errors
from colornn_keras import files
from colornn_keras.data import images

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
# Total-variation distance of 64-bin luma histograms between consecutive frames above which a
# scene cut is declared. Measured on ../shared/data's clips: the two cuts of stock_beach_flyover
# score 0.42 and 0.45; no other frame pair of the flyover, surf or lake clips exceeds 0.06.
DEFAULT_SCENE_CUT_THRESHOLD = defaults.DEFAULT_SCENE_CUT_THRESHOLD
HISTOGRAM_BINS = 64
# x264's constant-rate factor for written videos: its own default. On two clips of
# ../shared/data (720p and 640x352, preset veryfast) it kept the video stream at 0.9x and 1.2x the
# source's bitrate; the CRF 10 written before (imageio-ffmpeg's quality 8) made it 4-6x.
DEFAULT_CRF = 23
# Audio codecs an mp4 holds as they are, which common players read there: copied, not re-encoded.
# Others (Vorbis, PCM, MP2, ...) are re-encoded to AAC at REENCODED_AUDIO_BITRATE.
MP4_AUDIO_CODECS = ("aac", "mp3", "alac", "ac3", "eac3", "opus", "flac")
REENCODED_AUDIO_BITRATE = "192k"
# How far a complete file's streams may end before the duration its header declares: copying
# packets stops at the last packet's time, a few frames early with B-frames (0.08 s for a
# complete 25 fps H.264 mp4). A shortfall beyond max(seconds, frames / fps) is a truncation.
TRUNCATION_TOLERANCE_SECONDS = 0.25
TRUNCATION_TOLERANCE_FRAMES = 3
# Camera file names number photos, not the frames of one shot: IMG_0001.jpg (phones, Canon),
# DSC01234 / DSC_0001 / DSCN0001 / DSCF0001 (Sony, Nikon, Fujifilm), GOPR0001 / GH010001 (GoPro),
# DJI_0001, MVI_0001, SAM_0001, IMGP0001 (Pentax), CIMG0001 (Casio), PICT0001, PXL_... (Pixel).
CAMERA_PREFIX = re.compile(r"_?(img[_-]|dsc[_fn]?|pxl_|gopr|gh|gx|dji_|mvi_|sam_|imgp|cimg|pict)", re.IGNORECASE)


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


def _image_files(folder):
    return [path for path in pathlib.Path(folder).iterdir()
            if path.suffix.lower() in images.IMAGE_EXTENSIONS and not path.name.startswith(".")]


def _named_as_frames(paths):
    """True when the names number the frames of one sequence: all digits (00001.jpg), or one
    shared prefix without digits before the number (frame_0001.png) that is not a camera's."""
    stems = [path.stem for path in paths]
    if all(stem.isdigit() for stem in stems):
        return True
    # A prefix with digits is most often a date (20240101_120000.jpg, PXL_20240101_...): photos.
    matches = [re.fullmatch(r"(\D+)(\d+)", stem) for stem in stems]
    if not all(matches):
        return False
    prefixes = {match.group(1) for match in matches}
    return len(prefixes) == 1 and not CAMERA_PREFIX.fullmatch(prefixes.pop())


def is_frame_folder(folder):
    """True when a folder's images are numbered frames of one sequence, all of one size.

    Anything else (camera names such as IMG_0001.jpg, mixed names, mixed sizes) is a folder of
    photos. A frame that cannot be read does not decide: reading it reports it by name.
    """
    paths = _image_files(folder)
    if len(paths) < 2 or not _named_as_frames(paths):
        return False
    sizes = set()
    for path in paths:
        try:
            with Image.open(path) as image:
                sizes.add(image.size)
        except (OSError, SyntaxError):
            continue
        if len(sizes) > 1:
            return False
    return True


def frame_files(folder):
    """Image files of a folder of numbered frames, in numeric order (frame2 before frame10)."""
    paths = _image_files(folder)
    if not paths:
        raise errors.InputError(f"{folder} holds no frame images ({', '.join(images.IMAGE_EXTENSIONS)}).")
    return sorted(paths, key=_natural_key)


def image_failure(path, error):
    """Why Pillow could not read `path`, in words that do not repeat the path."""
    path = pathlib.Path(path)
    with contextlib.suppress(OSError):
        if path.stat().st_size == 0:
            return "the file is empty (0 bytes)"
    if isinstance(error, Image.UnidentifiedImageError):
        return "not an image format Pillow can read, or damaged"
    return str(error).replace(f"'{path}'", "").strip() or type(error).__name__


def _read_frame(path):
    try:
        return images.open_rgb(path)
    except (OSError, SyntaxError, EOFError, Image.DecompressionBombError) as error:
        raise errors.InputError(f"Frame {path} is not a readable image: {image_failure(path, error)}.") from error


def _check_frames(paths):
    """Every frame's header readable and of the first frame's size; an `InputError` naming the
    first that is not. Returns (width, height)."""
    size = None
    for path in paths:
        try:
            with Image.open(path) as image:
                frame_size = image.size
        except (OSError, SyntaxError) as error:
            raise errors.InputError(f"Frame {path} is not a readable image: {image_failure(path, error)}.") from error
        if size is not None and frame_size != size:
            raise errors.InputError(f"Frame {path} is {frame_size[0]}x{frame_size[1]}, but {paths[0].name} is "
                                    f"{size[0]}x{size[1]}: the frames of a video have one size.")
        size = frame_size
    return size


@dataclasses.dataclass
class _Scan:
    """What one pass of ffmpeg over a file's packets found."""

    header: str  # ffmpeg's description of the input, up to its streams.
    log: str  # Everything ffmpeg said on stderr.
    frames: int  # Video frames (packets, or decoded frames) it went through.
    seconds: float  # Time reached, in seconds (None: none).
    returncode: int

    def duration(self):
        """The duration the header declares, in seconds (None: not stated)."""
        match = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", self.header)
        return None if match is None else int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3])

    def streams(self, kind):
        return re.findall(rf"Stream #\S+.*: {kind}:", self.header)

    def reason(self, path):
        """ffmpeg's first complaint, without its component tags or the file's path."""
        lines = [re.sub(r"^\[[^\]]*\]\s*", "", line).strip() for line in self.log.splitlines()]
        lines = [line for line in lines if line and not line.startswith(("Input #", "Error opening input file"))
                 and "misdetection possible" not in line]
        return (lines[0] if lines else f"ffmpeg exit status {self.returncode}").replace(str(path), pathlib.Path(path).name)


def _scan(path, decode=False):
    """Runs ffmpeg over a file's first video stream (and its audio, so that a complete file's
    time reaches its declared duration): copying packets, or decoding every frame."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-progress", "pipe:1"]
    if decode:
        command += ["-v", "error", "-i", str(path), "-map", "0:v:0"]
    else:
        command += ["-i", str(path), "-map", "0:v:0", "-map", "0:a?", "-c", "copy"]
    result = subprocess.run([*command, "-f", "null", "-"], capture_output=True, text=True, errors="replace")
    frames = re.findall(r"^frame=(\d+)$", result.stdout, re.MULTILINE)
    times = re.findall(r"^out_time_us=(-?\d+)$", result.stdout, re.MULTILINE)
    header = re.split(r"^(?:Stream mapping:|Output #0)", result.stderr, maxsplit=1, flags=re.MULTILINE)[0]
    return _Scan(header, result.stderr, int(frames[-1]) if frames else 0,
                 int(times[-1]) / 1e6 if times else None, result.returncode)


def count_frames(path):
    """Frames of a video's first video stream, counted from its packets without decoding them."""
    scan = _scan(path)
    if scan.returncode != 0:
        raise errors.InputError(f"{path} is not a readable video: {scan.reason(path)}.")
    return scan.frames


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
    """
    path = pathlib.Path(path)
    if path.is_dir():
        paths = frame_files(path)
        width, height = _check_frames(paths)
        return VideoInfo(str(path), float(fps_for_folders), width, height, len(paths), False, True)
    if not path.is_file():
        raise errors.InputError(f"{path} does not exist.")
    if path.stat().st_size == 0:
        raise errors.InputError(f"{path} is empty (0 bytes), not a video.")
    scan = _scan(path)
    if not scan.streams(r"\w+"):
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
    try:
        reader = imageio_ffmpeg.read_frames(str(path))
        metadata = next(reader)
        reader.close()
    except (RuntimeError, OSError, StopIteration) as error:
        raise errors.InputError(f"{path} is not a video ffmpeg can decode: {scan.reason(path)}.") from error
    fps = float(metadata["fps"])
    _check_complete(path, scan, fps, allow_truncated)
    width, height = metadata["size"]
    return VideoInfo(str(path), fps, width, height, scan.frames, bool(scan.streams("Audio")), False)


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
        source = (_read_frame(file) for file in frame_files(path))
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
    reader = imageio_ffmpeg.read_frames(str(path))
    try:
        metadata = next(reader)
    except (RuntimeError, OSError, StopIteration) as error:
        reader.close()
        raise errors.InputError(f"{path} is not a readable video: {str(error).strip().splitlines()[0]}.") from error
    width, height = metadata["size"]
    decoded = 0
    try:
        for buffer in reader:
            yield np.frombuffer(buffer, np.uint8).reshape(height, width, 3)
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


def audio_codec(path):
    """The codec of a file's first audio stream, as ffmpeg names it ("aac", "mp3", ...), or None."""
    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                            capture_output=True, text=True, errors="replace")
    match = re.search(r"Stream #\S+.*: Audio: (\w+)", result.stderr)
    return match[1] if match else None


class VideoWriter:
    """Writes RGB frames to an H.264 mp4, atomically, optionally with another file's audio.

    Frames go to a temporary file beside the target. It is renamed into place only when the
    writer closes without an error, the encoder (ffmpeg) exits cleanly, and the file decodes to
    exactly the frames sent; otherwise it is removed and an `OutputError` names the target (a
    full disk, for one). Odd sizes are padded by one edge pixel, since H.264's 4:2:0 chroma
    needs even sides. `preset` is x264's speed/size trade-off: "veryfast" encodes several times
    faster than the default "medium" for files a little larger, which matters when the encoder
    shares two cores with the model. `crf` is x264's constant-rate factor (lower: larger files,
    closer to the frames sent). The audio of `audio_from` is copied as it is where the mp4 holds
    its codec (`MP4_AUDIO_CODECS`), else re-encoded to AAC.

    Example:
        with VideoWriter("out.mp4", fps=29.97, audio_from="in.mp4") as writer:
            for frame in frames:
                writer.write(frame)
    """

    def __init__(self, path, fps, audio_from=None, crf=DEFAULT_CRF, preset="veryfast"):
        self.path = pathlib.Path(path)
        self.fps, self.audio_from, self.crf, self.preset = float(fps), audio_from, crf, preset
        self._temporary = None
        self._encoder = None
        self._encoder_log = None
        self._size = None
        self.frames_written = 0

    def __enter__(self):
        self._stack = contextlib.ExitStack()
        self._temporary = self._stack.enter_context(files.atomic_write(self.path, suffix=".mp4"))
        return self

    def _encoder_command(self):
        """ffmpeg reading raw RGB frames on stdin, writing H.264 and the source's audio."""
        fps = fractions.Fraction(self.fps).limit_denominator()
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-nostdin", "-v", "error", "-f", "rawvideo",
                   "-pix_fmt", "rgb24", "-s", f"{self._size[0]}x{self._size[1]}", "-r", str(fps), "-i", "-"]
        if self.audio_from:
            copied = audio_codec(self.audio_from) in MP4_AUDIO_CODECS
            audio = ["-c:a", "copy"] if copied else ["-c:a", "aac", "-b:a", REENCODED_AUDIO_BITRATE]
            command += ["-i", str(self.audio_from), "-map", "0:v:0", "-map", "1:a:0", *audio]
        return [*command, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-crf", str(self.crf), "-preset", self.preset,
                "-movflags", "+faststart", "-f", "mp4", str(self._temporary)]

    def write(self, frame):
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"Frames must be RGB uint8 (H, W, 3); got {frame.dtype} {frame.shape}.")
        height, width = frame.shape[:2]
        padded = np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
        if self._encoder is None:
            self._size = (padded.shape[1], padded.shape[0])
            # The encoder's messages go to a file, read only to explain a failure; its own process
            # group keeps a Ctrl-C meant for us from cutting it short before we remove its file.
            self._encoder_log = tempfile.TemporaryFile()
            self._encoder = subprocess.Popen(self._encoder_command(), stdin=subprocess.PIPE,
                                             stdout=subprocess.DEVNULL, stderr=self._encoder_log,
                                             start_new_session=True)
        elif (padded.shape[1], padded.shape[0]) != self._size:
            raise ValueError(f"Frame size changed from {self._size} to {(padded.shape[1], padded.shape[0])}.")
        try:
            self._encoder.stdin.write(np.ascontiguousarray(padded).tobytes())
        except OSError:  # The encoder has stopped (a full disk, for one): say why.
            raise self._encoder_failure() from None
        self.frames_written += 1

    def _encoder_failure(self):
        with contextlib.suppress(OSError):
            self._encoder.stdin.close()
        returncode = self._encoder.wait()
        self._encoder_log.seek(0)
        log = self._encoder_log.read().decode(errors="replace").replace(str(self._temporary), str(self.path))
        lines = [re.sub(r"^\[[^\]]*\]\s*", "", line).strip() for line in log.splitlines() if line.strip()]
        if returncode < 0:
            reason = f"ffmpeg was stopped by {signal.Signals(-returncode).name} ({signal.strsignal(-returncode)})"
        else:
            reason = f"ffmpeg exited with status {returncode}"
        detail = f" ({lines[-1]})" if lines else ""
        return errors.OutputError(f"Cannot write {self.path}: {reason}{detail}.")

    def _finish(self):
        """Ends the encoder; an `OutputError` unless it exits cleanly with every frame in the file."""
        self._encoder.stdin.close()
        if self._encoder.wait() != 0:
            raise self._encoder_failure()
        check = _scan(self._temporary, decode=True)
        if check.returncode != 0 or check.frames != self.frames_written:
            raise errors.OutputError(f"Cannot write {self.path}: it came out holding {check.frames} of the "
                                     f"{self.frames_written} frames written.")

    def _stop_encoder(self):
        if self._encoder is not None and self._encoder.poll() is None:
            self._encoder.kill()
            self._encoder.wait()
        if self._encoder_log is not None:
            self._encoder_log.close()

    def __exit__(self, error_type, error, traceback):
        try:
            if error_type is None:
                if self.frames_written == 0:
                    raise ValueError(f"No frames were written to {self.path}.")
                self._finish()
        except BaseException as failure:
            self._stop_encoder()
            self._stack.__exit__(type(failure), failure, failure.__traceback__)
            raise
        self._stop_encoder()
        return self._stack.__exit__(error_type, error, traceback)


def luma_histogram(frame):
    """Normalized 64-bin histogram of a frame's BT.601 luma."""
    luma = frame[..., 0] * 0.299 + frame[..., 1] * 0.587 + frame[..., 2] * 0.114
    counts, _ = np.histogram(luma, bins=HISTOGRAM_BINS, range=(0.0, 256.0))
    return counts / max(1, counts.sum())


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
