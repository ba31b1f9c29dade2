import contextlib
import fractions
import pathlib
import re
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
    with pytest.warns(errors.ColorNNWarning, match="odd.mp4 is 64x48, not the 63x47 of its frames"):
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


def test_a_video_placed_by_another_run_meanwhile_stays_and_this_one_is_kept_beside_it(tmp_path):
    # Issue #30 item 1: without replace, the last run to finish no longer wins silently.
    target = tmp_path / "clip.mp4"
    with pytest.raises(errors.OutputError, match=rf"{target} was placed by another run first; this run's output "
                                                 rf"is kept as {tmp_path / 'clip_kept.mp4'}\.$"):
        with video.VideoWriter(target, fps=10, replace=False) as writer:
            for frame in _moving_frames(3):
                writer.write(frame)
            target.write_bytes(b"another run's video")
    assert target.read_bytes() == b"another run's video"
    assert video.probe(tmp_path / "clip_kept.mp4").frame_count == 3
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip.mp4", "clip_kept.mp4"]


def test_a_video_missing_frames_is_never_put_in_place(tmp_path, monkeypatch):
    real_scan = video._scan

    def scan_one_short(path, decode=False):
        scan = real_scan(path, decode)
        if files.TEMPORARY_MARK in pathlib.Path(path).name:  # The written file, checked before it is put in place.
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


# --- YUV planes: the source's luma untouched, colours in its own matrix and range ----------------

HEADER = "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'clip.mp4':\n  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), {}, {} [SAR 1:1 DAR 16:9], 1185 kb/s, 30 fps\n"


@pytest.mark.parametrize(
    "description, size, expected",
    [
        ("yuv420p(tv, bt709, progressive)", "1280x720", ("yuv420p", "bt709", False, "bt709", "bt709", True)),
        # No matrix stated: BT.709 for HD, BT.601 for SD, as players guess.
        ("yuv420p(progressive)", "1280x720", ("yuv420p", "bt709", False, None, None, False)),
        ("yuv420p", "640x352", ("yuv420p", "smpte170m", False, None, None, False)),
        ("yuvj420p(pc, bt470bg/unknown/unknown, progressive)", "640x480",
         ("yuvj420p", "bt470bg", True, None, None, True)),
        ("yuv420p10le(tv, bt2020nc/bt2020/smpte2084)", "3840x2160",
         ("yuv420p10le", "bt2020nc", False, "bt2020", "smpte2084", True)),
        ("yuv420p(tv, smpte170m, top coded first (swapped))", "720x480",
         ("yuv420p", "smpte170m", False, "smpte170m", "smpte170m", True)),
        ("gray(progressive)", "720x576", ("gray", "smpte170m", False, None, None, False)),
    ],
)
def test_the_yuv_format_is_read_from_the_stream(description, size, expected):
    width, height = map(int, size.split("x"))
    found = video.YuvFormat.from_header(HEADER.format(description, size), width, height)
    assert (found.pixel_format, found.matrix, found.full_range, found.primaries, found.transfer,
            found.matrix_stated) == expected


@pytest.mark.parametrize("description", ["gbrp(pc, gbr/unknown/unknown, progressive)", "rgb24", "pal8",
                                         "yuv420p(tv, bt2020c)", "yuv444p(tv, ycgco)"])
def test_rgb_and_other_matrices_are_read_as_rgb(description):
    assert video.YuvFormat.from_header(HEADER.format(description, "640x480"), 640, 480) is None


def _lossless_clip(path, planes, pixel_format, tags=(), codec_format=None):
    """An H.264 clip (x264 lossless, -qp 0) holding exactly `planes` [(Y, Cb, Cr) uint8] in `pixel_format`."""
    height, width = planes[0][0].shape
    data = b"".join(plane.tobytes() for frame in planes for plane in frame)
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-v", "error", "-f", "rawvideo", "-pix_fmt", pixel_format,
                    "-s", f"{width}x{height}", "-r", "10", *tags, "-i", "-", "-c:v", "libx264", "-qp", "0",
                    "-pix_fmt", codec_format or pixel_format, *tags, str(path)], input=data, check=True, timeout=60)
    return path


def _random_planes(count, size, chroma_size, seed=0, full_range=False):
    rng = np.random.default_rng(seed)
    low, high = (0, 256) if full_range else (16, 236)
    return [(rng.integers(low, high, size, dtype=np.uint8), rng.integers(16, 241, chroma_size, dtype=np.uint8),
             rng.integers(16, 241, chroma_size, dtype=np.uint8)) for _ in range(count)]


@pytest.mark.parametrize(
    "pixel_format, chroma, tags",
    [
        ("yuv420p", (24, 33), ()),
        ("yuv420p", (24, 33), ("-colorspace", "bt709", "-color_range", "tv")),
        ("yuvj420p", (24, 33), ()),
        ("yuv422p", (48, 33), ()),
        ("yuv444p", (48, 66), ()),
    ],
)
def test_8_bit_luma_planes_arrive_bit_for_bit(tmp_path, pixel_format, chroma, tags):
    planes = _random_planes(4, (48, 66), chroma, full_range=pixel_format.startswith("yuvj"))
    info = video.probe(_lossless_clip(tmp_path / "clip.mp4", planes, pixel_format, tags))
    assert info.yuv_format.luma_untouched and info.yuv_format.full_range == pixel_format.startswith("yuvj")
    read = list(video.read_luma_planes(info))
    assert len(read) == 4
    for plane, (luma, _, _) in zip(read, planes):
        np.testing.assert_array_equal(plane, luma)


def test_a_10_bit_luma_is_converted_to_8_bits_in_its_own_range(tmp_path):
    planes = _random_planes(2, (48, 66), (24, 33))
    clip = _lossless_clip(tmp_path / "clip.mp4", planes, "yuv420p", codec_format="yuv420p10le")
    info = video.probe(clip)
    assert info.yuv_format.pixel_format == "yuv420p10le" and not info.yuv_format.luma_untouched
    for plane, (luma, _, _) in zip(video.read_luma_planes(info), planes):
        np.testing.assert_array_equal(plane, luma)  # 8-bit values scaled to 10 bits come back as they were.


@pytest.mark.parametrize("yuv_format", [
    video.YuvFormat("yuv420p", "bt709", primaries="bt709", transfer="bt709"),
    video.YuvFormat("yuvj420p", "smpte170m", full_range=True),
])
def test_written_planes_reach_the_file_untouched_and_state_their_format(tmp_path, yuv_format):
    planes = _random_planes(3, (51, 67), (26, 34), full_range=yuv_format.full_range)
    with video.VideoWriter(tmp_path / "out.mp4", fps=10, crf=0, yuv_format=yuv_format) as writer:  # x264 lossless.
        for frame in planes:
            writer.write_planes(*frame)
    info = video.probe(tmp_path / "out.mp4")
    assert (info.frame_count, info.width, info.height) == (3, 68, 52)  # Padded to even sides.
    written = info.yuv_format
    assert (written.matrix, written.full_range, written.primaries, written.matrix_stated) == (
        yuv_format.matrix, yuv_format.full_range, yuv_format.primaries, True)
    for plane, (luma, _, _) in zip(video.read_luma_planes(info), planes):
        np.testing.assert_array_equal(plane[:51, :67], luma)
    decoded = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(tmp_path / "out.mp4"),
                              "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"], capture_output=True, check=True).stdout
    frame_bytes = 68 * 52 + 2 * 34 * 26
    for index, (_, cb, cr) in enumerate(planes):
        chroma = np.frombuffer(decoded, np.uint8, 2 * 34 * 26, index * frame_bytes + 68 * 52).reshape(2, 26, 34)
        np.testing.assert_array_equal(chroma[0], cb)
        np.testing.assert_array_equal(chroma[1], cr)


def test_a_writer_takes_one_kind_of_frame_and_checks_planes(tmp_path):
    planar = video.VideoWriter(tmp_path / "planes.mp4", fps=10, yuv_format=video.YuvFormat("yuv420p", "bt709"))
    luma, cb = np.zeros((48, 64), np.uint8), np.zeros((24, 32), np.uint8)
    with pytest.raises(ValueError, match="use write_planes"):
        planar.write(np.zeros((48, 64, 3), np.uint8))
    with pytest.raises(ValueError, match=r"Cb, Cr of \(24, 32\)"):
        planar.write_planes(luma, cb, np.zeros((24, 31), np.uint8))
    with pytest.raises(ValueError, match="use write"):
        video.VideoWriter(tmp_path / "rgb.mp4", fps=10).write_planes(luma, cb, cb)
    assert list(tmp_path.iterdir()) == []


def test_the_plane_reader_reports_damage_as_the_frame_reader_does(tmp_path, monkeypatch):
    info = video.probe(_write(tmp_path / "clip.mp4", _moving_frames(6)))
    assert len(list(video.read_luma_planes(info))) == 6
    info.frame_count = 9  # As a file that holds 9 frames but decodes to 6 reads.
    with pytest.raises(errors.InputError, match="clip.mp4 decodes to 6 of the 9 frames it holds"):
        list(video.read_luma_planes(info))
    with pytest.warns(errors.ColorNNWarning, match="decodes to 6 of the 9 frames it holds; kept those"):
        assert len(list(video.read_luma_planes(info, allow_truncated=True))) == 6
    # A reader left early stops its decoder.
    decoders = []
    real_popen = subprocess.Popen
    monkeypatch.setattr(video.subprocess, "Popen", lambda *a, **k: decoders.append(real_popen(*a, **k)) or decoders[-1])
    reader = video.read_luma_planes(info)
    next(reader)
    reader.close()
    assert len(decoders) == 1 and decoders[0].poll() is not None


def test_the_plane_reader_streams_without_holding_the_video(tmp_path):
    info = video.probe(_write(tmp_path / "long.mp4", _moving_frames(150, size=(96, 128))))
    tracemalloc.start()
    count = sum(1 for _ in video.read_luma_planes(info))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 150 and peak < 20 * 96 * 128  # The whole video would be 150 planes.


def _rgb_path_chroma(rgb, yuv_format):
    """Cb and Cr codes of RGB uint8 output, as an encoder computes them in `yuv_format` without
    rounding, averaged over each 2x2 (4:2:0)."""
    weight_red, weight_blue = video.MATRICES[yuv_format.matrix]
    rgb = rgb.astype(np.float64) / 255
    luma = weight_red * rgb[..., 0] + (1 - weight_red - weight_blue) * rgb[..., 1] + weight_blue * rgb[..., 2]
    span = 255 if yuv_format.full_range else 224
    planes = []
    for difference, weight in ((rgb[..., 2] - luma, weight_blue), (rgb[..., 0] - luma, weight_red)):
        plane = 128 + span * difference / (2 * (1 - weight))
        planes.append(plane.reshape(plane.shape[0] // 2, 2, plane.shape[1] // 2, 2).mean(axis=(1, 3)))
    return planes


class _ModelSize:
    """Stands for a 32x32 color model where only the Colorizer's joining is tested."""

    input_shape = (None, 32, 32, 1)


def _smooth_uv(amplitude, size=32):
    """Smooth model-size colours, as the model's decoded (U, V) are."""
    rows, columns = np.meshgrid(np.linspace(0, 3, size), np.linspace(0, 3, size), indexing="ij")
    return amplitude * np.stack([np.sin(rows + columns), np.cos(2 * rows - columns)], axis=-1).astype(np.float32)


def _luma_plane(yuv_format, seed=4, brightness=(0.0, 1.0)):
    """A scene's luma plane in `yuv_format`, its Y squeezed into `brightness`."""
    from colornn_keras import colorspace

    low, span = (0, 255) if yuv_format.full_range else (16, 219)
    luma = colorspace.rgb_to_luma(make_scene((96, 128), seed=seed) / 255.0)[..., 0]
    luma = brightness[0] + (brightness[1] - brightness[0]) * luma
    return np.round(low + span * luma).astype(np.uint8)


@pytest.mark.parametrize("yuv_format, amplitude, brightness", [
    # BT.601, the model's own: colours saturated enough that dark and bright pixels need fitting
    # into the gamut, which both paths do alike.
    (video.YuvFormat("yuv420p", "smpte170m"), 0.35, (0.0, 1.0)),
    # Other matrices fit colours to the gamut their decoder shows, the RGB path to BT.601's: the
    # two apply alike to colours inside both, here the model's usual saturation on mid-tones.
    (video.YuvFormat("yuv420p", "bt709"), 0.12, (0.25, 0.8)),
    (video.YuvFormat("yuvj420p", "bt709", full_range=True), 0.12, (0.25, 0.8)),
])
def test_chroma_planes_are_the_rgb_path_s_within_one_code_value(yuv_format, amplitude, brightness):
    from colornn_keras import inference

    colorizer = inference.Colorizer(_ModelSize())
    luma_plane, uv = _luma_plane(yuv_format, brightness=brightness), _smooth_uv(amplitude)
    rgb = colorizer.join(yuv_format.luma_to_unit(luma_plane)[..., None], uv)
    got = colorizer.chroma_planes(luma_plane, uv, yuv_format)
    for plane, reference in zip(got, _rgb_path_chroma(rgb, yuv_format)):
        assert plane.shape == (48, 64) and plane.dtype == np.uint8
        assert np.abs(plane.astype(float) - np.round(reference)).max() <= 1
    gray = colorizer.chroma_planes(luma_plane, np.zeros_like(uv), yuv_format)
    assert all((plane == 128).all() for plane in gray)


def test_bt709_chroma_decodes_in_gamut_around_the_source_s_luma():
    from colornn_keras import inference

    yuv_format = video.YuvFormat("yuv420p", "bt709")
    # Black to white, even over each 2x2 (whose pixels share one Cb and Cr), with saturated colours.
    rows, columns = np.meshgrid(np.linspace(0, 1, 48), np.linspace(0, 1, 64), indexing="ij")
    luma_plane = np.repeat(np.repeat(np.round(16 + 219 * (rows + columns) / 2), 2, axis=0), 2, axis=1).astype(np.uint8)
    cb, cr = (np.repeat(np.repeat(plane.astype(float), 2, axis=0), 2, axis=1)
              for plane in inference.Colorizer(_ModelSize()).chroma_planes(luma_plane, _smooth_uv(0.35), yuv_format))
    # A BT.709 decoder's RGB from the source's luma and these Cb, Cr: in gamut, to the rounding of
    # Cb and Cr to code values, so a player clips no channel and the luma is what it shows.
    luma, cb, cr = (luma_plane - 16) / 219, (cb - 128) / 224, (cr - 128) / 224
    red, blue = luma + 1.5748 * cr, luma + 1.8556 * cb
    green = (luma - 0.2126 * red - 0.0722 * blue) / 0.7152
    rgb = np.stack([red, green, blue], axis=-1)
    assert rgb.min() > -0.01 and rgb.max() < 1.01
    assert np.abs(cb).max() > 0.15 and np.abs(cr).max() > 0.15  # Colourful, not made gray to fit.


class _Reddish:
    """A 32x32 color model that predicts one reddish colour everywhere, in an instant."""

    input_shape = (None, 32, 32, 1)

    def predict_on_batch(self, luma):
        bins = np.zeros((len(luma), 32, 32, 30), np.float32)
        return {"u": bins + np.eye(30, dtype=np.float32)[12], "v": bins + np.eye(30, dtype=np.float32)[22]}


@pytest.mark.parametrize("mode", ["per_frame", "keyframe", "both_ways"])
def test_colorizing_a_video_keeps_its_luma_bit_for_bit(tmp_path, monkeypatch, mode):
    """Through the whole of `colorize`: the luma planes sent to x264 are the source's, and with
    x264 lossless so are the output's; fps, frame count and audio are kept, the matrix stated.
    Also for the two-pass runs (keyframes, smoothing both ways), which read the planes twice."""
    from colornn_keras import colorize_files
    from colornn_keras import inference
    from colornn_keras.models import flow_guided

    planes = _random_planes(5, (48, 66), (24, 33), seed=3)
    silent = _lossless_clip(tmp_path / "silent.mp4", planes, "yuv420p", ("-colorspace", "bt709"))
    source = tmp_path / "clip.mp4"
    _ffmpeg("-i", str(silent), "-f", "lavfi", "-i", "sine=duration=0.5", "-c:v", "copy", "-c:a", "aac",
            "-shortest", str(source))
    sent = []
    real_write_planes = video.VideoWriter.write_planes
    monkeypatch.setattr(video.VideoWriter, "write_planes",
                        lambda writer, luma, cb, cr: sent.append(luma.copy()) or real_write_planes(writer, luma, cb, cr))

    colorizer, keyframes = inference.Colorizer(_Reddish(), batch_size=2), None
    if mode == "keyframe":  # A reddish keyframe: frame 2's colours carried along the flow.
        keyframes = {2: np.full((24, 33, 3), (200, 60, 60), np.uint8)}
    elif mode == "both_ways":
        colorizer = inference.Colorizer(_Reddish(), batch_size=2, flow_guided_model=flow_guided.FlowSmoothingModel(0.9),
                                        both_ways=True)
    report = colorize_files.colorize(colorizer, source, tmp_path / "out.mp4", keyframes=keyframes,
                                     crf=0)  # x264 lossless.
    assert report.frames == len(sent) == 5
    info = video.probe(tmp_path / "out.mp4")
    assert (info.frame_count, info.fps, info.has_audio, info.yuv_format.matrix) == (5, 10.0, True, "bt709")
    for piped, written, (luma, _, _) in zip(sent, video.read_luma_planes(info), planes):
        np.testing.assert_array_equal(piped, luma)
        np.testing.assert_array_equal(written, luma)
    decoded = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(tmp_path / "out.mp4"),
                              "-frames:v", "1", "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
                             capture_output=True, check=True).stdout
    red_difference = np.frombuffer(decoded, np.uint8)[48 * 66 + 24 * 33 :]
    assert red_difference.mean() > 150  # Coloured: V bin 22 of 30 is well above gray's 128.


class _Bluish:
    """A consistency model that predicts one bluish colour whatever it is given."""

    def predict_on_batch(self, inputs):
        bins = np.zeros((1, 32, 32, 30), np.float32)
        return {"u": bins + np.eye(30, dtype=np.float32)[25], "v": bins + np.eye(30, dtype=np.float32)[8]}


def test_a_video_is_coloured_free_running_through_its_planes(tmp_path):
    from colornn_keras import colorize_files
    from colornn_keras import inference

    shots = _moving_frames(4) + [255 - frame for frame in _moving_frames(3)]  # A cut before frame 4.
    source = _write(tmp_path / "clip.mp4", shots)
    report = colorize_files.colorize(inference.Colorizer(_Reddish(), _Bluish()), source, tmp_path / "out.mp4")
    assert report.frames == 7
    decoded = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(tmp_path / "out.mp4"),
                              "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"], capture_output=True, check=True).stdout
    frame_bytes, luma_bytes, chroma_bytes = 48 * 64 * 3 // 2, 48 * 64, 24 * 32
    red_differences = [np.frombuffer(decoded, np.uint8, chroma_bytes, index * frame_bytes + luma_bytes + chroma_bytes)
                       .mean() for index in range(7)]
    # Each shot's first frame from the color model (reddish), the others from the consistency model.
    assert [difference > 128 for difference in red_differences] == [True, False, False, False, True, False, False]


@pytest.mark.large
def test_colorizing_a_video_in_yuv_holds_a_few_frames_however_long(tmp_path):
    from colornn_keras import colorize_files
    from colornn_keras import inference

    peaks = []
    for frames in (30, 120):
        source = _write(tmp_path / f"clip_{frames}.mp4", _moving_frames(frames, size=(96, 128)))
        tracemalloc.start()
        report = colorize_files.colorize(inference.Colorizer(_Reddish(), batch_size=4), source,
                                         tmp_path / f"out_{frames}.mp4")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert report.frames == frames
    # Flat in the length (measured: 1.9 and 2.0 MB), far from 120 frames of float luma (5.9 MB).
    assert peaks[1] < 1.3 * peaks[0] and peaks[1] < 120 * 96 * 128 * 4 / 2


def test_rgb_frames_are_written_in_bt601_and_the_file_says_so(tmp_path):
    green = np.zeros((720, 1280, 3), np.uint8)
    green[..., 1] = 255
    info = video.probe(_write(tmp_path / "green.mp4", [green]))
    assert (info.yuv_format.matrix, info.yuv_format.matrix_stated) == ("smpte170m", True)  # HD, yet BT.601: stated.
    # BT.601's luma of pure green, 16 + 219 * 0.587 = 144.6 (BT.709's would be 172.6).
    assert abs(float(next(video.read_luma_planes(info)).mean()) - 144.6) < 1


def test_the_encoder_settings_reach_x264_and_bad_ones_are_refused_before_any_work(tmp_path):
    from colornn_keras import colorize_files
    from colornn_keras import inference

    source = _write(tmp_path / "clip.mp4", _moving_frames(3))
    writer = video.VideoWriter(tmp_path / "out.mp4", fps=10, crf=30, preset="ultrafast")
    writer._size = (64, 48)
    command = writer._encoder_command()
    assert command[command.index("-preset") + 1] == "ultrafast" and command[command.index("-crf") + 1] == "30"
    report = colorize_files.colorize(inference.Colorizer(_Reddish()), source, tmp_path / "fast.mp4", x264_preset="ultrafast")
    assert report.frames == 3 and video.probe(tmp_path / "fast.mp4").frame_count == 3
    for settings, message in (({"x264_preset": "quick"}, "x264 preset must be one of ultrafast"),
                              ({"crf": 52}, "crf must be a number from 0 .lossless. to 51")):
        with pytest.raises(errors.ColorNNError, match=message):
            colorize_files.colorize(inference.Colorizer(_Reddish()), source, tmp_path / "bad.mp4", **settings)
    assert not (tmp_path / "bad.mp4").exists()


# Issue #30: an input that changes during a run is caught; a video's timing and shape are kept.


def _both_ways():
    from colornn_keras import inference
    from colornn_keras.models import flow_guided

    return inference.Colorizer(_Reddish(), batch_size=2, flow_guided_model=flow_guided.FlowSmoothingModel(0.9),
                               both_ways=True)


def _changing_after_first_reading(monkeypatch, name, change):
    """Makes `video.<name>` call `change()` once its first reading has gone through every frame."""
    real, readings = getattr(video, name), []

    def reading(*arguments, **keywords):
        readings.append(None)
        yield from real(*arguments, **keywords)
        if len(readings) == 1:
            change()

    monkeypatch.setattr(video, name, reading)
    return readings


@pytest.mark.parametrize("how", ["replaced", "rewritten_keeping_its_time", "a_frame_rewritten"])
def test_an_input_that_changes_between_its_two_readings_is_refused_and_nothing_is_written(tmp_path, monkeypatch,
                                                                                         how):
    """Both ways reads the input twice: another clip of the same size put in its place after the
    first reading would give its luma the first clip's colours."""
    import os

    from colornn_keras import colorize_files

    frames, others = _moving_frames(5), [255 - frame for frame in _moving_frames(5, step=3)]
    if how == "a_frame_rewritten":  # A folder of numbered frames, read as RGB frames.
        source = tmp_path / "frames"
        source.mkdir()
        for index, frame in enumerate(frames):
            Image.fromarray(frame).save(source / f"frame{index}.png")
        readings = _changing_after_first_reading(
            monkeypatch, "read_frames", lambda: Image.fromarray(others[2]).save(source / "frame2.png"))
    else:  # A video file, read as luma planes.
        source, other = _write(tmp_path / "clip.mp4", frames), _write(tmp_path / "other.mp4", others)

        def change():
            if how == "replaced":
                os.replace(other, source)
            else:  # Copied over it in place, its time put back as `cp -p` would.
                status = source.stat()
                source.write_bytes(other.read_bytes())
                os.utime(source, ns=(status.st_atime_ns, status.st_mtime_ns))

        readings = _changing_after_first_reading(monkeypatch, "read_luma_planes", change)
    target = tmp_path / "out" / "colorized.mp4"
    with pytest.raises(errors.InputError, match=rf"^{source} changed during the run \(.+\): nothing was written"):
        colorize_files.colorize(_both_ways(), source, target)
    assert len(readings) == 2  # Caught after the second reading, not by it.
    assert not target.parent.exists() or list(target.parent.iterdir()) == []


def test_an_input_left_alone_is_coloured_both_ways(tmp_path):
    from colornn_keras import colorize_files

    source = _write(tmp_path / "clip.mp4", _moving_frames(5))
    identity = video.input_identity(source)
    assert identity.changed(video.input_identity(source)) is None and identity.digest
    assert colorize_files.colorize(_both_ways(), source, tmp_path / "out.mp4").frames == 5


def _shown_times(path):
    """Each frame's time in seconds as ffmpeg decodes and shows it (its showinfo filter)."""
    log = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-nostdin", "-i", str(path),
                          "-map", "0:v:0", "-vf", "showinfo", "-f", "null", "-"],
                         capture_output=True, text=True, check=True).stderr
    return [float(time) for time in re.findall(r"pts_time:\s*(-?[\d.]+)", log)]


def _variable_rate_clip(path, shown, audio_seconds=1.5):
    """A 32x24 mp4 showing frames only at the times `shown` (multiples of 0.05 s), with a sine
    from time 0, as a phone's variable-frame-rate clip has them."""
    chosen = "+".join(f"eq(n,{round(time * 20)})" for time in shown)
    _ffmpeg("-f", "lavfi", "-i", f"testsrc=size=32x24:rate=20:duration={max(shown) + 0.1}", "-f", "lavfi",
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
    shown = _shown_times(source)
    assert shown == pytest.approx([0.5, 0.6, 0.7, 1.0, 1.05, 1.3], abs=1e-3)
    assert np.allclose(video.read_frame_times(source).seconds(), shown, atol=1e-3)
    assert len(list(video.read_frames(source))) == 6  # As the file holds them: none repeated.
    report = colorize_files.colorize(inference.Colorizer(_Reddish()), source, tmp_path / "out.mp4")
    coloured = _shown_times(tmp_path / "out.mp4")
    assert report.frames == len(coloured) == 6
    assert np.abs(np.array(coloured) - shown).max() <= 0.002
    assert video.probe(tmp_path / "out.mp4").has_audio


def test_the_writer_gives_each_frame_its_own_time_however_uneven(tmp_path):
    # 40 frames at steps of 1 to 9 ticks of 1/90 s: runs of even steps and single frames alike.
    steps = np.random.default_rng(5).integers(1, 10, 39)
    steps[10:20] = 3  # A run of even steps.
    times = video.FrameTimes(tuple(int(tick) for tick in np.concatenate([[45], 45 + np.cumsum(steps)])),
                             fractions.Fraction(1, 90))
    assert 5 < len(times._runs()) < 39
    frames = [frame[:24, :32] for frame in _moving_frames(40)]
    with video.VideoWriter(tmp_path / "uneven.mp4", fps=15, frame_times=times) as writer:
        for frame in frames:
            writer.write(frame)
    # Without audio the file starts at its first frame, which players show at 0 s.
    shown = np.array(_shown_times(tmp_path / "uneven.mp4"))
    assert len(shown) == 40 and np.abs(shown - (np.array(times.seconds()) - 0.5)).max() <= 0.002
    # Times within a millisecond of the constant rate are written at that rate, as before.
    even = video.FrameTimes(tuple(range(0, 3000, 100)), fractions.Fraction(1, 3000))
    assert video.VideoWriter(tmp_path / "even.mp4", fps=30, frame_times=even).frame_times is None


def test_an_ffmpeg_that_cannot_write_frame_times_says_the_timing_is_flattened(tmp_path, monkeypatch):
    monkeypatch.setattr(imageio_ffmpeg, "get_ffmpeg_version", lambda: "6.1.1")
    video._ffmpeg_writes_frame_times.cache_clear()
    uneven = video.FrameTimes((0, 10, 15, 40), fractions.Fraction(1, 100))
    try:
        with pytest.warns(errors.ColorNNWarning, match=r"vfr.mp4 is written at a constant 10 fps, not at its "
                                                       r"source's uneven frame times.*ffmpeg 6.1.1 cannot"):
            writer = video.VideoWriter(tmp_path / "vfr.mp4", fps=10, frame_times=uneven)
    finally:
        video._ffmpeg_writes_frame_times.cache_clear()
    assert writer.frame_times is None
    monkeypatch.undo()  # The ffmpeg at hand writes them.
    assert video.VideoWriter(tmp_path / "vfr.mp4", fps=10, frame_times=uneven).frame_times is uneven


@pytest.mark.large
def test_the_sample_aspect_ratio_is_kept(tmp_path):
    """A 12:11 clip (4:3 coded at 32x24 shows at 16:11) comes out 12:11, not square; turned a
    quarter by its display matrix, its pixels are read as 11:12, as ffmpeg decodes them."""
    from colornn_keras import colorize_files
    from colornn_keras import inference

    source = tmp_path / "pal.mp4"
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x24:rate=10:duration=0.3", "-vf", "setsar=12/11",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", str(source))
    assert video.probe(source).sample_aspect_ratio == fractions.Fraction(12, 11)
    colorize_files.colorize(inference.Colorizer(_Reddish()), source, tmp_path / "out.mp4")
    assert video.probe(tmp_path / "out.mp4").sample_aspect_ratio == fractions.Fraction(12, 11)
    _ffmpeg("-display_rotation", "90", "-i", str(source), "-c", "copy", str(tmp_path / "turned.mp4"))
    assert video.probe(tmp_path / "turned.mp4").sample_aspect_ratio == fractions.Fraction(11, 12)
    assert video.probe(_write(tmp_path / "square.mp4", _moving_frames(2))).sample_aspect_ratio is None


def test_an_odd_size_made_even_is_said_once(tmp_path):
    frames = [np.full((201, 333, 3), shade, np.uint8) for shade in (60, 120, 180)]
    with pytest.warns(errors.ColorNNWarning) as caught:
        _write(tmp_path / "odd.mp4", frames)
    padded = [str(warning.message) for warning in caught if "padded" in str(warning.message)]
    assert len(padded) == 1 and "odd.mp4 is 334x202, not the 333x201 of its frames" in padded[0]
    info = video.probe(tmp_path / "odd.mp4")
    assert (info.width, info.height) == (334, 202)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _write(tmp_path / "even.mp4", [frame[:200, :332] for frame in frames])  # Even: not a word.


# Issue #30, the cases the audit named but nothing checked: an input replaced by a clip without
# audio, a file with no streams, a rotated clip, a trimmed clip's pre-roll.


@pytest.mark.large
def test_an_input_replaced_by_a_clip_without_audio_is_an_input_error_and_nothing_is_written(tmp_path, monkeypatch):
    """The encoder opens the input for its audio when the second reading begins: a clip without
    audio put in its place stops it, which was reported as an output error."""
    import os

    from colornn_keras import colorize_files

    source = faststart_clip(tmp_path / "clip.mp4", frames=5, audio=True)
    silent = faststart_clip(tmp_path / "silent.mp4", frames=5)  # Same size and length, no audio.
    readings = _changing_after_first_reading(monkeypatch, "read_luma_planes", lambda: os.replace(silent, source))
    target = tmp_path / "out" / "colorized.mp4"
    with pytest.raises(errors.InputError, match=rf"^{re.escape(str(source))} changed during the run \(another file "
                                                rf"was put in its place\): nothing was written from it\.$"):
        colorize_files.colorize(_both_ways(), source, target)
    assert len(readings) == 2
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["clip.mp4"] + (["out"] if target.parent.exists() else [])


def _mp4_without_streams(path):
    """An mp4 whose header (moov) describes no track at all: ffmpeg opens it and finds nothing."""
    import struct

    def box(kind, payload):
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    movie_header = (bytes(4) + struct.pack(">IIII", 0, 0, 1000, 0) + struct.pack(">IH", 0x10000, 0x100) + bytes(10)
                    + struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000) + bytes(24)
                    + struct.pack(">I", 1))
    path.write_bytes(box(b"ftyp", b"isom" + struct.pack(">I", 512) + b"isomiso2mp41")
                     + box(b"moov", box(b"mvhd", movie_header)))
    return path


def test_a_file_with_no_streams_at_all_says_so(tmp_path):
    # It gave "... is not a video ffmpeg can read: Metadata:.", a line of ffmpeg's description.
    source = _mp4_without_streams(tmp_path / "empty_movie.mp4")
    with pytest.raises(errors.InputError, match=rf"^{re.escape(str(source))} has no video stream \(it holds no "
                                                r"streams at all\)\.$"):
        video.probe(source)


def _rotated_clip(path, degrees):
    """A 32x24 clip of a still, asymmetric scene, turned `degrees` counter-clockwise by its display
    matrix, as a phone held upright records it; and the scene's luma plane, unturned."""
    luma = np.rint(16 + 219 * (make_scene((24, 32), seed=11) @ np.array([0.299, 0.587, 0.114]) / 255)).astype(np.uint8)
    gray = np.full((12, 16), 128, np.uint8)
    plain = _lossless_clip(path.with_name("unturned.mp4"), [(luma, gray, gray)] * 3, "yuv420p")
    _ffmpeg("-display_rotation", str(degrees), "-i", str(plain), "-c", "copy", str(path))
    return path, luma


@pytest.mark.large
@pytest.mark.parametrize("degrees, turns", [(90, 1), (-90, 3), (180, 2)])
def test_a_rotated_clip_comes_out_as_a_player_shows_it_without_stray_lines(tmp_path, capfd, caplog, degrees, turns):
    """ffmpeg turns the frames as players do; the output holds them turned, with no display
    matrix left to turn them again, and imageio's note that the frames' size differs from the
    stream's (two lines on the terminal, where logging is not set up) is not logged."""
    from colornn_keras import colorize_files
    from colornn_keras import inference

    source, unturned = _rotated_clip(tmp_path / "phone.mp4", degrees)
    capfd.readouterr()
    info = video.probe(source)
    expected = np.rot90(unturned, turns)  # As a player shows it: numpy turns counter-clockwise too.
    assert (info.height, info.width) == expected.shape
    assert len(list(video.read_frames(source))) == 3
    report = colorize_files.colorize(inference.Colorizer(_Reddish()), source, tmp_path / "out.mp4")
    assert capfd.readouterr().err == ""
    assert [record.getMessage() for record in caplog.records if record.name.startswith("imageio")] == []
    written = video.probe(tmp_path / "out.mp4")
    assert report.frames == written.frame_count == 3 and (written.height, written.width) == expected.shape
    assert "rotation" not in video._scan(tmp_path / "out.mp4").header  # Turned once, not twice.
    luma = next(video.read_luma_planes(written)).astype(int)
    assert np.abs(luma - expected).mean() < 3  # x264 at its default quality, the source's luma.
    assert np.abs(luma - np.rot90(unturned, turns + 2)).mean() > 10  # Turned the right way round.


def _trimmed_clip(path, start):
    """A 1.6 s clip with sound (a key frame each second) cut from `start` s by stream copy, as
    `ffmpeg -ss START -i whole.mp4 -c copy` or an editor's quick trim makes it: the frames from
    the key frame before `start` are kept as pre-roll, which its edit list hides (decoded, never shown)."""
    whole = path.with_name("whole.mp4")
    _ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x24:rate=25:duration=1.6", "-f", "lavfi", "-i", "sine=duration=1.6",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac", str(whole))
    _ffmpeg("-ss", str(start), "-i", str(whole), "-c", "copy", str(path))
    return path


@pytest.mark.large
@pytest.mark.parametrize("start, shown", [(0.6, 25), (0.61, 24)])
def test_a_trimmed_clip_s_pre_roll_is_not_counted_and_its_frames_keep_their_times(tmp_path, start, shown):
    """The 15 frames of pre-roll were counted as frames the clip holds, so that, decoding to
    fewer, it was refused as damaged."""
    from colornn_keras import colorize_files
    from colornn_keras import inference

    source = _trimmed_clip(tmp_path / "trimmed.mp4", start)
    times = _shown_times(source)
    assert len(times) == shown
    assert video.probe(source).frame_count == shown
    report = colorize_files.colorize(inference.Colorizer(_Reddish()), source, tmp_path / "out.mp4")
    coloured = _shown_times(tmp_path / "out.mp4")
    assert report.frames == len(coloured) == shown
    assert np.abs(np.array(coloured) - times).max() <= 0.002  # In step with the sound, copied as it is.
    assert video.probe(tmp_path / "out.mp4").has_audio
