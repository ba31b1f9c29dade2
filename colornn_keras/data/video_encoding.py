"""Writing a video: RGB frames or YUV 4:2:0 planes encoded by x264 into an H.264 mp4, placed
atomically, with the source's audio, frame times and pixel shape (`VideoWriter`)."""

import contextlib
import fractions
import pathlib
import re
import signal
import subprocess
import tempfile
import warnings

import imageio_ffmpeg
import numpy as np

from colornn_keras import defaults
from colornn_keras import errors
from colornn_keras import files
from colornn_keras.data import clean_aperture
from colornn_keras.data import ffmpeg_scan
from colornn_keras.data import frame_timing

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


def audio_codec(path):
    """The codec of a file's first audio stream, as ffmpeg names it ("aac", "mp3", ...), or None."""
    match = re.search(r"Stream #\S+.*: Audio: (\w+)", ffmpeg_scan.header(path))
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
    needs even sides, and cropped back to the frames' own size by the mp4 (`clean_aperture`),
    which players that honour it show. `preset` is x264's speed/size trade-off (`X264_PRESETS`): "veryfast" encodes
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
    an error it raises (the source changed during the run, `input_changes.check_unchanged`) keeps
    it from being placed. It comes after the encoder has finished, since the encoder reads
    `audio_from` to the end.
    It is also called when the encoder fails, and its error raised instead of the `OutputError`:
    a source replaced by a clip without audio stops the encoder reading its audio.

    Frames are written at the constant `fps`, unless `frame_times` (the source's
    `frame_timing.FrameTimes`, one for each frame written) would put one more than
    `frame_timing.TIMING_TOLERANCE_SECONDS` from that: then each frame is given its own time, a
    variable-frame-rate source's, so the audio copied from it stays in step. `sample_aspect_ratio`
    (`video.VideoInfo.sample_aspect_ratio`) is stated in the file, so that non-square pixels
    display at the source's shape.

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
            frame_times.off_constant_rate(self.fps) > frame_timing.TIMING_TOLERANCE_SECONDS) else None
        if self.frame_times is not None and not frame_timing.ffmpeg_writes_frame_times():
            warnings.warn(f"{self.path} is written at a constant {self.fps:g} fps, not at its source's uneven frame "
                          f"times, so its sound may drift from the picture: ffmpeg "
                          f"{imageio_ffmpeg.get_ffmpeg_version()} cannot write them; "
                          f"{'.'.join(map(str, frame_timing.FRAME_TIMES_FFMPEG))} or later can.", errors.ColorNNWarning,
                          stacklevel=2)
            self.frame_times = None
        self._filter_script = None
        self._temporary = None
        self._encoder = None
        self._encoder_log = None
        self._size = None
        self._frame_size = None
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
        self._note_size(width, height)
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
        self._note_size(width, height)
        if height % 2 or width % 2:
            luma = np.pad(luma, ((0, height % 2), (0, width % 2)), mode="edge")
        self._send([luma, cb, cr], (luma.shape[1], luma.shape[0]))

    def _note_size(self, width, height):
        """Keeps the first frame's size, which the file shows where the frames are padded."""
        if self._encoder is None:
            self._frame_size = (width, height)

    def _crop_padding(self):
        """Crops the pad of an odd size back off through the mp4 (`clean_aperture`), and says so in a line."""
        width, height = self._frame_size
        if not (width % 2 or height % 2):
            return
        coded = f"{width + width % 2}x{height + height % 2}"
        if clean_aperture.write(self._temporary, right=width % 2, bottom=height % 2):
            message = (f"{self.path} is coded at {coded}, cropped back to {width}x{height} by the mp4's clean "
                       "aperture (H.264's 4:2:0 chroma needs even sides): players that ignore it show the edge "
                       "pixels padded on.")
        else:
            message = (f"{self.path} is {coded}, not the {width}x{height} of its frames: H.264's 4:2:0 chroma needs "
                       "even sides, so they are padded by their edge pixels.")
        warnings.warn(message, errors.ColorNNWarning, stacklevel=4)  # At the writer's `with`.

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
        self._crop_padding()
        # Its packets counted, not decoded: decoding the whole output again cost a fifth of
        # encoding it (720p on two cores), and what x264 wrote and closed cleanly decodes.
        check = ffmpeg_scan.scan(self._temporary)
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
