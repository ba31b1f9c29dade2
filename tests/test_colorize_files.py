"""Colouring by path: images, folders and videos in, the outputs their paths name out, and one-line
errors for bad inputs and outputs that cannot be written, with nothing left behind."""

import pathlib

import numpy as np
import pytest
from PIL import Image

from colornn_keras import colorize_files
from colornn_keras import errors
from colornn_keras import files
from colornn_keras import inference
from colornn_keras.data import frame_folders
from colornn_keras.data import video
from colornn_keras.data import video_encoding
from tests.conftest import make_scene, panning_frames
from tests.data.video_clips import cut, faststart_clip, file_size_limit
from tests.test_inference import _colourful_clip, _frame_folder, _luma, _uv


def test_an_image_keeps_its_size_and_its_own_luma(colorizer, tmp_path):
    source = tmp_path / "photo.png"
    rgb = make_scene((75, 130), seed=1)
    Image.fromarray(rgb).save(source)
    report = colorize_files.colorize(colorizer, source)
    output = np.asarray(Image.open(tmp_path / "photo_colorized.png"))
    assert report.outputs == [tmp_path / "photo_colorized.png"] and output.shape == (75, 130, 3)
    # Luma comes from the source at full resolution; only rounding to uint8 moves it.
    assert np.abs(_luma(output) - _luma(rgb)).max() <= 1.0 / 255


def test_a_folder_of_images_reports_failures_and_continues(colorizer, image_folder, tmp_path):
    (image_folder / "broken.jpg").write_bytes(b"not a jpeg")
    report = colorize_files.colorize(colorizer, image_folder, tmp_path / "out")
    assert len(report.outputs) == 14 and [path.split("/")[-1] for path, _ in report.failures] == ["broken.jpg"]
    assert (tmp_path / "out" / "nested" / "scene_00.jpg").is_file()
    assert not (tmp_path / "out" / "broken.jpg").exists()


@pytest.mark.large
def test_a_video_keeps_size_frame_count_fps_and_audio(colorizer, tmp_path):
    import subprocess

    import imageio_ffmpeg

    source = tmp_path / "clip.mp4"
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "testsrc=size=96x64:rate=12:duration=1",
         "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:v", "libx264", "-pix_fmt", "yuv420p",
         "-c:a", "aac", "-shortest", str(source)], check=True, timeout=60,
    )
    report = colorize_files.colorize(colorizer, source)
    info = video.probe(report.outputs[0])
    assert (info.width, info.height, info.fps, info.has_audio) == (96, 64, 12.0, True)
    assert info.frame_count == video.probe(source).frame_count == report.frames


def test_a_folder_of_numbered_frames_becomes_a_video(colorizer, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for index, frame in enumerate(panning_frames(5)):
        Image.fromarray(frame).save(folder / f"frame_{index:03d}.png")
    assert colorize_files.is_frame_folder(folder)
    report = colorize_files.colorize(colorizer, folder)
    assert report.outputs == [tmp_path / "frames_colorized.mp4"] and video.probe(report.outputs[0]).frame_count == 5


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
        colorize_files.colorize(colorizer, source)
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
        colorize_files.colorize(colorizer, source, target)
    assert not target.exists()
    with pytest.warns(errors.ColorNNWarning, match=r"clip.mp4 is truncated: .*about 40 frames.* holds .* \((\d+) frames"):
        report = colorize_files.colorize(colorizer, source, target, allow_truncated=True)
    assert 5 < video.probe(target).frame_count == report.frames < 40


def test_outputs_that_cannot_be_written_leave_nothing(colorizer, tmp_path):
    source = tmp_path / "photo.png"
    Image.fromarray(make_scene((40, 48), seed=3)).save(source)
    with pytest.raises(errors.OutputError, match=r"photo.xyz does not end in an image extension"):
        colorize_files.colorize(colorizer, source, tmp_path / "photo.xyz")
    with pytest.raises(errors.OutputError, match=r"Cannot write .*/proc\b") as failure:  # Whether root or not.
        colorize_files.colorize(colorizer, source, pathlib.Path("/proc/photo_colorized.png"))
    assert files.TEMPORARY_MARK not in str(failure.value)
    target = tmp_path / "out.png"
    target.write_bytes(b"the previous version")
    with pytest.raises(errors.OutputError, match=r"Cannot write .*out.png: File too large"):
        with file_size_limit(500):  # A full disk.
            colorize_files.colorize(colorizer, source, target, overwrite=True)
    assert target.read_bytes() == b"the previous version"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out.png", "photo.png"]


def test_a_folder_of_camera_photos_is_not_a_video(colorizer, tmp_path):
    folder = tmp_path / "holiday"
    folder.mkdir()
    for index, size in enumerate([(40, 48), (48, 40), (40, 48)]):  # Landscape and portrait, as cameras take them.
        Image.fromarray(make_scene(size, seed=index)).save(folder / f"IMG_{index + 1:04d}.jpg")
    (folder / "animation.gif").write_bytes(b"GIF89a")
    report = colorize_files.colorize(colorizer, folder, tmp_path / "coloured")
    assert sorted(path.name for path in (tmp_path / "coloured").iterdir()) == ["IMG_0001.jpg", "IMG_0002.jpg",
                                                                               "IMG_0003.jpg"]
    assert report.failures == [] and report.skipped == [str(folder / "animation.gif")]


def test_existing_output_is_refused_unless_overwrite(colorizer, tmp_path):
    source = tmp_path / "photo.png"
    Image.fromarray(make_scene((40, 40), seed=2)).save(source)
    target = tmp_path / "out.png"
    target.write_bytes(b"keep me")
    with pytest.raises(ValueError, match="exists; pass --overwrite"):
        colorize_files.colorize(colorizer, source, target)
    assert target.read_bytes() == b"keep me"
    colorize_files.colorize(colorizer, source, target, overwrite=True)
    assert Image.open(target).size == (40, 40)


def test_unwritable_output_folder_is_refused(colorizer, tmp_path):
    source = tmp_path / "photo.png"
    Image.fromarray(make_scene((40, 40), seed=2)).save(source)
    with pytest.raises(ValueError, match="not writable"):
        colorize_files.colorize(colorizer, source, tmp_path / "photo.png" / "inside" / "out.png")


@pytest.mark.large
def test_a_video_file_keyed_along_the_flow_is_coloured_in_yuv(colorizer, tmp_path):
    frames = _colourful_clip(count=8, size=(48, 64))
    source = tmp_path / "clip.mp4"
    with video_encoding.VideoWriter(source, fps=10) as writer:
        for frame in frames:
            writer.write(frame)
    assert video.probe(source).yuv_format is not None  # Read as luma planes, written as planes.
    decoded = list(video.read_frames(source))
    counted = []
    report = colorize_files.colorize(inference.Colorizer(colorizer.color_model, batch_size=4), source,
                                     tmp_path / "out.mp4", progress=counted.append,
                                     keyframes={3: decoded[3], 6: decoded[6]})
    written = list(video.read_frames(tmp_path / "out.mp4"))
    assert report.frames == len(written) == 8
    for index in (3, 6):  # The keyframes' own colours, through x264's 4:2:0.
        assert np.abs(_uv(written[index]) - _uv(decoded[index])).mean() < 0.3 * np.abs(_uv(decoded[index])).mean()
    # Written: 8; read ahead: frames 0-6; carried back: frames 0-2, 4-5.
    assert sum(counted) == 8 + 7 + 5 == inference.Colorizer(colorizer.color_model).progress_total(8, {3: 0, 6: 0})



# Issue #30: nothing lost when runs meet, output names that mean what they say, a killed run's
# leftovers cleared, keyframe mistakes as the project's errors (those in
# tests/data/test_keyframes.py). These need no model: the doubles
# below colour nothing (or refuse to be asked), so only the checks and the writing are tested.


class _NoWork:
    """A colorizer double for refusals that must come before any work: any use of it fails."""

    def __getattr__(self, name):
        raise AssertionError(f"The work began (colorizer.{name}) before the output was refused.")


class _Unchanged:
    """A colorizer double that gives photos back as they are. `placed_meanwhile` ({call number:
    path}) is written, as another run would, while this one colours its photo of that call."""

    def __init__(self, placed_meanwhile=None):
        self.placed_meanwhile, self.calls = placed_meanwhile or {}, 0

    def colorize_frames(self, frames):
        path = self.placed_meanwhile.get(self.calls)
        self.calls += 1
        if path is not None:
            pathlib.Path(path).parent.mkdir(parents=True, exist_ok=True)
            Image.fromarray(make_scene((16, 16), seed=9)).save(path)
        yield from frames


def _photos(folder, sizes, names=None):
    folder.mkdir(parents=True)
    for index, size in enumerate(sizes):
        Image.fromarray(make_scene(size, seed=index)).save(folder / (names[index] if names else f"{index:03d}.jpg"))
    return folder


def test_output_names_that_say_another_kind_of_output_are_refused_before_any_work(tmp_path):
    mixed = _photos(tmp_path / "mixsize", [(40, 48), (48, 40), (40, 40)])  # Numbered, but photos: sizes differ.
    photo = _photos(tmp_path / "one", [(40, 48)]) / "000.jpg"
    frames = _frame_folder(tmp_path / "frames", _colourful_clip(count=3))
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(b"never read: the output is refused first")
    (tmp_path / "existing_folder.mp4").mkdir()
    (tmp_path / "a_file").write_bytes(b"")
    (tmp_path / "folder.png").mkdir()
    cases = [
        (mixed, tmp_path / "out" / "mixsize.mp4", r"mixsize.mp4 is a video's name, but .*mixsize is a folder of photos"),
        (mixed, tmp_path / "clip.MOV", r"clip.MOV is a video's name, but .*mixsize is a folder of photos"),
        (mixed, tmp_path / "a_file", r"a_file is a file, but .*mixsize is a folder of photos"),
        (photo, tmp_path / "out.mp4", r"out.mp4 is a video's name, but .*000.jpg is a photo: give an image file name"),
        (photo, tmp_path / "folder.png", r"folder.png is a folder, but .*000.jpg is a photo"),
        (clip, tmp_path / "out", r"out is a folder's name \(it has no extension\), but .*clip.mp4 is a video: "
                                 r"give an .mp4 file name"),
        (clip, tmp_path / "existing_folder.mp4", r"existing_folder.mp4 is a folder, but .*clip.mp4 is a video"),
        (frames, tmp_path / "out", r"out is a folder's name .*frames is a folder of numbered frames, coloured as a video"),
    ]
    before = sorted(tmp_path.rglob("*"))
    for source, target, message in cases:
        for overwrite in (False, True):
            with pytest.raises(errors.OutputError, match=message) as failure:
                colorize_files.colorize(_NoWork(), source, target, overwrite=overwrite)
            assert len(str(failure.value).splitlines()) == 1
    assert sorted(tmp_path.rglob("*")) == before


def test_an_output_placed_by_another_run_meanwhile_is_not_replaced_and_this_runs_is_kept(tmp_path):
    photo = _photos(tmp_path / "in", [(40, 48)], ["photo.png"]) / "photo.png"
    target = tmp_path / "photo_colorized.png"
    with pytest.raises(errors.OutputError, match=rf"{target} was placed by another run first; this run's output "
                                                 rf"is kept as {tmp_path / 'photo_colorized_kept.png'}\.$"):
        colorize_files.colorize(_Unchanged({0: target}), photo, target)
    assert Image.open(target).size == (16, 16)  # The other run's.
    assert np.array_equal(np.asarray(Image.open(tmp_path / "photo_colorized_kept.png")), np.asarray(Image.open(photo)))
    colorize_files.colorize(_Unchanged(), photo, target, overwrite=True)  # --overwrite replaces, as asked.
    assert Image.open(target).size == (48, 40)
    # A folder run goes on past the one photo another run placed, and says where its own is.
    photos = _photos(tmp_path / "photos", [(40, 48), (48, 40)], ["a.jpg", "b.jpg"])
    taken = tmp_path / "coloured" / "b.jpg"
    report = colorize_files.colorize(_Unchanged({1: taken}), photos, tmp_path / "coloured")
    assert report.outputs == [tmp_path / "coloured" / "a.jpg"]
    assert report.failures == [(str(photos / "b.jpg"), f"{taken} was placed by another run first; this run's output "
                                                       f"is kept as {tmp_path / 'coloured' / 'b_kept.jpg'}.")]
    assert Image.open(taken).size == (16, 16) and Image.open(tmp_path / "coloured" / "b_kept.jpg").size == (40, 48)


def test_a_run_clears_what_killed_runs_left_in_its_output_folder_whatever_their_target(tmp_path):
    import subprocess
    import sys

    dead_pid = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                                  text=True).stdout)
    photo = _photos(tmp_path / "in", [(40, 48)], ["photo.png"]) / "photo.png"
    out = tmp_path / "out"
    out.mkdir()
    leftovers = [out / f".{name}.{dead_pid}.abcd1234{files.TEMPORARY_MARK}{pathlib.Path(name).suffix}"
                 for name in ("clip_colorized.mp4", "other.png")]
    at_work = out / f".busy.mp4.1.abcd1234{files.TEMPORARY_MARK}.mp4"  # Process 1 is alive: a run at work.
    for path in [*leftovers, at_work]:
        path.write_bytes(b"half a file")
    colorize_files.colorize(_Unchanged(), photo, out / "photo.png")
    assert sorted(path.name for path in out.iterdir()) == [at_work.name, "photo.png"]


def test_a_folder_is_coloured_as_photos_or_as_a_video_as_asked(tmp_path):
    # Issue #31 item 2: Mini-Places names its photos 00000010.jpg, ...; of one size, they read as frames.
    numbered = _photos(tmp_path / "in_canyon", [(40, 48)] * 3, [f"{index:08d}.jpg" for index in (10, 11, 12)])
    camera = _photos(tmp_path / "holiday", [(40, 48)] * 2, ["IMG_0001.jpg", "IMG_0002.jpg"])
    mixed = _photos(tmp_path / "mixsize", [(40, 48), (48, 40)])
    assert colorize_files.colored_as_video(numbered) and not colorize_files.colored_as_video(numbered, "photos")
    assert not colorize_files.colored_as_video(camera) and colorize_files.colored_as_video(camera, "video")
    assert frame_folders.not_frames_because(camera) == "not named by frame number"
    assert frame_folders.not_frames_because(mixed) == "numbered, but of different sizes (48x40 and 40x48)"
    report = colorize_files.colorize(_Unchanged(), numbered, folder_as="photos")
    assert report.outputs == [tmp_path / "in_canyon_colorized" / f"{index:08d}.jpg" for index in (10, 11, 12)]
    # A video of photos of different sizes, or a file asked to be what it is not: one line, before any work.
    before = sorted(tmp_path.rglob("*"))
    cases = [(mixed, "video", r"mixsize cannot be coloured as a video: its images differ in size \(000.jpg is "
                              r"48x40, 001.jpg is 40x48\), and a video's frames have one size\.$"),
             (camera / "IMG_0001.jpg", "video", r"IMG_0001.jpg is not a video file, not a folder: it cannot be "
                                                r"coloured as a video\.$")]
    for source, folder_as, message in cases:
        with pytest.raises(errors.InputError, match=message) as failure:
            colorize_files.colorize(_NoWork(), source, tmp_path / "out.mp4", folder_as=folder_as)
        assert len(str(failure.value).splitlines()) == 1
    with pytest.raises(errors.ColorNNError, match="folder_as must be one of 'photos', 'video' or None"):
        colorize_files.colorize(_NoWork(), camera, folder_as="frames")
    assert sorted(tmp_path.rglob("*")) == before
