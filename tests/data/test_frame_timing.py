"""Each frame shown at its source's time: a variable-frame-rate clip read and written in step with its sound."""

import fractions

import imageio_ffmpeg
import numpy as np
import pytest

from colornn_keras import errors
from colornn_keras.data import frame_timing
from colornn_keras.data import video
from colornn_keras.data import video_encoding
from tests.data.video_clips import Reddish, moving_frames, run_ffmpeg, shown_times


def _variable_rate_clip(path, shown, audio_seconds=1.5):
    """A 32x24 mp4 showing frames only at the times `shown` (multiples of 0.05 s), with a sine
    from time 0, as a phone's variable-frame-rate clip has them."""
    chosen = "+".join(f"eq(n,{round(time * 20)})" for time in shown)
    run_ffmpeg("-f", "lavfi", "-i", f"testsrc=size=32x24:rate=20:duration={max(shown) + 0.1}", "-f", "lavfi",
             "-i", f"sine=duration={audio_seconds}", "-vf", f"select='{chosen}'", "-fps_mode", "passthrough",
             "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac", str(path))
    return path


@pytest.mark.large
def test_a_variable_frame_rate_clip_keeps_every_frame_s_time(tmp_path):
    """Frames at 0.5, 0.6, 0.7, 1.0, 1.05 and 1.3 s, with audio from 0: each coloured frame is
    shown when its source frame was, so the copied audio stays in step."""
    from colornn_keras import colorize_files
    from colornn_keras import inference

    source = _variable_rate_clip(tmp_path / "vfr.mp4", [0.5, 0.6, 0.7, 1.0, 1.05, 1.3])
    shown = shown_times(source)
    assert shown == pytest.approx([0.5, 0.6, 0.7, 1.0, 1.05, 1.3], abs=1e-3)
    assert np.allclose(frame_timing.read_frame_times(source).seconds(), shown, atol=1e-3)
    assert len(list(video.read_frames(source))) == 6  # As the file holds them: none repeated.
    report = colorize_files.colorize(inference.Colorizer(Reddish()), source, tmp_path / "out.mp4")
    coloured = shown_times(tmp_path / "out.mp4")
    assert report.frames == len(coloured) == 6
    assert np.abs(np.array(coloured) - shown).max() <= 0.002
    assert video.probe(tmp_path / "out.mp4").has_audio


def test_the_writer_gives_each_frame_its_own_time_however_uneven(tmp_path):
    # 40 frames at steps of 1 to 9 ticks of 1/90 s: runs of even steps and single frames alike.
    steps = np.random.default_rng(5).integers(1, 10, 39)
    steps[10:20] = 3  # A run of even steps.
    times = frame_timing.FrameTimes(tuple(int(tick) for tick in np.concatenate([[45], 45 + np.cumsum(steps)])),
                             fractions.Fraction(1, 90))
    assert 5 < len(times._runs()) < 39
    frames = [frame[:24, :32] for frame in moving_frames(40)]
    with video_encoding.VideoWriter(tmp_path / "uneven.mp4", fps=15, frame_times=times) as writer:
        for frame in frames:
            writer.write(frame)
    # Without audio the file starts at its first frame, which players show at 0 s.
    shown = np.array(shown_times(tmp_path / "uneven.mp4"))
    assert len(shown) == 40 and np.abs(shown - (np.array(times.seconds()) - 0.5)).max() <= 0.002
    # Times within a millisecond of the constant rate are written at that rate, as before.
    even = frame_timing.FrameTimes(tuple(range(0, 3000, 100)), fractions.Fraction(1, 3000))
    assert video_encoding.VideoWriter(tmp_path / "even.mp4", fps=30, frame_times=even).frame_times is None


def test_an_ffmpeg_that_cannot_write_frame_times_says_the_timing_is_flattened(tmp_path, monkeypatch):
    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_version", lambda: "6.1.1")
    frame_timing.ffmpeg_writes_frame_times.cache_clear()
    uneven = frame_timing.FrameTimes((0, 10, 15, 40), fractions.Fraction(1, 100))
    try:
        with pytest.warns(errors.ColorNNWarning, match=r"vfr.mp4 is written at a constant 10 fps, not at its "
                                                       r"source's uneven frame times.*ffmpeg 6.1.1 cannot"):
            writer = video_encoding.VideoWriter(tmp_path / "vfr.mp4", fps=10, frame_times=uneven)
    finally:
        frame_timing.ffmpeg_writes_frame_times.cache_clear()
    assert writer.frame_times is None
    monkeypatch.undo()  # The ffmpeg at hand writes them.
    assert video_encoding.VideoWriter(tmp_path / "vfr.mp4", fps=10, frame_times=uneven).frame_times is uneven
