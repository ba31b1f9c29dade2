"""Small clips, written with ffmpeg or the project's writer, and a stand-in color model, shared
by the video tests."""

import contextlib
import re
import resource
import signal
import struct
import subprocess

import imageio_ffmpeg
import numpy as np

from colornn_keras.data import video_encoding
from tests.conftest import make_scene


def moving_frames(count, size=(48, 64), step=2):
    """A scene panning right by `step` pixels a frame."""
    wide = make_scene((size[0], size[1] + step * count), seed=7)
    return [wide[:, index * step : index * step + size[1]] for index in range(count)]


def write_clip(path, frames, fps=25.0, audio_from=None):
    with video_encoding.VideoWriter(path, fps=fps, audio_from=audio_from) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def run_ffmpeg(*arguments):
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *arguments], check=True, timeout=60)


def faststart_clip(path, frames=40, audio=False):
    """A 32x24 mp4 at 25 fps with its header (moov) first, as streaming files have it."""
    inputs = ["-f", "lavfi", "-i", f"testsrc=size=32x24:rate=25:duration={frames / 25}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=duration={frames / 25}", "-c:a", "aac"]
    run_ffmpeg(*inputs, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path))
    return path


def cut(path, fraction=0.5, target=None):
    """The first `fraction` of a file's bytes, as an interrupted download or copy leaves it."""
    data = path.read_bytes()
    target = target or path
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def lossless_clip(path, planes, pixel_format, tags=(), codec_format=None):
    """An H.264 clip (x264 lossless, -qp 0) holding exactly `planes` [(Y, Cb, Cr) uint8] in `pixel_format`."""
    height, width = planes[0][0].shape
    data = b"".join(plane.tobytes() for frame in planes for plane in frame)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", pixel_format,
                    "-s", f"{width}x{height}", "-r", "10", *tags, "-i", "-", "-c:v", "libx264", "-qp", "0",
                    "-pix_fmt", codec_format or pixel_format, *tags, str(path)], input=data, check=True, timeout=60)
    return path


def random_planes(count, size, chroma_size, seed=0, full_range=False):
    rng = np.random.default_rng(seed)
    low, high = (0, 256) if full_range else (16, 236)
    return [(rng.integers(low, high, size, dtype=np.uint8), rng.integers(16, 241, chroma_size, dtype=np.uint8),
             rng.integers(16, 241, chroma_size, dtype=np.uint8)) for _ in range(count)]


class Reddish:
    """A 32x32 color model that predicts one reddish colour everywhere, in an instant."""

    input_shape = (None, 32, 32, 1)

    def predict_on_batch(self, luma):
        bins = np.zeros((len(luma), 32, 32, 30), np.float32)
        return {"u": bins + np.eye(30, dtype=np.float32)[12], "v": bins + np.eye(30, dtype=np.float32)[22]}


def shown_times(path):
    """Each frame's time in seconds as ffmpeg decodes and shows it (its showinfo filter)."""
    log = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path),
                          "-map", "0:v:0", "-vf", "showinfo", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    return [float(time) for time in re.findall(r"pts_time:\s*(-?[\d.]+)", log)]


@contextlib.contextmanager
def file_size_limit(limit):
    """Files can grow to `limit` bytes, as on a full disk: writes beyond fail (this process's with
    EFBIG; ffmpeg, whose SIGXFSZ subprocess restores, is stopped by it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_FSIZE)
    previous = signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_FSIZE, (soft, hard))
        signal.signal(signal.SIGXFSZ, previous)


def mp4_without_streams(path):
    """An mp4 whose header (moov) describes no track at all: ffmpeg opens it and finds nothing."""
    def box(kind, payload):
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    movie_header = (bytes(4) + struct.pack(">IIII", 0, 0, 1000, 0) + struct.pack(">IH", 0x10000, 0x100) + bytes(10)
                    + struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000) + bytes(24)
                    + struct.pack(">I", 1))
    path.write_bytes(box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
                     + box(b"moov", box(b"mvhd", movie_header)))
    return path


def rotated_clip(path, degrees):
    """A 32x24 clip of a still, asymmetric scene, turned `degrees` counter-clockwise by its display
    matrix, as a phone held upright records it; and the scene's luma plane, unturned."""
    luma = np.rint(16 + 219 * (make_scene((24, 32), seed=11) @ np.array([0.299, 0.587, 0.114]) / 255)).astype(np.uint8)
    gray = np.full((12, 16), 128, np.uint8)
    plain = lossless_clip(path.with_name("unturned.mp4"), [(luma, gray, gray)] * 3, "yuv420p")
    run_ffmpeg("-display_rotation", str(degrees), "-i", str(plain), "-c", "copy", str(path))
    return path, luma
