import subprocess
import tracemalloc

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from colornn_keras.data import video
from tests.conftest import make_scene


def _moving_frames(count, size=(48, 64), step=2):
    """A scene panning right by `step` pixels a frame."""
    wide = make_scene((size[0], size[1] + step * count), seed=7)
    return [wide[:, index * step : index * step + size[1]] for index in range(count)]


def _write(path, frames, fps=25.0, audio_from=None):
    with video.VideoWriter(path, fps=fps, audio_from=audio_from) as writer:
        for frame in frames:
            writer.write(frame)
    return path


def test_writer_round_trip_keeps_count_size_and_fps(tmp_path):
    path = _write(tmp_path / "clip.mp4", _moving_frames(12), fps=12.5)
    info = video.probe(path)
    assert (info.frame_count, info.width, info.height, info.fps) == (12, 64, 48, 12.5)
    frames = list(video.read_frames(path))
    assert len(frames) == 12 and frames[0].shape == (48, 64, 3)
    assert np.abs(frames[5].astype(int) - _moving_frames(12)[5]).mean() < 12  # Lossy, but close.
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # No temporary left behind.


def test_odd_sizes_are_padded_to_even(tmp_path):
    frames = [frame[:47, :63] for frame in _moving_frames(3)]
    info = video.probe(_write(tmp_path / "odd.mp4", frames))
    assert (info.width, info.height) == (64, 48)


def test_stride_and_max_frames(tmp_path):
    path = _write(tmp_path / "clip.mp4", _moving_frames(10))
    assert len(list(video.read_frames(path, stride=3))) == 4  # Frames 0, 3, 6, 9.
    assert len(list(video.read_frames(path, max_frames=4))) == 4
    with pytest.raises(ValueError, match="stride"):
        list(video.read_frames(path, stride=0))


def test_reader_streams_without_holding_the_video(tmp_path):
    path = _write(tmp_path / "long.mp4", _moving_frames(150, size=(96, 128)))
    frame_bytes = 96 * 128 * 3
    tracemalloc.start()
    count = sum(1 for _ in video.read_frames(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 150
    assert peak < 20 * frame_bytes  # The whole video would be 150 frames.


def test_folder_of_numbered_frames_reads_in_numeric_order(tmp_path):
    frames = _moving_frames(11)
    for index, frame in enumerate(frames):
        Image.fromarray(frame).save(tmp_path / f"frame{index}.png")
    read = list(video.read_frames(tmp_path))
    assert len(read) == 11
    np.testing.assert_array_equal(read[10], frames[10])  # frame10 after frame9, not after frame1.
    assert video.probe(tmp_path, fps_for_folders=24).fps == 24


def test_audio_is_carried_over_from_the_source(tmp_path):
    source = tmp_path / "with_audio.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(source)], check=True, timeout=60,
    )
    assert video.probe(source).has_audio
    output = _write(tmp_path / "out.mp4", list(video.read_frames(source)), fps=10, audio_from=source)
    assert video.probe(output).has_audio
    assert not video.probe(_write(tmp_path / "silent.mp4", _moving_frames(3))).has_audio


def test_a_failed_write_leaves_no_file(tmp_path):
    target = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError):
        with video.VideoWriter(target, fps=10) as writer:
            writer.write(_moving_frames(1)[0])
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_bad_inputs_get_clear_errors(tmp_path):
    (tmp_path / "notes.mp4").write_text("not a video")
    with pytest.raises(ValueError, match="not a readable video"):
        video.probe(tmp_path / "notes.mp4")
    with pytest.raises(ValueError, match="does not exist"):
        video.probe(tmp_path / "missing.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(ValueError, match="no frame images"):
        video.probe(tmp_path / "empty")


def test_scene_cut_triggers_on_a_cut_and_not_on_a_pan():
    pan = _moving_frames(20)
    detector = video.SceneCutDetector()
    assert not any(detector.is_cut(frame) for frame in pan)
    other_shot = (255 - make_scene((48, 64), seed=99)) // 2 + 100  # A brighter, different scene.
    assert detector.is_cut(other_shot)
    assert not detector.is_cut(other_shot)
