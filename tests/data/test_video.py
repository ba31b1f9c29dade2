import contextlib
import resource
import signal
import subprocess
import tracemalloc
import warnings

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from colornn_keras import errors
from colornn_keras import files
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


def _ffmpeg(*arguments):
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-y", *arguments], check=True, timeout=60)


def faststart_clip(path, frames=40, audio=False):
    """A 32x24 mp4 at 25 fps with its header (moov) first, as streaming files have it."""
    inputs = ["-f", "lavfi", "-i", f"testsrc=size=32x24:rate=25:duration={frames / 25}"]
    if audio:
        inputs += ["-f", "lavfi", "-i", f"sine=duration={frames / 25}", "-c:a", "aac"]
    _ffmpeg(*inputs, "-c:v", "libx264", "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(path))
    return path


def cut(path, fraction=0.5, target=None):
    """The first `fraction` of a file's bytes, as an interrupted download or copy leaves it."""
    data = path.read_bytes()
    target = target or path
    target.write_bytes(data[: int(len(data) * fraction)])
    return target


def test_bad_inputs_get_clear_errors(tmp_path):
    (tmp_path / "notes.mp4").write_text("not a video")
    with pytest.raises(errors.InputError, match="notes.mp4 is not a video ffmpeg can read: moov atom not found"):
        video.probe(tmp_path / "notes.mp4")
    (tmp_path / "zero.mp4").write_bytes(b"")
    with pytest.raises(errors.InputError, match=r"zero.mp4 is empty \(0 bytes\)"):
        video.probe(tmp_path / "zero.mp4")
    with pytest.raises(errors.InputError, match="does not exist"):
        video.probe(tmp_path / "missing.mp4")
    (tmp_path / "empty").mkdir()
    with pytest.raises(errors.InputError, match="no frame images"):
        video.probe(tmp_path / "empty")


def test_a_sound_track_alone_has_no_video_stream(tmp_path):
    _ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(tmp_path / "sound.mp4"))
    with pytest.raises(errors.InputError, match=r"sound.mp4 has no video stream \(only audio\)"):
        video.probe(tmp_path / "sound.mp4")


def test_a_header_without_frames_holds_zero_frames(tmp_path):
    clip = faststart_clip(tmp_path / "clip.mp4")
    data = clip.read_bytes()
    header_only = tmp_path / "header_only.mp4"
    header_only.write_bytes(data[: data.index(b"mdat") + 4])  # Every frame's data cut off.
    with pytest.raises(errors.InputError, match="header_only.mp4 has a video stream but no frames: its header declares"):
        video.probe(header_only)


def test_a_truncated_video_is_refused_or_read_with_a_warning(tmp_path):
    clip = faststart_clip(tmp_path / "clip.mp4", frames=40, audio=True)
    assert video.probe(clip).frame_count == 40  # Complete: no complaint.
    truncated = cut(clip, 0.5, tmp_path / "truncated.mp4")
    with pytest.raises(errors.InputError, match=r"truncated.mp4 is truncated: its header declares 1.60 s \(about 40 "
                                                r"frames at 25 fps\) but the file holds .* s \(\d+ frames\); "
                                                r"pass --allow-truncated"):
        video.probe(truncated)
    with pytest.warns(errors.ColorNNWarning, match="truncated.mp4 is truncated: .*about 40 frames"):
        info = video.probe(truncated, allow_truncated=True)
    assert 5 < info.frame_count < 40
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", errors.ColorNNWarning)
        frames = list(video.read_frames(truncated, expected_frames=info.frame_count, allow_truncated=True))
    assert info.frame_count - 1 <= len(frames) <= info.frame_count  # The last, partial frame may not decode.


def test_decoding_fewer_frames_than_the_file_holds_is_an_error(tmp_path):
    path = _write(tmp_path / "clip.mp4", _moving_frames(6))
    with pytest.raises(errors.InputError, match="clip.mp4 decodes to 6 of the 9 frames it holds"):
        list(video.read_frames(path, expected_frames=9))
    assert len(list(video.read_frames(path, expected_frames=6))) == 6


@pytest.mark.parametrize(
    "names, sizes, frames",
    [
        (["00000.jpg", "00001.jpg", "00002.jpg"], [(32, 24)] * 3, True),  # DAVIS
        (["frame_0001.png", "frame_0002.png", "frame_0010.png"], [(32, 24)] * 3, True),
        (["frame_0001.png", "frame_0002.png"], [(32, 24), (24, 32)], False),  # Two sizes: photos.
        (["IMG_0001.jpg", "IMG_0002.jpg", "IMG_0003.jpg"], [(32, 24)] * 3, False),  # A camera's names.
        (["DSCF0001.jpg", "DSCF0002.jpg"], [(32, 24)] * 2, False),
        (["DSC_0001.jpg", "DSC_0002.jpg"], [(32, 24)] * 2, False),
        (["20240101_120000.jpg", "20240101_120105.jpg"], [(32, 24)] * 2, False),  # A phone's dates.
        (["beach.jpg", "boat_2.jpg"], [(32, 24)] * 2, False),
        (["0001.png"], [(32, 24)], False),
    ],
)
def test_only_numbered_frames_of_one_size_make_a_video(tmp_path, names, sizes, frames):
    for name, size in zip(names, sizes):
        Image.fromarray(make_scene(size[::-1], seed=len(name))).save(tmp_path / name)
    assert video.is_frame_folder(tmp_path) is frames


def test_a_bad_frame_is_named(tmp_path):
    for index, frame in enumerate(_moving_frames(3)):
        Image.fromarray(frame).save(tmp_path / f"{index:04d}.png")
    (tmp_path / "0001.png").write_bytes(b"")
    assert video.is_frame_folder(tmp_path)  # Named as frames: the bad one does not make it photos.
    with pytest.raises(errors.InputError, match=r"Frame .*0001.png is not a readable image: the file is empty"):
        video.probe(tmp_path)
    with pytest.raises(errors.InputError, match=r"Frame .*0001.png is not a readable image"):
        list(video.read_frames(tmp_path))


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


def test_a_video_the_encoder_cannot_finish_is_never_put_in_place(tmp_path):
    target = tmp_path / "clip.mp4"
    target.write_bytes(b"the previous version")
    with pytest.raises(errors.OutputError, match=r"Cannot write .*clip.mp4: ffmpeg .*") as failure:
        with file_size_limit(2000):
            _write(target, _moving_frames(40))
    assert files.TEMPORARY_MARK not in str(failure.value)
    assert target.read_bytes() == b"the previous version"
    assert [path.name for path in tmp_path.iterdir()] == ["clip.mp4"]


def test_a_video_missing_frames_is_never_put_in_place(tmp_path, monkeypatch):
    real_scan = video._scan

    def scan_one_short(path, decode=False):
        scan = real_scan(path, decode)
        if decode:
            scan.frames -= 1  # As a file the disk accepted only part of would read back.
        return scan

    monkeypatch.setattr(video, "_scan", scan_one_short)
    with pytest.raises(errors.OutputError, match=r"clip.mp4: it came out holding 4 of the 5 frames written"):
        _write(tmp_path / "clip.mp4", _moving_frames(5))
    assert list(tmp_path.iterdir()) == []


def test_scene_cut_triggers_on_a_cut_and_not_on_a_pan():
    pan = _moving_frames(20)
    detector = video.SceneCutDetector()
    assert not any(detector.is_cut(frame) for frame in pan)
    other_shot = (255 - make_scene((48, 64), seed=99)) // 2 + 100  # A brighter, different scene.
    assert detector.is_cut(other_shot)
    assert not detector.is_cut(other_shot)
