"""Videos as streams of RGB frames or of YUV planes: reading (files or folders of numbered
frames), writing H.264 mp4 atomically with the source's audio, and detecting scene cuts.

Colorizing a video file needs only its luma plane, which ffmpeg hands over as the file holds it
(`read_luma_planes`), and writes planar YUV 4:2:0 (`VideoWriter.write_planes`) in the source's
colour matrix and range (`YuvFormat`), so the luma goes from the source to x264 untouched. RGB
frames (`read_frames`, `VideoWriter.write`) serve frame folders, evaluation and training.

Reading is a generator over ffmpeg's pipe, so memory does not grow with the video's
length. Decoding keeps every frame the container holds (no frame-rate conversion), which is
what a variable-frame-rate clip needs; `stride` keeps every k-th frame for the paper's
lower-frame-rate experiment. A damaged input (not a video, no video stream, no frames, cut short)
is an `InputError` before any work; an output the encoder failed to finish, or that does not
hold every frame sent, is an `OutputError` and never replaces anything. Writing gives each frame
the time it had in the source (`FrameTimes`) and keeps the shape of its pixels; an input that
changes during a run that reads it twice is caught before the output is placed (`InputIdentity`).
"""

import contextlib
import dataclasses
import fractions
import functools
import hashlib
import logging
import os
import pathlib
import re
import signal
import subprocess
import tempfile
import warnings

import imageio_ffmpeg
import numpy as np
from PIL import Image

from colornn_keras import colorspace
from colornn_keras import defaults
from colornn_keras import errors
from colornn_keras import files
from colornn_keras.data import images

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".m4v")
# Total-variation distance of 64-bin luma histograms between consecutive frames above which a
# scene cut is declared. On the project's clips, real cuts scored 0.42 and 0.45 and no other
# frame pair of the clips checked exceeded 0.06.
DEFAULT_SCENE_CUT_THRESHOLD = defaults.DEFAULT_SCENE_CUT_THRESHOLD
HISTOGRAM_BINS = 64
# x264's constant-rate factor for written videos: its own default, which kept two of the
# project's clips near their source's bitrate (docs/video.md); CRF 10 made them 4-6x.
DEFAULT_CRF = defaults.DEFAULT_CRF
# x264's speed/size trade-offs, fastest first: veryfast (the default) costs a small part of the
# model's time a frame, for files well under superfast's and ultrafast's (benchmarks/x264_presets.py,
# benchmarks/results/x264_presets.md).
X264_PRESETS = defaults.X264_PRESETS
DEFAULT_X264_PRESET = defaults.DEFAULT_X264_PRESET
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
    frame_count: int  # Frames the container shows (a trimmed clip's pre-roll left out), or files in the folder.
    has_audio: bool
    is_frame_folder: bool
    # How the file's planes code colour, where it is YUV in a matrix `YuvFormat` converts to;
    # None for frame folders and RGB-coded or other videos, which are read as RGB.
    yuv_format: "YuvFormat" = None
    # The shape of a pixel, width over height, where the stream states one that is not square
    # (12/11 for a 4:3 picture coded at 704x576); None for square pixels or none stated.
    sample_aspect_ratio: fractions.Fraction = None


# Colour matrices, as ffmpeg names them, whose Cb and Cr `YuvFormat` writes: their luma weights
# (K_R, K_B). BT.601 has two names, for 625-line (bt470bg) and 525-line (smpte170m) video.
# Constant-luminance (bt2020c, ictcp), YCgCo and RGB-coded (gbr) streams are read as RGB instead.
MATRICES = {
    "bt709": (0.2126, 0.0722),
    "bt470bg": (0.299, 0.114),
    "smpte170m": (0.299, 0.114),
    "fcc": (0.30, 0.11),
    "smpte240m": (0.212, 0.087),
    "bt2020nc": (0.2627, 0.0593),
}
# A stream that states no matrix is taken as BT.709 when it is HD and BT.601 otherwise, as
# players guess (mpv: 1280 pixels wide or more, or more than 576 lines).
HD_MIN_WIDTH = 1280
SD_MAX_HEIGHT = 576
# Pixel formats whose luma is one 8-bit plane, which ffmpeg hands over as the file holds it.
# Others (10- and 12-bit, packed or semi-planar) are converted to 8-bit planar by ffmpeg first.
PLANAR_8_BIT = re.compile(r"yuvj?a?(410|411|420|422|440|444)p|gray")
_YUV_FAMILY = re.compile(r"(yuv|nv\d|p[0-4]\d\d|y2\d\d|xv\d|v210|v30|ayuv|vuy|uyvy|yvyu|gray)")
_UNSTATED = ("unknown", "reserved", "unspecified")
# The pixel format, then what ffmpeg says of its range, colour space and field order in
# brackets: "yuv420p(tv, bt709, progressive), 1280x720" or "yuv420p(bt470bg/bt709/bt709)".
_STREAM_FORMAT = re.compile(r"Stream #\S+.*?: Video: .*?, ([a-z0-9_]+)(?:\(([^()]*(?:\([^()]*\)[^()]*)*)\))?,\s*\d+x\d+")


@functools.cache
def _channel_offsets(matrix):
    """(U weight, V weight) of each of red, green and blue's offsets from the luma, in `matrix`
    (a key of `MATRICES`), for the model's BT.601 (U, V): the offsets are linear in U and V.

    U and V are the BT.601 differences B - Y and R - Y, scaled. In another matrix those offsets
    would move that matrix's luma; the luma is the source's, so what the player adds back to it
    is the offsets less that move.
    """
    red = np.array([0.0, 1 / colorspace.V_SCALE])
    blue = np.array([1 / colorspace.U_SCALE, 0.0])
    green = -(colorspace.WEIGHT_RED * red + colorspace.WEIGHT_BLUE * blue) / colorspace.WEIGHT_GREEN
    weight_red, weight_blue = MATRICES[matrix]
    shift = weight_red * red + (1 - weight_red - weight_blue) * green + weight_blue * blue
    return tuple(tuple(np.float32(weight) for weight in channel - shift) for channel in (red, green, blue))


@dataclasses.dataclass(frozen=True)
class YuvFormat:
    """How a video's YUV planes code colour, and how to write colours the same way.

    The color model predicts BT.601 analog U and V (`colorspace`); a video codes Y', Cb and Cr
    in its own matrix and range. `chroma_codes` turns the model's colours into this format's Cb
    and Cr for the source's own luma, and `encoder_options` states the format in the written file.

    Attributes:
        pixel_format: ffmpeg's name of the source's format ("yuv420p", "yuvj420p", "yuv420p10le").
        matrix: ffmpeg's name of the colour matrix, a key of `MATRICES`: the stream's own, or
            where it states none, "bt709" for HD and "smpte170m" (BT.601) for SD.
        full_range: codes use 0-255 ("pc", JPEG) rather than 16-235 and 16-240 ("tv", video's usual).
        primaries, transfer: ffmpeg's names where the stream states them, else None.
        matrix_stated: False where the matrix was guessed from the frame size.
    """

    pixel_format: str
    matrix: str
    full_range: bool = False
    primaries: str = None
    transfer: str = None
    matrix_stated: bool = True

    @classmethod
    def from_header(cls, header, width, height):
        """The format of the first video stream ffmpeg describes in `header`; None where it is
        not YUV (RGB-coded, palette) or its matrix is not one of `MATRICES`."""
        match = _STREAM_FORMAT.search(header)
        if match is None or not _YUV_FAMILY.match(match[1]):
            return None
        pixel_format, tokens = match[1], [token.strip() for token in (match[2] or "").split(",")]
        colour = next((token for token in tokens if token not in ("tv", "pc", "progressive") and "first" not in token
                       and token), None)
        matrix, primaries, transfer = (colour.split("/") if "/" in colour else [colour] * 3) if colour else [None] * 3
        stated = {name: None if name in _UNSTATED else name for name in (matrix, primaries, transfer)}
        if stated[matrix] is not None and matrix not in MATRICES:
            return None
        guess = "bt709" if width >= HD_MIN_WIDTH or height > SD_MAX_HEIGHT else "smpte170m"
        return cls(pixel_format, stated[matrix] or guess, "pc" in tokens or pixel_format.startswith("yuvj"),
                   stated[primaries], stated[transfer], stated[matrix] is not None)

    @property
    def luma_untouched(self):
        """True where the luma plane reaches the model and the encoder exactly as the file holds it."""
        return bool(PLANAR_8_BIT.fullmatch(self.pixel_format))

    def read_filter(self):
        """ffmpeg's filter chain that leaves the 8-bit luma plane alone: extracted as it is,
        after a conversion to 8 bits for the formats that need one."""
        if self.luma_untouched:
            return "extractplanes=y"
        # Through a format of the same family: a gray stream stays gray, whose range swscale
        # would otherwise change on the way to YUV.
        return f"format={'gray' if self.pixel_format.startswith('gray') else 'yuv420p'},extractplanes=y"

    def luma_to_unit(self, codes):
        """Luma codes (uint8) as Y in [0, 1], the model's input: (Y' - 16) / 219 for video range."""
        units = np.array(codes, np.float32)  # A copy, then in place: each pass over a frame counts.
        if self.full_range:
            units *= np.float32(1 / 255)
            return units
        units -= np.float32(16)
        units *= np.float32(1 / 219)
        return np.clip(units, 0.0, 1.0, out=units)

    def chroma_codes(self, uv, luma_plane):
        """Cb and Cr planes (uint8, 4:2:0) in this format for the model's BT.601 (U, V).

        Args:
            uv: float (ceil(H / 2), ceil(W / 2), 2), U and V at the chroma planes' resolution.
            luma_plane: the source's luma plane (uint8 (H, W)) in this format.

        U and V stand for the colour differences B - Y and R - Y. Those are re-expressed in this
        format's matrix for the source's own luma, and scaled toward gray just enough that every
        channel a player decodes stays in [0, 1], so that colours keep their brightness (as
        `colorspace.yuv_to_rgb_keeping_luma` does for RGB output). That scale is found for each
        pixel of a chroma sample's 2x2 and averaged, as 4:2:0 averages the chroma of RGB output:
        the Cb and Cr of the RGB path, to rounding, where U and V are even over the 2x2.
        """
        uv = np.asarray(uv, np.float32)
        u, v = np.ascontiguousarray(uv[..., 0]), np.ascontiguousarray(uv[..., 1])
        red, green, blue = (u * u_weight + v * v_weight for u_weight, v_weight in _channel_offsets(self.matrix))
        fall = np.minimum(np.minimum(red, green), blue)
        np.negative(fall, out=fall)
        scale = self._gamut_scale(np.maximum(np.maximum(red, green), blue), fall, luma_plane)
        weight_red, weight_blue = MATRICES[self.matrix]
        low, high, span = (0, 255, 255) if self.full_range else (16, 240, 224)
        planes = []
        for offset, weight in ((blue, weight_blue), (red, weight_red)):
            offset *= scale  # In place: each pass over a frame's samples counts, beside the model.
            offset *= np.float32(span / (2 * (1 - weight)))
            offset += np.float32(128)
            np.rint(offset, out=offset)
            planes.append(np.clip(offset, low, high, out=offset).astype(np.uint8))
        return tuple(planes)

    def _gamut_scale(self, rise, fall, luma_plane):
        """For each chroma sample, the mean over its 2x2 pixels of the largest s <= 1 that keeps
        Y + s * offset in [0, 1] in every channel: min(1, (1 - Y) / rise, Y / fall), where `rise`
        and `fall` are the largest offset up and down of the three channels."""
        plane = np.asarray(luma_plane)
        height, width = plane.shape
        if height % 2 or width % 2:
            plane = np.pad(plane, ((0, height % 2), (0, width % 2)), mode="edge")
        # A tiny floor makes the bound of a colour that does not move that way huge, not infinite.
        per_rise = np.float32(1) / np.maximum(rise, np.float32(1e-12))
        per_fall = np.float32(1) / np.maximum(fall, np.float32(1e-12))
        # Every sample, in place: measured faster than fitting only the samples that need it
        # (gathering them cost more than the fit), on smooth footage and on noise alike.
        total = np.zeros(rise.shape, np.float32)
        for quad in (plane[0::2, 0::2], plane[0::2, 1::2], plane[1::2, 0::2], plane[1::2, 1::2]):
            luma = self.luma_to_unit(quad)
            down = luma * per_fall
            luma -= np.float32(1)
            luma *= -per_rise
            np.minimum(luma, down, out=luma)
            total += np.minimum(luma, np.float32(1), out=luma)
        total *= np.float32(0.25)
        return total

    def encoder_options(self):
        """ffmpeg's options that state this format (matrix, range, and the primaries and
        transfer where the source states them) on a stream."""
        options = ["-colorspace", self.matrix, "-color_range", "pc" if self.full_range else "tv"]
        if self.primaries:
            options += ["-color_primaries", self.primaries]
        if self.transfer:
            options += ["-color_trc", self.transfer]
        return options


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
    return not_frames_because(folder) is None


def not_frames_because(folder):
    """Why a folder's images are not a video's numbered frames, in a few words ("not named by frame
    number", ...); None when they are (`is_frame_folder`)."""
    paths = sorted(_image_files(folder), key=_natural_key)
    if len(paths) < 2:
        return "fewer than two images at its top level"
    if not _named_as_frames(paths):
        return "not named by frame number"
    differing = _first_size_difference(paths)
    if differing is not None:
        (_, (width, height)), (_, (other_width, other_height)) = differing
        return f"numbered, but of different sizes ({width}x{height} and {other_width}x{other_height})"
    return None


def _first_size_difference(paths):
    """((path, size), (path, size)): the first of `paths` and the first after it of another size;
    None where all have one size. Unreadable images are passed over: reading them as frames
    reports them by name."""
    first = None
    for path in paths:
        try:
            with Image.open(path) as image:
                size = image.size
        except (OSError, SyntaxError):
            continue
        if first is None:
            first = path, size
        elif size != first[1]:
            return first, (path, size)
    return None


def check_one_size(folder):
    """An `InputError` naming two of a folder's images (at its top level) that differ in size:
    the frames of a video have one size."""
    differing = _first_size_difference(sorted(_image_files(folder), key=_natural_key))
    if differing is not None:
        (first, (width, height)), (other, (other_width, other_height)) = differing
        raise errors.InputError(
            f"{folder} cannot be coloured as a video: its images differ in size ({first.name} is {width}x{height}, "
            f"{other.name} is {other_width}x{other_height}), and a video's frames have one size.")


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
    frames: int  # Video frames it went through: packets shown (pre-roll left out), or decoded frames.
    seconds: float  # Time reached, in seconds (None: none).
    returncode: int

    def duration(self):
        """The duration the header declares, in seconds (None: not stated)."""
        match = re.search(r"Duration: (\d+):(\d+):(\d+(?:\.\d+)?)", self.header)
        return None if match is None else int(match[1]) * 3600 + int(match[2]) * 60 + float(match[3])

    def streams(self, kind):
        return re.findall(rf"Stream #\S+.*: {kind}:", self.header)

    def reason(self, path):
        """ffmpeg's first complaint, without its component tags or the file's path. Indented lines
        are its description of the input ("  Metadata:"), not complaints."""
        lines = [re.sub(r"^\[[^\]]*\]\s*", "", line).strip() for line in self.log.splitlines()
                 if not line[:1].isspace()]
        lines = [line for line in lines if line and not line.startswith(("Input #", "Error opening input file"))
                 and "misdetection possible" not in line]
        return (lines[0] if lines else f"ffmpeg exit status {self.returncode}").replace(str(path), pathlib.Path(path).name)


# ffmpeg's flag of a packet decoded only for the frames after it (AV_PKT_FLAG_DISCARD): a trimmed
# clip's pre-roll, which its edit list hides.
_DISCARDED_PACKET = 0x4


def _scan(path, decode=False):
    """Runs ffmpeg over a file's first video stream (and its audio, so that a complete file's
    time reaches its declared duration): copying packets, or decoding every frame.

    Copying, it lists the packets and counts the video's that are shown: a clip trimmed by stream
    copy (`ffmpeg -ss 10 -i in.mp4 -c copy`) keeps the frames from the key frame before its start
    as pre-roll, which decoding drops.
    """
    with tempfile.NamedTemporaryFile() as progress, tempfile.TemporaryFile() as log:
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-nostats", "-progress", progress.name]
        if decode:
            command += ["-v", "error", "-i", str(path), "-map", "0:v:0", "-f", "null", "-"]
        else:
            command += ["-i", str(path), "-map", "0:v:0", "-map", "0:a?", "-c", "copy", "-f", "framecrc", "-"]
        scanner = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=log, text=True, errors="replace")
        shown = 0
        try:
            # Counted as listed: a long film's list of packets is not held. A flag is listed where
            # it is not a key frame's alone: "0, dts, pts, duration, size, checksum, F=0x5".
            for line in scanner.stdout:
                if line.startswith("0,"):
                    flags = line.partition(", F=0x")[2].split(",")[0]
                    shown += not (flags and int(flags, 16) & _DISCARDED_PACKET)
            returncode = scanner.wait()
        finally:
            if scanner.poll() is None:  # Interrupted (Ctrl-C): ffmpeg must not outlive the scan.
                scanner.kill()
                scanner.wait()
            scanner.stdout.close()
        log.seek(0)
        stderr = log.read().decode(errors="replace")
        report = pathlib.Path(progress.name).read_text(errors="replace")
    frames = re.findall(r"^frame=(\d+)$", report, re.MULTILINE)
    times = re.findall(r"^out_time_us=(-?\d+)$", report, re.MULTILINE)
    header = re.split(r"^(?:Stream mapping:|Output #0)", stderr, maxsplit=1, flags=re.MULTILINE)[0]
    return _Scan(header, stderr, (int(frames[-1]) if frames else 0) if decode else shown,
                 int(times[-1]) / 1e6 if times else None, returncode)


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
    try:
        reader = imageio_ffmpeg.read_frames(str(path))
        with _turned_frames_unremarked():
            metadata = next(reader)
        reader.close()
    except (RuntimeError, OSError, StopIteration) as error:
        raise errors.InputError(f"{path} is not a video ffmpeg can decode: {scan.reason(path)}.") from error
    fps = float(metadata["fps"])
    _check_complete(path, scan, fps, allow_truncated)
    width, height = metadata["size"]
    return VideoInfo(str(path), fps, width, height, scan.frames, bool(scan.streams("Audio")), False,
                     YuvFormat.from_header(scan.header, width, height), _sample_aspect_ratio(scan.header))


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


# How far a video file's frames may be from a constant rate's times before a written file carries
# their own times: within it, the plain constant-rate stream that players and editors handle best
# keeps every frame within a millisecond of its time (a frame at 60 fps lasts 17).
TIMING_TOLERANCE_SECONDS = 0.001
# The first ffmpeg that reads an option's value from a file ("-/filter:v script") and hands the
# filters' time base to the encoder ("-enc_time_base filter"), which writing frames' own times needs.
FRAME_TIMES_FFMPEG = (7, 0)
_NO_TIMESTAMP = -(2**63)  # AV_NOPTS_VALUE, as ffmpeg's framecrc listing prints a packet without a time.


@dataclasses.dataclass(frozen=True)
class FrameTimes:
    """When each frame of a video file is shown: its presentation timestamps in order, in ticks of
    `time_base` seconds, as ffmpeg reads them (from the file's start, as it reads the audio too).

    A variable-frame-rate clip (a phone's, a screen recording) holds its frames at uneven times,
    which its audio follows. `VideoWriter` gives the colourised frames these times back
    (`setpts_filter`) wherever a constant rate would move one by more than
    `TIMING_TOLERANCE_SECONDS`, so picture and sound stay in step.
    """

    ticks: tuple
    time_base: fractions.Fraction

    def seconds(self):
        return [tick * float(self.time_base) for tick in self.ticks]

    def off_constant_rate(self, fps):
        """How far (seconds) the furthest frame is from where a constant `fps` from time 0 puts it."""
        return max(abs(time - index / fps) for index, time in enumerate(self.seconds()))

    def _runs(self):
        """The frames in runs of even steps: (first frame's index, its tick, step) for each. A
        run of one frame (the last) takes the step of the run before."""
        runs, ticks, start = [], self.ticks, 0
        while start < len(ticks):
            end = start + 1  # The run's last frame.
            if end == len(ticks):
                runs.append((start, ticks[start], runs[-1][2] if runs else 1))
                break
            step = ticks[end] - ticks[start]
            while end + 1 < len(ticks) and ticks[end + 1] - ticks[end] == step:
                end += 1
            runs.append((start, ticks[start], step))
            start = end + 1
        return runs

    def setpts_filter(self):
        """ffmpeg's filters that give the n-th frame through them these times: in `time_base`,
        each frame's tick found in a balanced tree of `if`s over the runs of evenly spaced frames
        (a line each), so ffmpeg evaluates about log2(runs) comparisons a frame. Frames past the
        last go on at its step. Long: a filter script, not a command-line argument."""
        runs = self._runs()

        def tree(low, high):
            if high - low == 1:
                start, tick, step = runs[low]
                return f"{tick}+(N-{start})*{step}"
            middle = (low + high) // 2
            return f"if(lt(N,{runs[middle][0]}),{tree(low, middle)},{tree(middle, high)})"

        return (f"settb={self.time_base.numerator}/{self.time_base.denominator},"
                f"setpts='{tree(0, len(runs))}'")


@functools.cache
def _ffmpeg_writes_frame_times():
    """Whether imageio-ffmpeg's ffmpeg is `FRAME_TIMES_FFMPEG` or later (a build named by its git
    commit, "N-113000-g...", is taken as recent)."""
    version = re.match(r"n?(\d+)\.(\d+)", imageio_ffmpeg.get_ffmpeg_version())
    return version is None or (int(version[1]), int(version[2])) >= FRAME_TIMES_FFMPEG


def read_frame_times(path):
    """The `FrameTimes` of a video file's first video stream, from its packets (not decoded: a
    pass over the file's bytes); None where a packet has no time, two share one, or ffmpeg cannot
    list them, which leaves the frames at a constant rate."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
               "-map", "0:v:0", "-c", "copy", "-f", "framecrc", "-"]
    result = subprocess.run(command, capture_output=True, text=True, errors="replace")
    base = re.search(r"^#tb 0: (\d+)/(\d+)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or base is None:
        return None
    # "stream, dts, pts, duration, size, checksum": packets in decoding order, frames shown by pts.
    ticks = sorted(int(pts) for pts in re.findall(r"^0,\s*-?\d+,\s*(-?\d+),", result.stdout, re.MULTILINE))
    if not ticks or ticks[0] == _NO_TIMESTAMP or any(later <= earlier for earlier, later in zip(ticks, ticks[1:])):
        return None
    # Packets before the file's start are a trimmed clip's pre-roll, which its edit list hides:
    # decoded, never shown.
    ticks = [tick for tick in ticks if tick >= 0]
    if not ticks:
        return None
    return FrameTimes(tuple(ticks), fractions.Fraction(int(base[1]), int(base[2])))


# The bytes hashed at each end of an input file to tell whether it changed during a run: the
# header at the start and, in most mp4s, the index at one end, for a 128 KiB read however large.
IDENTITY_BLOCK_BYTES = 64 * 1024


@dataclasses.dataclass(frozen=True)
class InputIdentity:
    """What tells a video input apart from another put in its place, or from itself rewritten,
    cheaply: for a file its size, modification time (ns), inode and device, and a hash of its
    first and last `IDENTITY_BLOCK_BYTES`; for a folder of frames each frame file's name, size,
    modification time and inode (`frames`, and the file fields left None).

    Runs that read their input twice (keyframes, smoothing both ways) join the second reading's
    luma to the colours of the first: `input_identity` before the first reading and
    `check_unchanged` after the last catch an input replaced in between.
    """

    size: int = None
    modified_ns: int = None
    inode: int = None
    device: int = None
    digest: str = None
    frames: tuple = None

    def changed(self, now):
        """In a few words, how `now` (the input's identity read again) differs; None if it does not."""
        if now is None:
            return "it can no longer be read"
        if self.frames is not None:
            before, after = {frame[0]: frame for frame in self.frames}, {frame[0]: frame for frame in now.frames or ()}
            if before.keys() != after.keys():
                names = sorted(before.keys() ^ after.keys())
                return f"frames added or removed: {', '.join(names[:3])}{', ...' if len(names) > 3 else ''}"
            names = sorted(name for name in before if before[name] != after[name])
            return f"frames rewritten: {', '.join(names[:3])}{', ...' if len(names) > 3 else ''}" if names else None
        if (now.inode, now.device) != (self.inode, self.device):
            return "another file was put in its place"
        if now.size != self.size:
            return f"its size went from {self.size} to {now.size} bytes"
        if now.digest != self.digest:
            return "its contents were rewritten"
        if now.modified_ns != self.modified_ns:
            return "it was modified"
        return None


def input_identity(path):
    """The `InputIdentity` of a video file or a folder of numbered frames; None where it cannot
    be read (the reading that follows says why)."""
    path = pathlib.Path(path)
    try:
        if path.is_dir():
            frames = []
            for frame in sorted(_image_files(path), key=_natural_key):
                status = frame.stat()
                frames.append((frame.name, status.st_size, status.st_mtime_ns, status.st_ino))
            return InputIdentity(frames=tuple(frames))
        with open(path, "rb") as file:
            status = os.fstat(file.fileno())
            digest = hashlib.blake2b(file.read(IDENTITY_BLOCK_BYTES), digest_size=16)
            if status.st_size > IDENTITY_BLOCK_BYTES:
                file.seek(max(IDENTITY_BLOCK_BYTES, status.st_size - IDENTITY_BLOCK_BYTES))
                digest.update(file.read(IDENTITY_BLOCK_BYTES))
        return InputIdentity(status.st_size, status.st_mtime_ns, status.st_ino, status.st_dev, digest.hexdigest())
    except OSError:
        return None


def check_unchanged(path, identity):
    """An `InputError` where the input at `path` is no longer the one `identity` (`input_identity`,
    read before the run's first reading) describes: a run that read it twice would join two inputs.
    Made before the output is placed, so that nothing is written then."""
    reason = identity.changed(input_identity(path)) if identity is not None else None
    if reason is not None:
        raise errors.InputError(f"{path} changed during the run ({reason}): nothing was written from it.")


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
    # Every frame as the file holds it: imageio's image pipe alone is made constant-rate by
    # ffmpeg, repeating and dropping frames of a variable-frame-rate clip.
    reader = imageio_ffmpeg.read_frames(str(path), output_params=["-fps_mode", "passthrough"])
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


def read_luma_planes(info, allow_truncated=False):
    """Yields the luma plane (H, W) uint8 of every frame of a YUV video file, as the file holds it.

    Only the luma is decoded into the pipe: colorizing replaces the chroma. 8-bit planar formats
    (`YuvFormat.luma_untouched`) arrive bit for bit; others are converted to 8 bits by ffmpeg.

    Args:
        info: the file's `VideoInfo` (from `probe`), with a `yuv_format`.
        allow_truncated: a file that decodes to fewer frames than `info.frame_count` is an
            `InputError` at the end, or a warning with this, as with `read_frames`.
    """
    if info.yuv_format is None:
        raise ValueError(f"{info.path} is not read as YUV planes (VideoInfo.yuv_format is None).")
    path, width, height = info.path, info.width, info.height
    # Every decoded frame as it is (no frame-rate conversion), like `read_frames`.
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-v", "error", "-i", str(path),
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
                yield np.frombuffer(buffer, np.uint8).reshape(height, width)
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


def audio_codec(path):
    """The codec of a file's first audio stream, as ffmpeg names it ("aac", "mp3", ...), or None."""
    result = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path)],
                            capture_output=True, text=True, errors="replace")
    match = re.search(r"Stream #\S+.*: Audio: (\w+)", result.stderr)
    return match[1] if match else None


def check_encoding(preset, crf):
    """A `ColorNNError` for an x264 preset or constant-rate factor that x264 does not take."""
    if preset not in X264_PRESETS:
        raise errors.ColorNNError(f"x264 preset must be one of {', '.join(X264_PRESETS)}; got {preset!r}.")
    if isinstance(crf, bool) or not isinstance(crf, (int, float)) or not 0 <= crf <= 51:
        raise errors.ColorNNError(f"crf must be a number from 0 (lossless) to 51; got {crf!r}.")


class VideoWriter:
    """Writes RGB frames or YUV 4:2:0 planes to an H.264 mp4, atomically, optionally with another
    file's audio.

    Frames go to a temporary file beside the target. It is renamed into place only when the
    writer closes without an error, the encoder (ffmpeg) exits cleanly, and the file holds
    exactly the frames sent; otherwise it is removed and an `OutputError` names the target (a
    full disk, for one). Odd sizes are padded by one edge pixel, since H.264's 4:2:0 chroma
    needs even sides. `preset` is x264's speed/size trade-off (`X264_PRESETS`): "veryfast" encodes
    several times faster than x264's own default "medium" for files a little larger, which matters
    when the encoder shares two cores with the model. `crf` is x264's constant-rate factor (lower: larger files,
    closer to the frames sent). The audio of `audio_from` is copied as it is where the mp4 holds
    its codec (`MP4_AUDIO_CODECS`), else re-encoded to AAC.

    RGB frames (`write`) are converted to BT.601 video-range YUV 4:2:0 by ffmpeg, and the file
    says so. With a
    `yuv_format`, the writer takes planes instead (`write_planes`), which x264 encodes as they
    are, and the file states that format's matrix and range (and primaries and transfer where
    it has them).

    Without `replace`, the file is put in place only if no other run has placed one at `path`
    meanwhile (`files.atomic_write`); otherwise it is kept beside it, and an `OutputError` says where.
    `before_placing`, where given, is called once the file is complete and before it is placed:
    an error it raises (the source changed during the run, `check_unchanged`) keeps it from being
    placed. It comes after the encoder has finished, since the encoder reads `audio_from` to the end.
    It is also called when the encoder fails, and its error raised instead of the `OutputError`:
    a source replaced by a clip without audio stops the encoder reading its audio.

    Frames are written at the constant `fps`, unless `frame_times` (the source's `FrameTimes`,
    one for each frame written) would put one more than `TIMING_TOLERANCE_SECONDS` from that:
    then each frame is given its own time, a variable-frame-rate source's, so the audio copied
    from it stays in step. `sample_aspect_ratio` (`VideoInfo.sample_aspect_ratio`) is stated in
    the file, so that non-square pixels display at the source's shape.

    Example:
        with VideoWriter("out.mp4", fps=29.97, audio_from="in.mp4") as writer:
            for frame in frames:
                writer.write(frame)
    """

    def __init__(self, path, fps, audio_from=None, crf=DEFAULT_CRF, preset=DEFAULT_X264_PRESET, yuv_format=None,
                 replace=True, frame_times=None, sample_aspect_ratio=None, before_placing=None):
        check_encoding(preset, crf)
        self.path, self.replace = pathlib.Path(path), replace
        self.fps, self.audio_from, self.crf, self.preset = float(fps), audio_from, crf, preset
        self.yuv_format = yuv_format
        self.sample_aspect_ratio, self.before_placing = sample_aspect_ratio, before_placing
        # The source's own times, where a constant rate would move a frame off them.
        self.frame_times = frame_times if frame_times is not None and (
            frame_times.off_constant_rate(self.fps) > TIMING_TOLERANCE_SECONDS) else None
        if self.frame_times is not None and not _ffmpeg_writes_frame_times():
            warnings.warn(f"{self.path} is written at a constant {self.fps:g} fps, not at its source's uneven frame "
                          f"times, so its sound may drift from the picture: ffmpeg "
                          f"{imageio_ffmpeg.get_ffmpeg_version()} cannot write them; "
                          f"{'.'.join(map(str, FRAME_TIMES_FFMPEG))} or later can.", errors.ColorNNWarning,
                          stacklevel=2)
            self.frame_times = None
        self._filter_script = None
        self._temporary = None
        self._encoder = None
        self._encoder_log = None
        self._size = None
        self.frames_written = 0

    def __enter__(self):
        self._stack = contextlib.ExitStack()
        self._temporary = self._stack.enter_context(files.atomic_write(self.path, suffix=".mp4", replace=self.replace))
        return self

    def _encoder_command(self):
        """ffmpeg reading raw RGB frames or YUV planes on stdin, writing H.264 and the source's audio."""
        fps = fractions.Fraction(self.fps).limit_denominator()
        # Planes are stated in their format on the way in as well as out: what differs between
        # the two, ffmpeg would convert.
        if self.yuv_format is not None:
            source = encoded = ["-pix_fmt", "yuv420p", *self.yuv_format.encoder_options()]
        else:
            # ffmpeg converts RGB with BT.601's matrix at every size; the file says so, or players
            # would take an HD one for BT.709.
            source, encoded = ["-pix_fmt", "rgb24"], ["-pix_fmt", "yuv420p", "-colorspace", "smpte170m",
                                                      "-color_range", "tv"]
        command = [imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-nostdin", "-v", "error", "-f", "rawvideo",
                   *source, "-s", f"{self._size[0]}x{self._size[1]}", "-r", str(fps), "-i", "-"]
        if self.audio_from:
            copied = audio_codec(self.audio_from) in MP4_AUDIO_CODECS
            audio = ["-c:a", "copy"] if copied else ["-c:a", "aac", "-b:a", REENCODED_AUDIO_BITRATE]
            command += ["-i", str(self.audio_from), "-map", "0:v:0", "-map", "1:a:0", *audio]
        return [*command, *self._filter_options(), "-c:v", "libx264", *encoded, "-crf", str(self.crf),
                "-preset", self.preset, "-movflags", "+faststart", "-f", "mp4", str(self._temporary)]

    def _filter_options(self):
        """ffmpeg's options for the frames' own times and the pixels' shape, where there are any."""
        shape = [] if self.sample_aspect_ratio is None else [
            f"setsar={self.sample_aspect_ratio.numerator}/{self.sample_aspect_ratio.denominator}"]
        if self.frame_times is None:
            return ["-vf", ",".join(shape)] if shape else []
        # A tick for each frame: the filters are read from a file, however long the clip. Its
        # time base reaches the encoder and the mp4 as it is, and no frame is dropped or repeated.
        self._filter_script = tempfile.NamedTemporaryFile("w", suffix=".ffgraph")
        self._filter_script.write(",".join([self.frame_times.setpts_filter(), *shape]))
        self._filter_script.flush()
        return ["-/filter:v", self._filter_script.name, "-fps_mode", "passthrough", "-enc_time_base:v", "filter"]

    def write(self, frame):
        """Adds an RGB uint8 frame (H, W, 3)."""
        if self.yuv_format is not None:
            raise ValueError("This writer takes YUV planes (it has a yuv_format): use write_planes.")
        frame = np.asarray(frame)
        if frame.dtype != np.uint8 or frame.ndim != 3 or frame.shape[2] != 3:
            raise ValueError(f"Frames must be RGB uint8 (H, W, 3); got {frame.dtype} {frame.shape}.")
        height, width = frame.shape[:2]
        self._warn_if_padded(width, height)
        padded = np.pad(frame, ((0, height % 2), (0, width % 2), (0, 0)), mode="edge")
        self._send([padded], (padded.shape[1], padded.shape[0]))

    def write_planes(self, luma, cb, cr):
        """Adds a frame as YUV 4:2:0 planes in the writer's `yuv_format`: luma (H, W) uint8, Cb and
        Cr (ceil(H / 2), ceil(W / 2)) uint8. An odd-sized luma is padded by its edge pixels."""
        if self.yuv_format is None:
            raise ValueError("This writer takes RGB frames (it has no yuv_format): use write.")
        luma, cb, cr = (np.asarray(plane) for plane in (luma, cb, cr))
        height, width = luma.shape
        chroma_shape = ((height + 1) // 2, (width + 1) // 2)
        if any(plane.dtype != np.uint8 for plane in (luma, cb, cr)) or cb.shape != chroma_shape or cr.shape != chroma_shape:
            raise ValueError(f"Planes must be uint8, a luma (H, W) and Cb, Cr of {chroma_shape}; got luma "
                             f"{luma.dtype} {luma.shape}, Cb {cb.dtype} {cb.shape}, Cr {cr.dtype} {cr.shape}.")
        self._warn_if_padded(width, height)
        if height % 2 or width % 2:
            luma = np.pad(luma, ((0, height % 2), (0, width % 2)), mode="edge")
        self._send([luma, cb, cr], (luma.shape[1], luma.shape[0]))

    def _warn_if_padded(self, width, height):
        """Says, at the first frame, that an odd size comes out one pixel larger."""
        if self._encoder is None and (width % 2 or height % 2):
            warnings.warn(f"{self.path} is {width + width % 2}x{height + height % 2}, not the {width}x{height} of "
                          "its frames: H.264's 4:2:0 chroma needs even sides, so they are padded by their edge "
                          "pixels.", errors.ColorNNWarning, stacklevel=3)

    def _send(self, arrays, size):
        """Hands one frame's arrays, in order, to the encoder, started at the first frame."""
        if self._encoder is None:
            self._size = size
            # The encoder's messages go to a file, read only to explain a failure; its own process
            # group keeps a Ctrl-C meant for us from cutting it short before we remove its file.
            self._encoder_log = tempfile.TemporaryFile()
            self._encoder = subprocess.Popen(self._encoder_command(), stdin=subprocess.PIPE,
                                             stdout=subprocess.DEVNULL, stderr=self._encoder_log,
                                             start_new_session=True)
        elif size != self._size:
            raise ValueError(f"Frame size changed from {self._size} to {size}.")
        try:
            for array in arrays:
                # The pipe takes any contiguous buffer: no copy into bytes first.
                self._encoder.stdin.write(memoryview(np.ascontiguousarray(array)).cast("B"))
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
        failure = errors.OutputError(f"Cannot write {self.path}: {reason}{detail}.")
        # The encoder reads `audio_from` too: a source replaced meanwhile by a clip without audio
        # stops it, and is then what went wrong, not the output.
        if self.before_placing is not None:
            try:
                self.before_placing()
            except errors.ColorNNError as changed:
                changed.__cause__ = failure
                return changed
        return failure

    def _finish(self):
        """Ends the encoder; an `OutputError` unless it exits cleanly with every frame in the file."""
        self._encoder.stdin.close()
        if self._encoder.wait() != 0:
            raise self._encoder_failure()
        # Its packets counted, not decoded: decoding the whole output again cost a fifth of
        # encoding it (720p on two cores), and what x264 wrote and closed cleanly decodes.
        check = _scan(self._temporary)
        if check.returncode != 0 or check.frames != self.frames_written:
            raise errors.OutputError(f"Cannot write {self.path}: it came out holding {check.frames} of the "
                                     f"{self.frames_written} frames written.")

    def _stop_encoder(self):
        if self._encoder is not None and self._encoder.poll() is None:
            self._encoder.kill()
            self._encoder.wait()
        if self._encoder_log is not None:
            self._encoder_log.close()
        if self._filter_script is not None:
            self._filter_script.close()

    def __exit__(self, error_type, error, traceback):
        try:
            if error_type is None:
                if self.frames_written == 0:
                    raise ValueError(f"No frames were written to {self.path}.")
                self._finish()
                if self.before_placing is not None:
                    self.before_placing()
        except BaseException as failure:
            self._stop_encoder()
            self._stack.__exit__(type(failure), failure, failure.__traceback__)
            raise
        self._stop_encoder()
        return self._stack.__exit__(error_type, error, traceback)


def luma_histogram(frame):
    """Normalized 64-bin histogram of a frame's luma: BT.601 luma of an RGB frame (H, W, 3), or a
    luma plane (H, W) given on the same 0-255 scale."""
    luma = frame if frame.ndim == 2 else (frame[..., 0] * colorspace.WEIGHT_RED + frame[..., 1] * colorspace.WEIGHT_GREEN
                                          + frame[..., 2] * colorspace.WEIGHT_BLUE)
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
