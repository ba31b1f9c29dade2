import pathlib

import numpy as np
import pytest
from PIL import Image

from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras import files
from colornn_keras import inference
from colornn_keras.data import video
from colornn_keras.models import color
from colornn_keras.models import consistency
from tests.conftest import make_scene, panning_frames
from tests.data.test_video import cut, faststart_clip, file_size_limit


@pytest.fixture(scope="module")
def colorizer():
    from colornn_keras import backbone

    color_model = color.build_color_model(image_size=32, backbone_weights=backbone.load_vgg16_weights())
    return inference.Colorizer(color_model, consistency.build_consistency_model(color_model), batch_size=4)


def _luma(rgb):
    return colorspace.rgb_to_luma(np.asarray(rgb, np.float32) / 255.0)[..., 0]


def test_an_image_keeps_its_size_and_its_own_luma(colorizer, tmp_path):
    source = tmp_path / "photo.png"
    rgb = make_scene((75, 130), seed=1)
    Image.fromarray(rgb).save(source)
    report = inference.colorize(colorizer, source)
    output = np.asarray(Image.open(tmp_path / "photo_colorized.png"))
    assert report.outputs == [tmp_path / "photo_colorized.png"] and output.shape == (75, 130, 3)
    # Luma comes from the source at full resolution; only rounding to uint8 moves it.
    assert np.abs(_luma(output) - _luma(rgb)).max() <= 1.0 / 255


def test_a_folder_of_images_reports_failures_and_continues(colorizer, image_folder, tmp_path):
    (image_folder / "broken.jpg").write_bytes(b"not a jpeg")
    report = inference.colorize(colorizer, image_folder, tmp_path / "out")
    assert len(report.outputs) == 14 and [path.split("/")[-1] for path, _ in report.failures] == ["broken.jpg"]
    assert (tmp_path / "out" / "nested" / "scene_00.jpg").is_file()
    assert not (tmp_path / "out" / "broken.jpg").exists()


def test_a_video_keeps_size_frame_count_fps_and_audio(colorizer, tmp_path):
    import subprocess

    import imageio_ffmpeg

    source = tmp_path / "clip.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=12:duration=1",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(source)], check=True, timeout=60,
    )
    report = inference.colorize(colorizer, source)
    info = video.probe(report.outputs[0])
    assert (info.width, info.height, info.fps, info.has_audio) == (96, 64, 12.0, True)
    assert info.frame_count == video.probe(source).frame_count == report.frames


def test_a_folder_of_numbered_frames_becomes_a_video(colorizer, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for index, frame in enumerate(panning_frames(5)):
        Image.fromarray(frame).save(folder / f"frame_{index:03d}.png")
    assert inference.is_frame_folder(folder)
    report = inference.colorize(colorizer, folder)
    assert report.outputs == [tmp_path / "frames_colorized.mp4"] and video.probe(report.outputs[0]).frame_count == 5


def test_free_running_video_resets_at_a_scene_cut(colorizer):
    frames = panning_frames(3) + [255 - frame for frame in panning_frames(3, seed=3)]
    free = list(colorizer.colorize_sequence(frames))
    per_frame = list(inference.Colorizer(colorizer.color_model).colorize_sequence(frames))
    np.testing.assert_array_equal(free[0], per_frame[0])
    np.testing.assert_array_equal(free[3], per_frame[3])  # The cut: the color model again.
    assert not np.array_equal(free[1], per_frame[1])


def test_a_recurrent_model_colours_a_video_keeping_its_luma(colorizer, tmp_path):
    from colornn_keras.models import recurrent

    models = recurrent.build_recurrent_model(colorizer.color_model, window=2, hidden_filters=4, filters=8)
    recurrent_colorizer = inference.Colorizer(colorizer.color_model, models)
    source = tmp_path / "clip.mp4"
    with video.VideoWriter(source, fps=10) as writer:
        for frame in panning_frames(4):
            writer.write(frame)
    report = inference.colorize(recurrent_colorizer, source)
    assert video.probe(report.outputs[0]).frame_count == 4
    frames = panning_frames(3)
    outputs = list(recurrent_colorizer.colorize_sequence(frames))
    for frame, output in zip(frames, outputs):
        luma_in = colorspace.rgb_to_luma(frame / 255.0)
        assert np.abs(colorspace.rgb_to_luma(output / 255.0) - luma_in).max() < 3 / 255


def _ffmpeg_clip(path, truncate=False, video_stream=True):
    """A 3-second test clip; truncated to its first 3000 bytes, or with only a sound track."""
    import subprocess

    import imageio_ffmpeg

    inputs = ["-f", "lavfi", "-i", "testsrc=size=96x64:rate=12:duration=3", "-f", "lavfi", "-i", "sine=duration=3"]
    streams = ["-map", "0", "-c:v", "libx264", "-pix_fmt", "yuv420p"] if video_stream else ["-map", "1", "-c:a", "aac"]
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", *inputs, *streams, str(path)], check=True, timeout=60)
    if truncate:
        path.write_bytes(path.read_bytes()[:3000])
    return path


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda tmp: tmp / "missing.png", "does not exist"),
        (lambda tmp: (tmp / "notes.txt").write_text("hi") and tmp / "notes.txt", "neither an image"),
        (lambda tmp: (tmp / "fake.png").write_bytes(b"garbage") and tmp / "fake.png", "not a readable image"),
        (lambda tmp: (tmp / "fake.mp4").write_bytes(b"garbage") and tmp / "fake.mp4", "not a video ffmpeg can read"),
        (lambda tmp: (tmp / "empty.jpg").write_bytes(b"") or tmp / "empty.jpg", r"not a readable image: the file is empty"),
        (lambda tmp: _cut_jpeg(tmp / "cut.jpg"), r"cut.jpg is not a readable image: image file is truncated"),
        (lambda tmp: Image.new("RGB", (1, 1)).save(tmp / "dot.png") or tmp / "dot.png", "too small"),
        (lambda tmp: _ffmpeg_clip(tmp / "truncated.mp4", truncate=True), "not a video ffmpeg can read: moov atom"),
        (lambda tmp: cut(faststart_clip(tmp / "cut.mp4", audio=True)), "cut.mp4 is truncated: its header"),
        (lambda tmp: _ffmpeg_clip(tmp / "sound_only.mp4", video_stream=False), "has no video stream"),
        (lambda tmp: (tmp / "empty_folder").mkdir() or tmp / "empty_folder", "holds no images"),
        (lambda tmp: Image.new("L", (8200, 8200)).save(tmp / "huge.png") or tmp / "huge.png", "megapixels"),
    ],
)
def test_bad_inputs_raise_one_line_and_leave_nothing(colorizer, tmp_path, make, message):
    source = make(tmp_path)
    before = set(tmp_path.iterdir())
    with pytest.raises(errors.InputError, match=message) as failure:
        inference.colorize(colorizer, source)
    assert len(str(failure.value).splitlines()) == 1
    assert set(tmp_path.iterdir()) == before


def _cut_jpeg(path):
    """A photo whose last two thirds are missing, as an interrupted copy leaves it."""
    Image.fromarray(make_scene((64, 80), seed=4)).save(path, quality=95)
    return cut(path, 1 / 3)


def test_a_truncated_video_is_coloured_only_when_allowed(colorizer, tmp_path):
    source = cut(faststart_clip(tmp_path / "clip.mp4", frames=40, audio=True), 0.5)
    target = tmp_path / "out.mp4"
    with pytest.raises(errors.InputError, match="clip.mp4 is truncated"):
        inference.colorize(colorizer, source, target)
    assert not target.exists()
    with pytest.warns(errors.ColorNNWarning, match=r"clip.mp4 is truncated: .*about 40 frames.* holds .* \((\d+) frames"):
        report = inference.colorize(colorizer, source, target, allow_truncated=True)
    assert 5 < video.probe(target).frame_count == report.frames < 40


def test_outputs_that_cannot_be_written_leave_nothing(colorizer, tmp_path):
    source = tmp_path / "photo.png"
    Image.fromarray(make_scene((40, 48), seed=3)).save(source)
    with pytest.raises(errors.OutputError, match=r"photo.xyz does not end in an image extension"):
        inference.colorize(colorizer, source, tmp_path / "photo.xyz")
    with pytest.raises(errors.OutputError, match=r"Cannot write .*/proc\b") as failure:  # Whether root or not.
        inference.colorize(colorizer, source, pathlib.Path("/proc/photo_colorized.png"))
    assert files.TEMPORARY_MARK not in str(failure.value)
    target = tmp_path / "out.png"
    target.write_bytes(b"the previous version")
    with pytest.raises(errors.OutputError, match=r"Cannot write .*out.png: File too large"):
        with file_size_limit(500):  # A full disk.
            inference.colorize(colorizer, source, target, overwrite=True)
    assert target.read_bytes() == b"the previous version"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.png", "photo.png"]


def test_a_folder_of_camera_photos_is_not_a_video(colorizer, tmp_path):
    folder = tmp_path / "holiday"
    folder.mkdir()
    for index, size in enumerate([(40, 48), (48, 40), (40, 48)]):  # Landscape and portrait, as cameras take them.
        Image.fromarray(make_scene(size, seed=index)).save(folder / f"IMG_{index + 1:04d}.jpg")
    (folder / "animation.gif").write_bytes(b"GIF89a")
    report = inference.colorize(colorizer, folder, tmp_path / "coloured")
    assert sorted(path.name for path in (tmp_path / "coloured").iterdir()) == ["IMG_0001.jpg", "IMG_0002.jpg",
                                                                               "IMG_0003.jpg"]
    assert report.failures == [] and report.skipped == [str(folder / "animation.gif")]


def test_existing_output_is_refused_unless_overwrite(colorizer, tmp_path):
    source = tmp_path / "photo.png"
    Image.fromarray(make_scene((40, 40), seed=2)).save(source)
    target = tmp_path / "out.png"
    target.write_bytes(b"keep me")
    with pytest.raises(ValueError, match="exists; pass --overwrite"):
        inference.colorize(colorizer, source, target)
    assert target.read_bytes() == b"keep me"
    inference.colorize(colorizer, source, target, overwrite=True)
    assert Image.open(target).size == (40, 40)


def test_unwritable_output_folder_is_refused(colorizer, tmp_path):
    source = tmp_path / "photo.png"
    Image.fromarray(make_scene((40, 40), seed=2)).save(source)
    with pytest.raises(ValueError, match="not writable"):
        inference.colorize(colorizer, source, tmp_path / "photo.png" / "inside" / "out.png")


def test_read_ahead_keeps_order_reraises_errors_and_stops_early():
    assert list(inference._read_ahead(iter(range(20)), depth=3)) == list(range(20))

    def failing():
        yield 1
        raise ValueError("truncated")

    with pytest.raises(ValueError, match="truncated"):
        list(inference._read_ahead(failing(), depth=2))
    produced = []

    def endless():
        for index in range(10**6):
            produced.append(index)
            yield index

    reader = inference._read_ahead(endless(), depth=2)
    assert next(reader) == 0
    reader.close()  # The consumer stops: the producer must end too, not fill memory.
    count = len(produced)
    import time

    time.sleep(0.3)
    assert len(produced) == count < 10
