"""Reading a video: what `probe` finds, and the frames and luma planes read from files and folders."""

import fractions
import re
import subprocess
import tracemalloc
import warnings

import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from colornn_keras import errors
from colornn_keras.data import ffmpeg_scan
from colornn_keras.data import video
from colornn_keras.data import video_encoding
from tests.data.video_clips import (
    Reddish, cut, faststart_clip, lossless_clip, moving_frames, mp4_without_streams, random_planes, rotated_clip,
    run_ffmpeg, shown_times, write_clip,
)


def test_writer_round_trip_keeps_count_size_and_fps(tmp_path):
    path = write_clip(tmp_path / "clip.mp4", moving_frames(12), fps=12.5)
    info = video.probe(path)
    assert (info.frame_count, info.width, info.height, info.fps) == (12, 64, 48, 12.5)
    frames = list(video.read_frames(path))
    assert len(frames) == 12 and frames[0].shape == (48, 64, 3)
    assert np.abs(frames[5].astype(int) - moving_frames(12)[5]).mean() < 12  # Lossy, but close.
    assert [p.name for p in tmp_path.iterdir()] == ["clip.mp4"]  # No temporary left behind.


def test_stride_and_max_frames(tmp_path):
    path = write_clip(tmp_path / "clip.mp4", moving_frames(10))
    assert len(list(video.read_frames(path, stride=3))) == 4  # Frames 0, 3, 6, 9.
    assert len(list(video.read_frames(path, max_frames=4))) == 4
    with pytest.raises(ValueError, match="stride"):
        list(video.read_frames(path, stride=0))


def test_reader_streams_without_holding_the_video(tmp_path):
    path = write_clip(tmp_path / "long.mp4", moving_frames(150, size=(96, 128)))
    frame_bytes = 96 * 128 * 3
    tracemalloc.start()
    count = sum(1 for _ in video.read_frames(path))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 150
    assert peak < 20 * frame_bytes  # The whole video would be 150 frames.


def test_folder_of_numbered_frames_reads_in_numeric_order(tmp_path):
    frames = moving_frames(11)
    for index, frame in enumerate(frames):
        Image.fromarray(frame).save(tmp_path / f"frame{index}.png")
    read = list(video.read_frames(tmp_path))
    assert len(read) == 11
    np.testing.assert_array_equal(read[10], frames[10])  # frame10 after frame9, not after frame1.
    assert video.probe(tmp_path, fps_for_folders=24).fps == 24


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
    run_ffmpeg("-f", "lavfi", "-i", "sine=duration=1", "-c:a", "aac", str(tmp_path / "sound.mp4"))
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
    path = write_clip(tmp_path / "clip.mp4", moving_frames(6))
    with pytest.raises(errors.InputError, match="clip.mp4 decodes to 6 of the 9 frames it holds"):
        list(video.read_frames(path, expected_frames=9))
    assert len(list(video.read_frames(path, expected_frames=6))) == 6


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
    planes = random_planes(4, (48, 66), chroma, full_range=pixel_format.startswith("yuvj"))
    info = video.probe(lossless_clip(tmp_path / "clip.mp4", planes, pixel_format, tags))
    assert info.yuv_format.luma_untouched and info.yuv_format.full_range == pixel_format.startswith("yuvj")
    read = list(video.read_luma_planes(info))
    assert len(read) == 4
    for plane, (luma, _, _) in zip(read, planes):
        np.testing.assert_array_equal(plane, luma)


def test_a_10_bit_luma_is_converted_to_8_bits_in_its_own_range(tmp_path):
    planes = random_planes(2, (48, 66), (24, 33))
    clip = lossless_clip(tmp_path / "clip.mp4", planes, "yuv420p", codec_format="yuv420p10le")
    info = video.probe(clip)
    assert info.yuv_format.pixel_format == "yuv420p10le" and not info.yuv_format.luma_untouched
    for plane, (luma, _, _) in zip(video.read_luma_planes(info), planes):
        np.testing.assert_array_equal(plane, luma)  # 8-bit values scaled to 10 bits come back as they were.


def test_the_plane_reader_reports_damage_as_the_frame_reader_does(tmp_path, monkeypatch):
    info = video.probe(write_clip(tmp_path / "clip.mp4", moving_frames(6)))
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
    info = video.probe(write_clip(tmp_path / "long.mp4", moving_frames(150, size=(96, 128))))
    tracemalloc.start()
    count = sum(1 for _ in video.read_luma_planes(info))
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert count == 150 and peak < 20 * 96 * 128  # The whole video would be 150 planes.


@pytest.mark.parametrize("mode", ["per_frame", "keyframe", "both_ways"])
def test_colorizing_a_video_keeps_its_luma_bit_for_bit(tmp_path, monkeypatch, mode):
    """Through the whole of `colorize`: the luma planes sent to x264 are the source's, and with
    x264 lossless so are the output's; fps, frame count and audio are kept, the matrix stated.
    Also for the two-pass runs (keyframes, smoothing both ways), which read the planes twice."""
    from colornn_keras import colorize_files
    from colornn_keras import inference
    from colornn_keras.models import flow_guided

    planes = random_planes(5, (48, 66), (24, 33), seed=3)
    silent = lossless_clip(tmp_path / "silent.mp4", planes, "yuv420p", ("-colorspace", "bt709"))
    source = tmp_path / "clip.mp4"
    run_ffmpeg("-i", str(silent), "-f", "lavfi", "-i", "sine=duration=0.5", "-c:v", "copy", "-c:a", "aac",
            "-shortest", str(source))
    sent = []
    real_write_planes = video_encoding.VideoWriter.write_planes
    monkeypatch.setattr(
        video_encoding.VideoWriter, "write_planes",
        lambda writer, luma, cb, cr: sent.append(luma.copy()) or real_write_planes(writer, luma, cb, cr))

    colorizer, keyframes = inference.Colorizer(Reddish(), batch_size=2), None
    if mode == "keyframe":  # A reddish keyframe: frame 2's colours carried along the flow.
        keyframes = {2: np.full((24, 33, 3), (200, 60, 60), np.uint8)}
    elif mode == "both_ways":
        colorizer = inference.Colorizer(Reddish(), batch_size=2, flow_guided_model=flow_guided.FlowSmoothingModel(0.9),
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

    shots = moving_frames(4) + [255 - frame for frame in moving_frames(3)]  # A cut before frame 4.
    source = write_clip(tmp_path / "clip.mp4", shots)
    report = colorize_files.colorize(inference.Colorizer(Reddish(), _Bluish()), source, tmp_path / "out.mp4")
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
        source = write_clip(tmp_path / f"clip_{frames}.mp4", moving_frames(frames, size=(96, 128)))
        tracemalloc.start()
        report = colorize_files.colorize(inference.Colorizer(Reddish(), batch_size=4), source,
                                         tmp_path / f"out_{frames}.mp4")
        peaks.append(tracemalloc.get_traced_memory()[1])
        tracemalloc.stop()
        assert report.frames == frames
    # Flat in the length (measured: 1.9 and 2.0 MB), far from 120 frames of float luma (5.9 MB).
    assert peaks[1] < 1.3 * peaks[0] and peaks[1] < 120 * 96 * 128 * 4 / 2


@pytest.mark.large
def test_the_sample_aspect_ratio_is_kept(tmp_path):
    """A 12:11 clip (4:3 coded at 32x24 shows at 16:11) comes out 12:11, not square; turned a
    quarter by its display matrix, its pixels are read as 11:12, as ffmpeg decodes them."""
    from colornn_keras import colorize_files
    from colornn_keras import inference

    source = tmp_path / "pal.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x24:rate=10:duration=0.3", "-vf", "setsar=12/11",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", str(source))
    assert video.probe(source).sample_aspect_ratio == fractions.Fraction(12, 11)
    colorize_files.colorize(inference.Colorizer(Reddish()), source, tmp_path / "out.mp4")
    assert video.probe(tmp_path / "out.mp4").sample_aspect_ratio == fractions.Fraction(12, 11)
    run_ffmpeg("-display_rotation", "90", "-i", str(source), "-c", "copy", str(tmp_path / "turned.mp4"))
    assert video.probe(tmp_path / "turned.mp4").sample_aspect_ratio == fractions.Fraction(11, 12)
    assert video.probe(write_clip(tmp_path / "square.mp4", moving_frames(2))).sample_aspect_ratio is None


def test_a_file_with_no_streams_at_all_says_so(tmp_path):
    # It gave "... is not a video ffmpeg can read: Metadata:.", a line of ffmpeg's description.
    source = mp4_without_streams(tmp_path / "empty_movie.mp4")
    with pytest.raises(errors.InputError, match=rf"^{re.escape(str(source))} has no video stream \(it holds no "
                                                r"streams at all\)\.$"):
        video.probe(source)


@pytest.mark.large
@pytest.mark.parametrize("degrees, turns", [(90, 1), (-90, 3), (180, 2)])
def test_a_rotated_clip_comes_out_as_a_player_shows_it_without_stray_lines(tmp_path, capfd, caplog, degrees, turns):
    """ffmpeg turns the frames as players do; the output holds them turned, with no display
    matrix left to turn them again, and imageio's note that the frames' size differs from the
    stream's (two lines on the terminal, where logging is not set up) is not logged."""
    from colornn_keras import colorize_files
    from colornn_keras import inference

    source, unturned = rotated_clip(tmp_path / "phone.mp4", degrees)
    capfd.readouterr()
    info = video.probe(source)
    expected = np.rot90(unturned, turns)  # As a player shows it: numpy turns counter-clockwise too.
    assert (info.height, info.width) == expected.shape
    assert len(list(video.read_frames(source))) == 3
    report = colorize_files.colorize(inference.Colorizer(Reddish()), source, tmp_path / "out.mp4")
    assert capfd.readouterr().err == ""
    assert [record.getMessage() for record in caplog.records if record.name.startswith("imageio")] == []
    written = video.probe(tmp_path / "out.mp4")
    assert report.frames == written.frame_count == 3 and (written.height, written.width) == expected.shape
    assert "rotation" not in ffmpeg_scan.scan(tmp_path / "out.mp4").header  # Turned once, not twice.
    luma = next(video.read_luma_planes(written)).astype(int)
    assert np.abs(luma - expected).mean() < 3  # x264 at its default quality, the source's luma.
    assert np.abs(luma - np.rot90(unturned, turns + 2)).mean() > 10  # Turned the right way round.


def _trimmed_clip(path, start):
    """A 1.6 s clip with sound (a key frame each second) cut from `start` s by stream copy, as
    `ffmpeg -ss START -i whole.mp4 -c copy` or an editor's quick trim makes it: the frames from
    the key frame before `start` are kept as pre-roll, which its edit list hides (decoded, never shown)."""
    whole = path.with_name("whole.mp4")
    run_ffmpeg("-f", "lavfi", "-i", "testsrc=size=32x24:rate=25:duration=1.6", "-f", "lavfi", "-i", "sine=duration=1.6",
            "-c:v", "libx264", "-pix_fmt", "yuv420p", "-g", "25", "-c:a", "aac", str(whole))
    run_ffmpeg("-ss", str(start), "-i", str(whole), "-c", "copy", str(path))
    return path


@pytest.mark.large
@pytest.mark.parametrize("start, shown", [(0.6, 25), (0.61, 24)])
def test_a_trimmed_clip_s_pre_roll_is_not_counted_and_its_frames_keep_their_times(tmp_path, start, shown):
    """The 15 frames of pre-roll were counted as frames the clip holds, so that, decoding to
    fewer, it was refused as damaged."""
    from colornn_keras import colorize_files
    from colornn_keras import inference

    source = _trimmed_clip(tmp_path / "trimmed.mp4", start)
    times = shown_times(source)
    assert len(times) == shown
    assert video.probe(source).frame_count == shown
    report = colorize_files.colorize(inference.Colorizer(Reddish()), source, tmp_path / "out.mp4")
    coloured = shown_times(tmp_path / "out.mp4")
    assert report.frames == len(coloured) == shown
    assert np.abs(np.array(coloured) - times).max() <= 0.002  # In step with the sound, copied as it is.
    assert video.probe(tmp_path / "out.mp4").has_audio
