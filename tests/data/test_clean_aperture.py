"""The mp4's clean aperture: written into a finished file, whatever its layout, and read back."""

import subprocess

import imageio_ffmpeg
import numpy as np
import pytest

from colornn_keras.data import clean_aperture
from colornn_keras.data import ffmpeg_scan
from tests.data.video_clips import run_ffmpeg


def _clip(path, layout):
    """A 34x26 clip with sound: the movie header after the media (ffmpeg's default), before it
    (+faststart), or fragmented."""
    flags = {"end": [], "faststart": ["-movflags", "+faststart"], "fragmented": ["-movflags", "frag_keyframe+empty_moov"]}
    run_ffmpeg("-f", "lavfi", "-i", "testsrc=size=34x26:rate=10:duration=0.5", "-f", "lavfi", "-i", "sine=duration=0.5",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", *flags[layout], str(path))
    return path


def _md5(path, *options):
    """The MD5 ffmpeg gives of a stream: the video decoded whole, or the audio's packets as they are."""
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", *clean_aperture.DECODER_OPTIONS, "-i", str(path),
               *options, "-f", "md5", "-"]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


@pytest.mark.parametrize("layout", ["end", "faststart"])
def test_a_crop_is_written_without_moving_a_frame_or_a_sound(tmp_path, layout):
    path = _clip(tmp_path / "clip.mp4", layout)
    before = _md5(path, "-map", "0:v"), _md5(path, "-map", "0:a", "-c", "copy")
    assert clean_aperture.from_header(ffmpeg_scan.header(path)) is None
    assert clean_aperture.write(path, right=1, bottom=1)
    assert clean_aperture.from_header(ffmpeg_scan.header(path)) == clean_aperture.Crop(bottom=1, right=1)
    # Every chunk, video and audio, read where the box moved it (or did not, the header last).
    assert (_md5(path, "-map", "0:v"), _md5(path, "-map", "0:a", "-c", "copy")) == before
    assert ffmpeg_scan.scan(path).frames == 5
    # By default, ffmpeg crops to even sides: 33x25 becomes 32x24.
    decoded = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path), "-frames:v", "1",
                              "-f", "rawvideo", "-pix_fmt", "gray", "-"], capture_output=True, check=True).stdout
    assert len(decoded) == 32 * 24


def test_a_file_it_does_not_expect_is_left_as_it_is(tmp_path):
    cropped = _clip(tmp_path / "cropped.mp4", "faststart")
    assert clean_aperture.write(cropped, right=1)
    fragmented = _clip(tmp_path / "fragmented.mp4", "fragmented")
    (tmp_path / "notes.mp4").write_text("not a video")
    for path in (cropped, fragmented, tmp_path / "notes.mp4"):
        data = path.read_bytes()
        assert not clean_aperture.write(path, right=1, bottom=1)
        assert path.read_bytes() == data


def test_the_crop_is_read_from_the_first_video_stream_and_applied_exactly():
    header = ("Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'clip.mp4':\n"
              "  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 334x202\n"
              "    Metadata:\n      handler_name    : VideoHandler\n"
              "    Side data:\n      Frame Cropping: 2/1/4/3\n"
              "  Stream #0:1[0x2](und): Audio: aac (LC) (mp4a / 0x6134706D), 44100 Hz, mono, fltp\n")
    crop = clean_aperture.from_header(header)
    assert crop == clean_aperture.Crop(top=2, bottom=1, left=4, right=3)
    assert clean_aperture.from_header(header.replace("Frame Cropping: 2/1/4/3", "Frame Cropping: 0/0/0/0")) is None
    # Another stream's side data is not the video's.
    assert clean_aperture.from_header(header.replace("    Side data:\n      Frame Cropping: 2/1/4/3\n", "")
                                      + "    Side data:\n      Frame Cropping: 0/1/0/1\n") is None
    frame = np.arange(10 * 12).reshape(10, 12)
    np.testing.assert_array_equal(crop.apply(frame), frame[2:9, 4:9])
    assert crop.apply(frame).flags.c_contiguous
