"""What VideoWriter puts in the file: the source's audio as it is, video at a moderate bitrate."""

import re
import subprocess

import imageio_ffmpeg
import numpy as np

from colornn_keras.data import video
from tests.conftest import make_scene


def _ffmpeg(*arguments):
    return subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", *arguments],
                          capture_output=True, text=True, errors="replace")


def _clip_with_sound(path, audio_codec, audio_options=()):
    """One second of moving test pattern with a 440 Hz tone in `audio_codec`."""
    result = _ffmpeg("-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
                     "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
                     "-c:a", audio_codec, *audio_options, str(path))
    assert result.returncode == 0, result.stderr
    return path


def _audio_stream(path):
    """(codec, bitrate in kb/s) of the first audio stream, and the MD5 of its packets' bytes."""
    description = re.search(r"Stream #\S+.*: Audio: (\w+).*?(\d+) kb/s", _ffmpeg("-i", str(path)).stderr)
    digest = _ffmpeg("-v", "error", "-i", str(path), "-map", "0:a:0", "-c", "copy", "-f", "md5", "-").stdout
    return description[1], int(description[2]), digest.strip()


def _colour_copy(source, target):
    """Writes the source's frames, altered as a colorizer would, with the source's audio."""
    with video.VideoWriter(target, fps=video.probe(source).fps, audio_from=source) as writer:
        for frame in video.read_frames(source):
            writer.write(np.ascontiguousarray(frame[..., ::-1]))
    return target


def test_aac_audio_is_copied_not_reencoded(tmp_path):
    source = _clip_with_sound(tmp_path / "source.mp4", "aac", ("-b:a", "96k"))
    codec, bitrate, packets = _audio_stream(source)
    assert codec == "aac" and packets
    # The very same packets: copied, so neither the codec, the bitrate nor the sound changes.
    assert _audio_stream(_colour_copy(source, tmp_path / "out.mp4")) == (codec, bitrate, packets)


def test_audio_the_mp4_does_not_hold_as_it_is_is_reencoded_to_aac(tmp_path):
    source = _clip_with_sound(tmp_path / "source.mkv", "pcm_s16le")
    assert video.audio_codec(source) == "pcm_s16le" and video.audio_codec(tmp_path / "missing.mp4") is None
    codec, _, _ = _audio_stream(_colour_copy(source, tmp_path / "out.mp4"))
    assert codec == "aac"


def test_video_is_encoded_at_the_default_constant_rate_factor(tmp_path):
    target = tmp_path / "out.mp4"
    with video.VideoWriter(target, fps=10) as writer:
        for seed in range(3):
            writer.write(make_scene((48, 64), seed))
    # x264 records its settings in the stream itself.
    assert f"crf={video.DEFAULT_CRF:.1f} ".encode() in target.read_bytes()
