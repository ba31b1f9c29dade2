"""Writing a video: what VideoWriter puts in the file (the source's audio as it is, video at a
moderate bitrate, the frames' own size and format), and that it is placed only when complete."""

import fractions
import pathlib
import re
import subprocess
import warnings

import imageio_ffmpeg
import numpy as np
import pytest

from colornn_keras import errors
from colornn_keras import files
from colornn_keras.data import clean_aperture
from colornn_keras.data import ffmpeg_scan
from colornn_keras.data import frame_timing
from colornn_keras.data import video
from colornn_keras.data import video_encoding
from colornn_keras.data import yuv
from tests.conftest import make_scene
from tests.data.video_clips import Reddish, file_size_limit, moving_frames, random_planes, shown_times, write_clip


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
    with video_encoding.VideoWriter(target, fps=video.probe(source).fps, audio_from=source) as writer:
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
    assert video_encoding.audio_codec(source) == "pcm_s16le"
    assert video_encoding.audio_codec(tmp_path / "missing.mp4") is None
    codec, _, _ = _audio_stream(_colour_copy(source, tmp_path / "out.mp4"))
    assert codec == "aac"


def test_video_is_encoded_at_the_default_constant_rate_factor(tmp_path):
    target = tmp_path / "out.mp4"
    with video_encoding.VideoWriter(target, fps=10) as writer:
        for seed in range(3):
            writer.write(make_scene((48, 64), seed))
    # x264 records its settings in the stream itself.
    assert f"crf={video_encoding.DEFAULT_CRF:.1f} ".encode() in target.read_bytes()


def test_audio_is_carried_over_from_the_source(tmp_path):
    source = tmp_path / "with_audio.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=64x48:rate=10:duration=1",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(source)], check=True, timeout=60,
    )
    assert video.probe(source).has_audio
    output = write_clip(tmp_path / "out.mp4", list(video.read_frames(source)), fps=10, audio_from=source)
    assert video.probe(output).has_audio
    assert not video.probe(write_clip(tmp_path / "silent.mp4", moving_frames(3))).has_audio


def test_a_failed_write_leaves_no_file(tmp_path):
    target = tmp_path / "broken.mp4"
    with pytest.raises(RuntimeError):
        with video_encoding.VideoWriter(target, fps=10) as writer:
            writer.write(moving_frames(1)[0])
            raise RuntimeError("interrupted")
    assert list(tmp_path.iterdir()) == []


def test_a_video_the_encoder_cannot_finish_is_never_put_in_place(tmp_path):
    target = tmp_path / "clip.mp4"
    target.write_bytes(b"the previous version")
    with pytest.raises(errors.OutputError, match=r"Cannot write .*clip.mp4: ffmpeg .*") as failure:
        with file_size_limit(2000):
            write_clip(target, moving_frames(40))
    assert files.TEMPORARY_MARK not in str(failure.value)
    assert target.read_bytes() == b"the previous version"
    assert [path.name for path in tmp_path.iterdir()] == ["clip.mp4"]


def test_a_video_placed_by_another_run_meanwhile_stays_and_this_one_is_kept_beside_it(tmp_path):
    # Issue #30 item 1: without replace, the last run to finish no longer wins silently.
    target = tmp_path / "clip.mp4"
    with pytest.raises(errors.OutputError, match=rf"{target} was placed by another run first; this run's output "
                                                 rf"is kept as {tmp_path / 'clip_kept.mp4'}\.$"):
        with video_encoding.VideoWriter(target, fps=10, replace=False) as writer:
            for frame in moving_frames(3):
                writer.write(frame)
            target.write_bytes(b"another run's video")
    assert target.read_bytes() == b"another run's video"
    assert video.probe(tmp_path / "clip_kept.mp4").frame_count == 3
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip.mp4", "clip_kept.mp4"]


def test_a_video_missing_frames_is_never_put_in_place(tmp_path, monkeypatch):
    real_scan = ffmpeg_scan.scan

    def scan_one_short(path, decode=False):
        scan = real_scan(path, decode)
        if files.TEMPORARY_MARK in pathlib.Path(path).name:  # The written file, checked before it is put in place.
            scan.frames -= 1  # As a file the disk accepted only part of would read back.
        return scan

    monkeypatch.setattr(ffmpeg_scan, "scan", scan_one_short)
    with pytest.raises(errors.OutputError, match=r"clip.mp4: it came out holding 4 of the 5 frames written"):
        write_clip(tmp_path / "clip.mp4", moving_frames(5))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("yuv_format", [
    yuv.YuvFormat("yuv420p", "bt709", primaries="bt709", transfer="bt709"),
    yuv.YuvFormat("yuvj420p", "smpte170m", full_range=True),
])
def test_written_planes_reach_the_file_untouched_and_state_their_format(tmp_path, yuv_format):
    planes = random_planes(3, (51, 67), (26, 34), full_range=yuv_format.full_range)
    # x264 lossless.
    with video_encoding.VideoWriter(tmp_path / "out.mp4", fps=10, crf=0, yuv_format=yuv_format) as writer:
        for frame in planes:
            writer.write_planes(*frame)
    info = video.probe(tmp_path / "out.mp4")
    assert (info.frame_count, info.width, info.height) == (3, 67, 51)  # Padded to even sides, cropped back.
    written = info.yuv_format
    assert (written.matrix, written.full_range, written.primaries, written.matrix_stated) == (
        yuv_format.matrix, yuv_format.full_range, yuv_format.primaries, True)
    for plane, (luma, _, _) in zip(video.read_luma_planes(info), planes):
        np.testing.assert_array_equal(plane, luma)
    # The coded 68x52 picture, whole: the luma padded by its edge, the chroma planes as sent.
    decoded = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-apply_cropping", "codec",
                              "-i", str(tmp_path / "out.mp4"), "-f", "rawvideo", "-pix_fmt", "yuv420p", "-"],
                             capture_output=True, check=True).stdout
    frame_bytes = 68 * 52 + 2 * 34 * 26
    for index, (_, cb, cr) in enumerate(planes):
        chroma = np.frombuffer(decoded, np.uint8, 2 * 34 * 26, index * frame_bytes + 68 * 52).reshape(2, 26, 34)
        np.testing.assert_array_equal(chroma[0], cb)
        np.testing.assert_array_equal(chroma[1], cr)


def test_a_writer_takes_one_kind_of_frame_and_checks_planes(tmp_path):
    planar = video_encoding.VideoWriter(tmp_path / "planes.mp4", fps=10, yuv_format=yuv.YuvFormat("yuv420p", "bt709"))
    luma, cb = np.zeros((48, 64), np.uint8), np.zeros((24, 32), np.uint8)
    with pytest.raises(ValueError, match="use write_planes"):
        planar.write(np.zeros((48, 64, 3), np.uint8))
    with pytest.raises(ValueError, match=r"Cb, Cr of \(24, 32\)"):
        planar.write_planes(luma, cb, np.zeros((24, 31), np.uint8))
    with pytest.raises(ValueError, match="use write"):
        video_encoding.VideoWriter(tmp_path / "rgb.mp4", fps=10).write_planes(luma, cb, cb)
    assert list(tmp_path.iterdir()) == []


def test_rgb_frames_are_written_in_bt601_and_the_file_says_so(tmp_path):
    green = np.zeros((720, 1280, 3), np.uint8)
    green[..., 1] = 255
    info = video.probe(write_clip(tmp_path / "green.mp4", [green]))
    assert (info.yuv_format.matrix, info.yuv_format.matrix_stated) == ("smpte170m", True)  # HD, yet BT.601: stated.
    # BT.601's luma of pure green, 16 + 219 * 0.587 = 144.6 (BT.709's would be 172.6).
    assert abs(float(next(video.read_luma_planes(info)).mean()) - 144.6) < 1


def test_the_encoder_settings_reach_x264_and_bad_ones_are_refused_before_any_work(tmp_path):
    from colornn_keras import colorize_files
    from colornn_keras import inference

    source = write_clip(tmp_path / "clip.mp4", moving_frames(3))
    writer = video_encoding.VideoWriter(tmp_path / "out.mp4", fps=10, crf=30, preset="ultrafast")
    writer._size = (64, 48)
    command = writer._encoder_command()
    assert command[command.index("-preset") + 1] == "ultrafast" and command[command.index("-crf") + 1] == "30"
    report = colorize_files.colorize(inference.Colorizer(Reddish()), source, tmp_path / "fast.mp4", x264_preset="ultrafast")
    assert report.frames == 3 and video.probe(tmp_path / "fast.mp4").frame_count == 3
    for settings, message in (({"x264_preset": "quick"}, "x264 preset must be one of ultrafast"),
                              ({"crf": 52}, "crf must be a number from 0 .lossless. to 51")):
        with pytest.raises(errors.ColorNNError, match=message):
            colorize_files.colorize(inference.Colorizer(Reddish()), source, tmp_path / "bad.mp4", **settings)
    assert not (tmp_path / "bad.mp4").exists()


def _edged_frames(size=(201, 333), shades=(60, 120, 180)):
    """Gray frames with a red last column and a blue last row: the pixels an odd size pads."""
    frames = []
    for shade in shades:
        frame = np.full((*size, 3), shade, np.uint8)
        frame[:, -1] = (220, 40, 40)
        frame[-1, :] = (40, 40, 220)
        frames.append(frame)
    return frames


def _check_edges(read, sent):
    """`read` frames are the `sent` ones, their last column and row included, to x264's loss."""
    assert len(read) == len(sent) and read[0].shape == sent[0].shape
    for frame, original in zip(read, sent):
        error = np.abs(frame.astype(int) - original)
        # Inside, the last column, the last row (their shared corner aside): each near its colour.
        assert error[:-1, :-1].mean() < 4 and error[:-1, -1].mean() < 20 and error[-1, :-1].mean() < 20


def test_an_odd_size_is_cropped_back_by_the_mp4_and_said_once(tmp_path):
    """Issue #30: H.264's 4:2:0 pads a 333x201 picture to 334x202; the mp4 crops it back, with the
    source's audio copied as it was, and the file reads as 333x201 with its edge colours."""
    source = _clip_with_sound(tmp_path / "source.mp4", "aac", ("-b:a", "96k"))
    frames = _edged_frames()
    with pytest.warns(errors.ColorNNWarning) as caught:
        write_clip(tmp_path / "odd.mp4", frames, fps=10, audio_from=source)
    said = [str(warning.message) for warning in caught if "334x202" in str(warning.message)]
    assert said == [f"{tmp_path / 'odd.mp4'} is coded at 334x202, cropped back to 333x201 by the mp4's clean "
                    "aperture (H.264's 4:2:0 chroma needs even sides): players that ignore it show the edge pixels "
                    "padded on."]
    info = video.probe(tmp_path / "odd.mp4")
    assert (info.width, info.height, info.frame_count, info.has_audio) == (333, 201, 3, True)
    # As ffmpeg (7.1 or later) describes it: coded at 334x202, cropped by 0/1/0/1 (top/bottom/left/right).
    described = _ffmpeg("-i", str(tmp_path / "odd.mp4")).stderr
    assert re.search(r"Video: h264.*334x202.*\n(?:\s{4,}.*\n)*\s+Frame Cropping: 0/1/0/1\n", described)
    _check_edges(list(video.read_frames(tmp_path / "odd.mp4")), frames)
    assert _audio_stream(tmp_path / "odd.mp4") == _audio_stream(source)  # Its chunks found where they moved.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        write_clip(tmp_path / "even.mp4", [frame[:200, :332] for frame in frames])  # Even: not a word.


def test_an_odd_size_keeps_its_frame_times_and_pixel_shape_through_the_crop(tmp_path):
    times = frame_timing.FrameTimes((0, 3, 4, 9, 11), fractions.Fraction(1, 30))
    frames = _edged_frames((25, 33), (60, 90, 120, 150, 180))
    with pytest.warns(errors.ColorNNWarning, match="coded at 34x26, cropped back to 33x25"):
        with video_encoding.VideoWriter(tmp_path / "odd.mp4", fps=10, frame_times=times,
                                        sample_aspect_ratio=fractions.Fraction(12, 11)) as writer:
            for frame in frames:
                writer.write(frame)
    info = video.probe(tmp_path / "odd.mp4")
    assert (info.width, info.height, info.sample_aspect_ratio) == (33, 25, fractions.Fraction(12, 11))
    assert np.abs(np.array(shown_times(tmp_path / "odd.mp4")) - times.seconds()).max() <= 0.002
    _check_edges(list(video.read_frames(tmp_path / "odd.mp4")), frames)


def test_an_mp4_that_cannot_be_cropped_stays_padded_and_says_so(tmp_path, monkeypatch):
    monkeypatch.setattr(clean_aperture, "write", lambda path, right=0, bottom=0: False)
    frames = _edged_frames((25, 33), (60, 120))
    with pytest.warns(errors.ColorNNWarning, match=r"odd.mp4 is 34x26, not the 33x25 of its frames: H.264's 4:2:0 "
                                                   r"chroma needs even sides, so they are padded by their edge pixels"):
        write_clip(tmp_path / "odd.mp4", frames)
    info = video.probe(tmp_path / "odd.mp4")
    assert (info.width, info.height, info.crop) == (34, 26, None)
    _check_edges([frame[:25, :33] for frame in video.read_frames(tmp_path / "odd.mp4")], frames)
