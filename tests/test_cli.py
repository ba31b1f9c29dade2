import json
import subprocess
import sys

import pytest

from colornn_keras import cli
from colornn_keras import errors
from colornn_keras.cli import colorize_commands
from colornn_keras.cli import run_commands


def test_help_lists_the_commands(capsys):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["--help"])
    assert exit_info.value.code == 0
    assert "train" in capsys.readouterr().out


def test_console_script_runs_as_a_module():
    result = subprocess.run([sys.executable, "-m", "colornn_keras.cli", "train", "color", "--help"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0 and "--image-size" in result.stdout


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["train", "color"], "Give --data"),
        (["train", "color", "--data", "/nonexistent/folder"], "is not a folder of images"),
        (["train", "color", "--resume", "/nonexistent/run"], "is not a run folder"),
        (["evaluate", "color", "--run", "/nonexistent/run"], "is not a run folder"),
    ],
)
def test_user_errors_print_one_line_and_exit_2(capsys, arguments, message):
    assert cli.main(arguments) == cli.EXIT_USER_ERROR
    error = capsys.readouterr().err.strip()
    assert message in error and len(error.splitlines()) == 1


@pytest.mark.large
def test_train_then_evaluate_from_the_command_line(image_folder, tmp_path, capsys):
    runs = tmp_path / "runs"
    assert cli.main(["train", "color", "--data", str(image_folder), "--image-size", "32", "--epochs", "1",
                     "--batch-size", "4", "--split", "6", "3", "3", "--runs-root", str(runs), "--quiet",
                     "--precision", "float32"]) == 0
    (run_dir,) = runs.iterdir()
    capsys.readouterr()
    output = tmp_path / "evaluation.json"
    assert cli.main(["evaluate", "color", "--run", str(run_dir), "--output", str(output)]) == 0
    recorded = json.loads((run_dir / "metrics.json").read_text())
    assert json.loads(output.read_text())["test"]["u_accuracy"] == pytest.approx(recorded["test"]["u_accuracy"])
    # An existing output is not replaced without --overwrite.
    assert cli.main(["evaluate", "color", "--run", str(run_dir), "--output", str(output)]) == cli.EXIT_USER_ERROR


@pytest.mark.large
def test_demo_writes_the_side_by_side_offline(weights_folder, tmp_path, capsys):
    assert cli.main(["demo", "-o", str(tmp_path / "demo"), "--quiet"]) == 0
    written = sorted(path.name for path in (tmp_path / "demo").iterdir())
    assert written == ["colorized.png", "grayscale.png", "original.png", "side_by_side.png"]
    assert cli.main(["demo", "-o", str(tmp_path / "demo"), "--quiet"]) == cli.EXIT_USER_ERROR  # No overwrite.


@pytest.mark.parametrize("size", [(600, 512), (48, 64)])  # The demo's photograph (H, W), and a small clip's.
def test_the_demo_s_side_by_side_names_its_three_pictures_above_them(size):
    import numpy as np

    from colornn_keras import demo
    from tests.conftest import make_scene

    pictures = [make_scene(size, seed) for seed in range(3)]
    joined = demo.side_by_side(*pictures)
    bar_height = joined.shape[0] - size[0]
    assert bar_height > 0 and bar_height % 2 == 0 and joined.shape[1] == 3 * size[1]
    assert np.array_equal(joined[bar_height:], np.concatenate(pictures, axis=1))  # The pictures untouched.
    bar = joined[:bar_height].min(axis=-1)
    for index in range(3):  # Each name dark on white, within its own panel's width, clear of the edges.
        panel = bar[:, index * size[1]:(index + 1) * size[1]]
        assert (panel < 100).any() and (panel[:, :2] == 255).all() and (panel[:, -2:] == 255).all()


@pytest.mark.large
def test_demo_on_a_clip_writes_the_colorized_and_side_by_side_videos(weights_folder, tmp_path):
    import numpy as np

    from colornn_keras import colorspace
    from colornn_keras.data import video
    from colornn_keras.data import video_encoding
    from tests.conftest import panning_frames

    frames = panning_frames(8, size=(48, 64))
    with video_encoding.VideoWriter(tmp_path / "clip.mp4", fps=10) as writer:
        for frame in frames:
            writer.write(frame)
    assert cli.main(["demo", str(tmp_path / "clip.mp4"), "-o", str(tmp_path / "demo"), "--quiet"]) == 0
    assert sorted(path.name for path in (tmp_path / "demo").iterdir()) == ["colorized.mp4", "side_by_side.mp4"]
    colorized = list(video.read_frames(tmp_path / "demo" / "colorized.mp4"))
    side_by_side = list(video.read_frames(tmp_path / "demo" / "side_by_side.mp4"))
    assert len(colorized) == len(side_by_side) == 8
    assert colorized[0].shape == (48, 64, 3) and side_by_side[0].shape[1] > 2 * 64
    # The colorized clip keeps the clip's own luma, as the clip holds it, but for what x264 loses
    # writing it: no more than writing the clip lost (measured 2.7/255 each), plus 1/255 (colours
    # move x264's rounding a little), and under 4/255 in any case.
    source = list(video.read_frames(tmp_path / "clip.mp4"))
    luma = [colorspace.rgb_to_luma(np.asarray(frame, np.float32) / 255.0) for frame in (colorized[3], source[3], frames[3])]
    output_error, codec_error = np.abs(luma[0] - luma[1]).mean(), np.abs(luma[1] - luma[2]).mean()
    assert output_error < min(codec_error + 1.0 / 255, 4.0 / 255)


def test_colorize_errors_are_one_line_with_exit_2_and_leave_nothing(weights_folder, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    before = set(tmp_path.iterdir())
    assert cli.main(["colorize", str(tmp_path / "notes.txt"), "--quiet"]) == cli.EXIT_USER_ERROR
    assert cli.main(["colorize", str(tmp_path / "missing.jpg"), "--quiet"]) == cli.EXIT_USER_ERROR
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and "neither an image" in errors[0] and "does not exist" in errors[1]
    assert set(tmp_path.iterdir()) == before


@pytest.mark.parametrize("option, value, message", [("--crf", "60", "a number from 0 to 51 is expected"),
                                                   ("--x264-preset", "quick", "invalid choice: 'quick'")])
def test_colorize_refuses_encoder_settings_x264_does_not_take(tmp_path, capsys, option, value, message):
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["colorize", str(tmp_path / "clip.mp4"), option, value])
    assert exit_info.value.code == cli.EXIT_USER_ERROR and message in capsys.readouterr().err


def test_colorize_a_folder_lists_failures_and_exits_2(weights_folder, image_folder, tmp_path, capsys):
    (image_folder / "broken.png").write_bytes(b"garbage")
    assert cli.main(["colorize", str(image_folder), "-o", str(tmp_path / "out"), "--quiet"]) == cli.EXIT_USER_ERROR
    error = capsys.readouterr().err
    assert "broken.png" in error and "1 of 15 files failed" in error
    assert len(list((tmp_path / "out").rglob("*.jpg"))) == 14


@pytest.mark.large
def test_demo_without_an_output_folder_never_reuses_one(weights_folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--quiet"]) == 0
    assert cli.main(["demo", "--quiet"]) == 0
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("colornn_demo")) == [
        "colornn_demo", "colornn_demo_2"]


# Issue #15: nothing broken is ever put in place, and every failure says which side failed.


@pytest.fixture(scope="module")
def tiny_color_weights(tmp_path_factory, vgg16_weights):
    """A shipped-weights folder with a tiny (32x32) color model, built once for these tests."""
    from colornn_keras.models import checkpoints, color
    from colornn_keras.research import manifest

    folder = tmp_path_factory.mktemp("weights")
    checkpoints.save_trained_part(color.build_color_model(image_size=32, backbone_weights=vgg16_weights),
                                  folder / "color_model.trained.h5")
    manifest.write_manifest(folder, {"color": {"kind": "color", "default": True, "file": "color_model.trained.h5",
                                               "image_size": 32, "num_bins": 30, "run": "test"}})
    return folder


@pytest.fixture
def shipped(tiny_color_weights, monkeypatch):
    from colornn_keras import presets

    monkeypatch.setenv(presets.WEIGHTS_DIR_ENV_VARIABLE, str(tiny_color_weights))


def _one_line_error(capsys, label):
    """The one line `colornn` printed on stderr, checked to start with 'colornn: <label>: '."""
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert len(lines) == 1, lines
    assert lines[0].startswith(f"colornn: {label}: "), lines[0]
    return lines[0]


def _photo(path, size=(40, 48), seed=1):
    from PIL import Image

    from tests.conftest import make_scene

    Image.fromarray(make_scene(size, seed)).save(path)
    return path


def _numbered_photos_of_two_sizes(folder):
    folder.mkdir()
    for index, size in enumerate([(40, 48), (48, 40)]):
        _photo(folder / f"{index:04d}.jpg", size, seed=index)
    return folder


def test_photos_given_a_videos_name_are_refused_before_the_models_load(tmp_path, capsys, monkeypatch):
    # Issue #30 item 5: numbered photos of different sizes are photos; `-o out/mixsize.mp4` made a
    # folder of that name full of JPEGs.
    folder = _numbered_photos_of_two_sizes(tmp_path / "mixsize")
    monkeypatch.setattr(colorize_commands, "load_colorizer", lambda *arguments: pytest.fail("the models loaded"))
    target = tmp_path / "out" / "mixsize.mp4"
    assert cli.main(["colorize", str(folder), "-o", str(target), "--quiet"]) == cli.EXIT_USER_ERROR
    assert f"{target} is a video's name, but {folder} is a folder of photos" in _one_line_error(capsys, "output error")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mixsize"]


def test_a_bug_is_not_masked_as_a_user_error(monkeypatch):
    def broken_table(arguments):
        raise ValueError("operands could not be broadcast together")  # As NumPy says it.

    monkeypatch.setattr(run_commands, "show_table", broken_table)
    with pytest.raises(ValueError, match="broadcast") as failure:
        cli.main(["table", "some_run"])  # Propagates: Python prints the traceback and exits 1.
    assert not isinstance(failure.value, errors.ColorNNError)


@pytest.mark.parametrize("content", [b"", "cut"])
def test_demo_on_a_damaged_photo_is_one_line_and_leaves_no_folder(tmp_path, capsys, content):
    source = tmp_path / "photo.jpg"
    if content == "cut":
        data = _photo(source).read_bytes()
        source.write_bytes(data[: len(data) // 3])
    else:
        source.write_bytes(content)
    assert cli.main(["demo", str(source), "-o", str(tmp_path / "demo"), "--quiet"]) == cli.EXIT_USER_ERROR
    line = _one_line_error(capsys, "input error")
    assert f"{source} is not a readable image: " in line
    assert not (tmp_path / "demo").exists()


def test_a_damaged_frame_is_named(tmp_path, capsys):
    frames = tmp_path / "frames"
    frames.mkdir()
    for index in range(3):
        _photo(frames / f"{index:05d}.png", seed=index)
    (frames / "00001.png").write_bytes(b"")
    assert cli.main(["colorize", str(frames), "--quiet"]) == cli.EXIT_USER_ERROR
    line = _one_line_error(capsys, "input error")
    assert f"Frame {frames / '00001.png'} is not a readable image: the file is empty" in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["frames"]


@pytest.mark.parametrize("command", [["evaluate", "color", "--run"], ["train", "color", "--resume"],
                                     ["colorize", "photo.png", "--color-run"]])
def test_run_records_this_version_cannot_read_are_one_line(tmp_path, capsys, monkeypatch, command):
    monkeypatch.chdir(tmp_path)
    _photo(tmp_path / "photo.png")
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"kind": "color", "data": "photos", "colour_jitter": 0.2}))
    assert cli.main([*command, str(run)]) == cli.EXIT_USER_ERROR
    line = _one_line_error(capsys, "run record error")
    assert f"{run / 'config.json'} records settings this version does not know: colour_jitter" in line
    (run / "config.json").write_text('{"kind": "color", "data": ')  # Cut short.
    assert cli.main([*command, str(run)]) == cli.EXIT_USER_ERROR
    assert f"{run / 'config.json'} is not valid JSON" in _one_line_error(capsys, "run record error")


def test_table_of_a_run_with_a_damaged_record_is_one_line(tmp_path, capsys):
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.json").write_text(json.dumps({"kind": "color"}))
    (run / "metrics.json").write_text("")
    assert cli.main(["table", str(run)]) == cli.EXIT_USER_ERROR
    assert f"{run / 'metrics.json'} is not valid JSON" in _one_line_error(capsys, "run record error")


def test_a_split_that_comes_out_empty_is_refused_before_a_run_folder(image_folder, tmp_path, capsys):
    runs = tmp_path / "runs"
    assert cli.main(["train", "color", "--data", str(image_folder), "--split", "1.0", "0", "0", "--runs-root",
                     str(runs), "--image-size", "32", "--quiet"]) == cli.EXIT_USER_ERROR
    assert "0 validation photos" in _one_line_error(capsys, "input error")
    assert not runs.exists() or not any(runs.iterdir())


@pytest.mark.large
def test_a_full_disk_puts_no_video_in_place(shipped, tmp_path, capsys):
    from tests.data.video_clips import faststart_clip, file_size_limit

    source = faststart_clip(tmp_path / "clip.mp4", frames=40)
    with file_size_limit(1500):  # Less than the coloured clip needs.
        code = cli.main(["colorize", str(source), "--quiet"])
    assert code == cli.EXIT_USER_ERROR
    line = _one_line_error(capsys, "output error")
    assert f"Cannot write {tmp_path / 'clip_colorized.mp4'}: ffmpeg " in line and ".partial" not in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip.mp4"]


@pytest.mark.large
def test_a_full_disk_leaves_no_video_demo(shipped, tmp_path, capsys):
    from tests.data.video_clips import faststart_clip, file_size_limit

    source = faststart_clip(tmp_path / "clip.mp4", frames=40)
    with file_size_limit(1500):  # Less than either coloured clip needs.
        code = cli.main(["demo", str(source), "-o", str(tmp_path / "demo"), "--quiet"])
    assert code == cli.EXIT_USER_ERROR
    assert f"Cannot write {tmp_path / 'demo'}" in _one_line_error(capsys, "output error")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip.mp4"]


@pytest.mark.large
def test_a_truncated_video_is_refused_unless_allowed(shipped, tmp_path, capsys):
    from colornn_keras import files
    from colornn_keras.data import video
    from tests.data.video_clips import cut, faststart_clip

    source = cut(faststart_clip(tmp_path / "clip.mp4", frames=40, audio=True), 0.5)
    target = tmp_path / "out.mp4"
    assert cli.main(["colorize", str(source), "-o", str(target), "--quiet"]) == cli.EXIT_USER_ERROR
    line = _one_line_error(capsys, "input error")
    assert f"{source} is truncated: its header declares 1.60 s (about 40 frames at 25 fps)" in line
    assert "--allow-truncated" in line and not target.exists()
    # A killed earlier run left its temporary beside the target: the next run removes it.
    stale = tmp_path / f".out.mp4.{2 ** 22 + 1}.abcd1234{files.TEMPORARY_MARK}.mp4"
    stale.write_bytes(b"half a video")
    assert cli.main(["colorize", str(source), "-o", str(target), "--quiet", "--allow-truncated"]) == 0
    warning = capsys.readouterr().err
    assert f"colornn: warning: {source} is truncated: its header declares 1.60 s" in warning
    present = int(warning.split(" frames)")[0].rsplit("(", 1)[1])
    assert video.probe(target).frame_count in (present - 1, present) and 5 < present < 40
    assert sorted(path.name for path in tmp_path.iterdir()) == ["clip.mp4", "out.mp4"]


@pytest.mark.large
def test_a_folder_of_camera_photos_is_coloured_as_photos(shipped, tmp_path, capsys):
    folder = tmp_path / "holiday"
    folder.mkdir()
    for index, size in enumerate([(60, 50), (50, 60)]):  # Landscape and portrait.
        _photo(folder / f"IMG_{index + 1:04d}.jpg", size, seed=index)
    (folder / "party.gif").write_bytes(b"GIF89a")
    assert cli.main(["colorize", str(folder), "--quiet"]) == 0
    assert sorted(path.name for path in (tmp_path / "holiday_colorized").iterdir()) == ["IMG_0001.jpg", "IMG_0002.jpg"]
    assert cli.main(["colorize", str(folder), "-o", str(tmp_path / "coloured"), "--quiet"]) == 0
    assert len(list((tmp_path / "coloured").iterdir())) == 2
    skipped = capsys.readouterr().err
    assert "colornn: skipped 1 files that are not images it colours" in skipped and "party.gif" in skipped


@pytest.mark.large
def test_numbered_photos_come_out_as_a_video_or_as_photos_and_the_choice_is_said(shipped, tmp_path, capsys):
    # Issue #31 item 2: Mini-Places names its photos 00000010.jpg, ...; of one size, they read as frames.
    import os

    from colornn_keras.data import video

    folder = tmp_path / "in_canyon"
    folder.mkdir()
    for index in range(3):
        _photo(folder / f"{index + 10:08d}.jpg", seed=index)
    assert cli.main(["colorize", str(folder)]) == 0
    printed = capsys.readouterr()
    assert printed.err.splitlines() == ["colornn: 3 numbered images of one size: coloured as a video; --as photos "
                                        "colours them as photos"]
    assert printed.out.splitlines()[-1] == f"Wrote {tmp_path / 'in_canyon_colorized.mp4'} (3 frames)"
    assert video.probe(tmp_path / "in_canyon_colorized.mp4").frame_count == 3
    assert cli.main(["colorize", str(folder), "--as", "photos"]) == 0
    printed = capsys.readouterr()
    assert printed.err == ""  # Asked for: nothing to explain.
    assert printed.out.splitlines()[-1] == f"Wrote 3 photos to {tmp_path / 'in_canyon_colorized'}{os.sep}"
    assert sorted(path.name for path in (tmp_path / "in_canyon_colorized").iterdir()) == [
        "00000010.jpg", "00000011.jpg", "00000012.jpg"]
    # Camera photos are photos unless asked, and the line says why.
    camera = tmp_path / "holiday"
    camera.mkdir()
    for index in range(2):
        _photo(camera / f"IMG_{index + 1:04d}.jpg", seed=index)
    assert cli.main(["colorize", str(camera), "-o", str(tmp_path / "holiday_photos")]) == 0
    assert capsys.readouterr().err.splitlines() == [
        "colornn: 2 images, not named by frame number: coloured as photos; --as video colours them as one video, "
        "in name order"]
    assert cli.main(["colorize", str(camera), "--as", "video", "--quiet"]) == 0
    assert video.probe(tmp_path / "holiday_colorized.mp4").frame_count == 2


def test_as_video_on_images_of_different_sizes_is_one_line_before_the_models_load(tmp_path, capsys, monkeypatch):
    folder = _numbered_photos_of_two_sizes(tmp_path / "mixsize")
    monkeypatch.setattr(colorize_commands, "load_colorizer", lambda *arguments: pytest.fail("the models loaded"))
    assert cli.main(["colorize", str(folder), "--as", "video"]) == cli.EXIT_USER_ERROR
    assert _one_line_error(capsys, "input error") == (
        f"colornn: input error: {folder} cannot be coloured as a video: its images differ in size (0000.jpg is "
        "48x40, 0001.jpg is 40x48), and a video's frames have one size.")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["mixsize"]


@pytest.mark.parametrize("target, message", [("/proc/photo.png", "Cannot write"),
                                             ("photo.felf4g9m", "does not end in an image extension")])
def test_outputs_that_cannot_be_written_are_output_errors(shipped, tmp_path, capsys, monkeypatch, target, message):
    monkeypatch.chdir(tmp_path)
    _photo(tmp_path / "photo.png")
    assert cli.main(["colorize", "photo.png", "-o", target, "--quiet"]) == cli.EXIT_USER_ERROR
    line = _one_line_error(capsys, "output error")
    assert f"{target}" in line and message in line and ".partial" not in line
    assert sorted(path.name for path in tmp_path.iterdir()) == ["photo.png"]


def test_a_demo_that_fails_midway_takes_back_what_it_wrote(tmp_path, monkeypatch):
    from colornn_keras import demo
    from colornn_keras.data import pictures

    class Identity:  # Stands in for the model: the demo's writing is what is tested.
        def colorize_frames(self, frames):
            return list(frames)

    real_save = pictures.save_image

    def save_then_fill_the_disk(rgb, target):
        if target.name == "original.png":
            raise errors.OutputError(f"Cannot write {target}: No space left on device.")
        return real_save(rgb, target)

    monkeypatch.setattr(pictures, "save_image", save_then_fill_the_disk)
    demo_input = demo.check_input(_photo(tmp_path / "photo.png"), tmp_path / "demo")
    with pytest.raises(errors.OutputError, match="original.png"):
        demo.write_demo(Identity(), demo_input)
    assert sorted(path.name for path in tmp_path.iterdir()) == ["photo.png"]
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "side_by_side.png").write_bytes(b"an earlier demo")
    with pytest.raises(errors.OutputError):
        demo.write_demo(Identity(), demo.check_input(tmp_path / "photo.png", tmp_path / "old", overwrite=True))
    assert [path.name for path in (tmp_path / "old").iterdir()] == ["side_by_side.png"]  # Never reached.


# Issue #17: `colornn colorize CLIP --keyframe INDEX:IMAGE`.


def _frames(folder, count=6, size=(37, 51)):
    """A folder of numbered PNG frames of a colourful scene, its sides odd."""
    from PIL import Image

    from tests.conftest import panning_frames

    folder.mkdir()
    frames = panning_frames(count, size=size)
    for index, frame in enumerate(frames):
        Image.fromarray(frame).save(folder / f"{index:05d}.png")
    return folder, frames


@pytest.mark.large
def test_colorize_with_keyframes(weights_folder, tmp_path, capsys):
    from PIL import Image

    from colornn_keras.data import video

    folder, frames = _frames(tmp_path / "frames")
    # A keyframe of another size than the frames (the same shape): it is resized to them.
    Image.fromarray(frames[3]).resize((102, 74)).save(tmp_path / "key.png")
    target = tmp_path / "out.mp4"
    assert cli.main(["colorize", str(folder), "--keyframe", f"3:{tmp_path / 'key.png'}", "--keyframe",
                     f"0:{folder / '00000.png'}", "-o", str(target), "--quiet"]) == 0
    # No keyframe warning: the keyframes are colourful and of the frames' shape. The one line is
    # the padding of the frames' odd sides, cropped back by the container.
    (line,) = capsys.readouterr().err.splitlines()
    assert "is coded at 52x38, cropped back to 51x37" in line
    assert video.probe(target).frame_count == 6
    # The same by the consistency model instead of optical flow.
    assert cli.main(["colorize", str(folder), "--keyframe", f"3:{tmp_path / 'key.png'}", "--keyframe-propagation",
                     "model", "-o", str(tmp_path / "by_model.mp4"), "--quiet"]) == 0
    assert video.probe(tmp_path / "by_model.mp4").frame_count == 6


@pytest.mark.large
def test_colorize_with_keyframes_along_the_flow_takes_its_flow_scale_and_blend(weights_folder, tmp_path, capsys):
    from colornn_keras.data import video

    folder, _ = _frames(tmp_path / "frames")
    keyframe = ["--keyframe", f"3:{folder / '00003.png'}"]
    default = colorize_commands.load_colorizer(cli.build_parser().parse_args(["colorize", str(folder), *keyframe]))
    assert (default.flow_scale, default.keyframe_blend, default.keyframe_fill) == (2, "confidence", "flow")
    chosen = colorize_commands.load_colorizer(cli.build_parser().parse_args(
        ["colorize", str(folder), *keyframe, "--flow-scale", "4", "--keyframe-blend", "nearest", "--keyframe-fill",
         "keyframe"]))
    assert (chosen.flow_scale, chosen.keyframe_blend, chosen.keyframe_fill) == (4, "nearest", "keyframe")
    capsys.readouterr()
    assert cli.main(["colorize", str(folder), *keyframe, "--flow-scale", "1", "-o", str(tmp_path / "out.mp4")]) == 0
    assert video.probe(tmp_path / "out.mp4").frame_count == 6
    # Frames 0-3 read ahead and 0-2 carried back from keyframe 3, beside the 6 written.
    captured = capsys.readouterr()
    assert "colornn: 6 frames, and 7 frame-passes before the last keyframe" in captured.err
    assert "colornn: 13/13 frame-passes" in captured.out
    assert cli.main(["colorize", str(folder), "--flow-scale", "1", "-o", str(tmp_path / "none.mp4")]) == 2
    assert "--flow-scale sets how --keyframe colours travel along the flow: give keyframes" in capsys.readouterr().err
    assert not (tmp_path / "none.mp4").exists()


def _flow_guided_run(image_folder, tmp_path, gate_bias):
    """A flow-guided run folder over a tiny trained color run, its model untrained with `gate_bias`."""
    import dataclasses

    from colornn_keras.models import checkpoints
    from colornn_keras.models import flow_guided as flow_guided_models
    from colornn_keras.research import experiments
    from colornn_keras.research import training
    from colornn_keras.runs import configs
    from colornn_keras.runs import records

    color_run = training.train_color_model(training.ColorTrainingConfig(
        data=str(image_folder), image_size=32, batch_size=4, epochs=1, split=(6, 3, 3), num_samples=0,
        precision="float32", runs_root=str(tmp_path / "experiments")), verbose=0)
    run = tmp_path / "guided_run"
    run.mkdir()
    config = configs.FlowGuidedTrainingConfig(videos=str(tmp_path), color_run=str(color_run), filters=4)
    experiments.write_json(run / "config.json", {"kind": "flow_guided", **dataclasses.asdict(config),
                                                 "image_size": 32, "num_bins": 30})
    checkpoints.save_trained_part(flow_guided_models.FlowGuidedModel(4, gate_bias=gate_bias),
                                  run / records.FLOW_GUIDED_TRAINED_PART_FILE)
    return run


@pytest.mark.large
def test_colorize_with_keyframes_guided_by_a_flow_guided_run(weights_folder, image_folder, tmp_path, capsys):
    import numpy as np

    from colornn_keras.data import video

    from colornn_keras import colorspace

    folder, frames = _frames(tmp_path / "frames")
    run = _flow_guided_run(image_folder, tmp_path, gate_bias=30.0)  # Its gate shut: the flow baseline.
    keyframe = ["--keyframe", f"0:{folder / '00000.png'}", "--quiet"]
    assert cli.main(["colorize", str(folder), *keyframe, "--keyframe-propagation", "guided", "--flow-guided-run",
                     str(run), "-o", str(tmp_path / "guided.mp4")]) == 0
    assert cli.main(["colorize", str(folder), *keyframe, "-o", str(tmp_path / "flow.mp4")]) == 0
    guided = np.stack(list(video.read_frames(tmp_path / "guided.mp4")))
    flow = np.stack(list(video.read_frames(tmp_path / "flow.mp4")))
    assert guided.shape == flow.shape == (6, 37, 51, 3)  # Coded padded to even sides, cropped back by the mp4.

    def chroma_error(clip):
        # Where frame 0 saw the scene (it pans 2 pixels a frame: the right edge is new, and filled
        # by the untrained color model's colours along the flow).
        uv = [colorspace.rgb_to_yuv(np.asarray(pictures, np.float32)[:, :37, :41] / 255.0)[..., 1:]
              for pictures in (clip, np.stack(frames))]
        return np.abs(uv[0] - uv[1]).mean()

    # Frame 0's colours carried along the flow: by the guided model at the model's square size, and
    # by default at the frames' own size. This smooth scene has no colour edges to lose at the
    # model's size (tests/test_inference.py shows the difference where it has): both come as close,
    # and far closer than gray.
    gray = np.full_like(flow, 128)
    assert abs(chroma_error(flow) - chroma_error(guided)) < 0.2 * chroma_error(guided) < 0.1 * chroma_error(gray)
    capsys.readouterr()
    assert cli.main(["colorize", str(folder), *keyframe, "--keyframe-propagation", "guided",
                     "-o", str(tmp_path / "none.mp4")]) == 2
    assert "--flow-guided-run" in capsys.readouterr().err
    assert not (tmp_path / "none.mp4").exists()
    # Without keyframes the run's model colours the clip automatically (its gate shut here: frame
    # 0's colours carried along the flow); it brings its own color model, so --consistency is refused.
    assert cli.main(["colorize", str(folder), "--flow-guided-run", str(run), "-o", str(tmp_path / "auto.mp4"),
                     "--quiet"]) == 0
    assert video.probe(tmp_path / "auto.mp4").frame_count == 6
    assert cli.main(["colorize", str(folder), "--flow-guided-run", str(run), "--consistency", "-o",
                     str(tmp_path / "both.mp4"), "--quiet"]) == 2
    assert "brings its own color model" in capsys.readouterr().err


@pytest.mark.large
def test_colorize_smoothing_along_flow(weights_folder, tmp_path, capsys):
    from colornn_keras.data import video

    folder, _ = _frames(tmp_path / "frames")
    assert cli.main(["colorize", str(folder), "--smooth-along-flow", "0.9", "-o", str(tmp_path / "smooth.mp4"),
                     "--quiet"]) == 0
    assert video.probe(tmp_path / "smooth.mp4").frame_count == 6
    assert cli.main(["colorize", str(folder), "--smooth-along-flow", "0.9", "--both-ways", "-o",
                     str(tmp_path / "both_ways.mp4"), "--quiet"]) == 0
    assert video.probe(tmp_path / "both_ways.mp4").frame_count == 6
    # Each direction with the weighting chosen for it on validation clips.
    for extra, both_ways, mismatch_scale in (([], False, 0.03), (["--both-ways"], True, None)):
        arguments = cli.build_parser().parse_args(["colorize", str(folder), "--smooth-along-flow", "0.9", *extra])
        colorizer = colorize_commands.load_colorizer(arguments)
        assert colorizer.both_ways is both_ways and colorizer.flow_guided_model.mismatch_scale == mismatch_scale
    for extra, message in ((["--smooth-along-flow", "1.5"], "between 0 and 1"),
                           (["--both-ways"], "give both"),
                           (["--smooth-along-flow", "0.9", "--keyframe", f"0:{folder / '00000.png'}"],
                            "does not combine")):
        capsys.readouterr()
        assert cli.main(["colorize", str(folder), *extra, "-o", str(tmp_path / "bad.mp4"), "--quiet"]) == 2
        assert message in capsys.readouterr().err
        assert not (tmp_path / "bad.mp4").exists()


@pytest.mark.parametrize(
    "keyframe, label, message",
    [
        ("6:{frames}/00000.png", "input error", r"Keyframe 6 is outside .*frames's 6 frames \(0 to 5: frames count "
                                                r"from 0\)"),
        ("2:{tmp}/broken.png", "input error", r"Keyframe 2: .*broken.png is not a readable image"),
        ("2:{tmp}/missing.png", "input error", r"Keyframe 2: .*missing.png does not exist"),
        ("two:{tmp}/key.png", "error", r"--keyframe 'two:.*key.png' is not INDEX:IMAGE"),
        ("-1:{tmp}/key.png", "error", r"is not INDEX:IMAGE"),
        ("{tmp}/key.png", "error", r"is not INDEX:IMAGE"),
        ("3:", "error", r"--keyframe '3:' is not INDEX:IMAGE"),
    ],
)
def test_bad_keyframes_are_one_line_before_any_work(tmp_path, capsys, keyframe, label, message):
    import re

    folder, _ = _frames(tmp_path / "frames")
    _photo(tmp_path / "key.png")
    (tmp_path / "broken.png").write_bytes(b"not a png")
    before = set(tmp_path.iterdir())
    spec = keyframe.format(frames=folder, tmp=tmp_path)
    assert cli.main(["colorize", str(folder), f"--keyframe={spec}", "--quiet"]) == cli.EXIT_USER_ERROR
    assert re.search(message, _one_line_error(capsys, label))
    assert set(tmp_path.iterdir()) == before


def test_keyframes_on_a_photo_or_twice_for_one_frame_are_refused(tmp_path, capsys):
    photo = _photo(tmp_path / "photo.png")
    assert cli.main(["colorize", str(photo), "--keyframe", f"0:{photo}", "--quiet"]) == cli.EXIT_USER_ERROR
    assert f"{photo} is not a video (or a folder of numbered frames)" in _one_line_error(capsys, "input error")
    folder, _ = _frames(tmp_path / "frames")
    assert cli.main(["colorize", str(folder), "--keyframe", f"1:{photo}", "--keyframe", f"1:{photo}",
                     "--quiet"]) == cli.EXIT_USER_ERROR
    assert "--keyframe gives frame 1 twice" in _one_line_error(capsys, "error")
    assert cli.main(["colorize", str(folder), "--keyframe", f"1:{photo}", "--color-run", str(tmp_path),
                     "--keyframe-propagation", "model", "--quiet"]) == cli.EXIT_USER_ERROR
    assert "--keyframe uses the consistency model" in _one_line_error(capsys, "error")
    # No recurrent model ships, so none is offered (issue #29).
    with pytest.raises(SystemExit):
        cli.build_parser().parse_args(["colorize", str(folder), "--model", "recurrent"])
    assert "invalid choice: 'recurrent'" in capsys.readouterr().err
    assert sorted(path.name for path in tmp_path.iterdir()) == ["frames", "photo.png"]


def test_a_keyframe_fill_is_one_of_four_and_needs_keyframes_along_the_flow(tmp_path, capsys):
    folder, _ = _frames(tmp_path / "frames")
    keyframe = ["--keyframe", f"0:{folder / '00000.png'}"]
    with pytest.raises(SystemExit) as exit_info:
        cli.main(["colorize", str(folder), *keyframe, "--keyframe-fill", "exemplar", "--quiet"])
    assert exit_info.value.code == cli.EXIT_USER_ERROR and "invalid choice: 'exemplar'" in capsys.readouterr().err
    for fill in ("model", "keyframe", "flow", "features"):
        arguments = cli.build_parser().parse_args(["colorize", str(folder), *keyframe, "--keyframe-fill", fill])
        assert colorize_commands.colorize_options(arguments).keyframe_fill == fill
    assert cli.main(["colorize", str(folder), "--keyframe-fill", "keyframe", "--quiet"]) == cli.EXIT_USER_ERROR
    assert "--keyframe-fill sets how --keyframe colours travel along the flow" in _one_line_error(capsys, "error")
    assert cli.main(["colorize", str(folder), *keyframe, "--keyframe-fill", "flow", "--keyframe-propagation", "model",
                     "--quiet"]) == cli.EXIT_USER_ERROR
    assert "(--keyframe-propagation flow, the default)" in _one_line_error(capsys, "error")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["frames"]


# Issue #30: files without a picture, and a rotated phone clip, from the command line.


def test_a_file_with_no_video_stream_is_one_line_naming_it_before_the_models_load(tmp_path, capsys, monkeypatch):
    from tests.data.video_clips import mp4_without_streams, run_ffmpeg

    sound = tmp_path / "sound.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "sine=duration=0.5", "-c:a", "aac", str(sound))
    nothing = mp4_without_streams(tmp_path / "nothing.mp4")
    monkeypatch.setattr(colorize_commands, "load_colorizer", lambda *arguments: pytest.fail("the models loaded"))
    for source, why in ((sound, "only audio"), (nothing, "it holds no streams at all")):
        assert cli.main(["colorize", str(source), "--quiet"]) == cli.EXIT_USER_ERROR
        assert _one_line_error(capsys, "input error") == f"colornn: input error: {source} has no video stream ({why})."
    assert sorted(path.name for path in tmp_path.iterdir()) == ["nothing.mp4", "sound.mp4"]


@pytest.mark.large
def test_a_rotated_phone_clip_is_coloured_upright_with_no_stray_lines(shipped, tmp_path, capfd, caplog):
    from colornn_keras.data import video
    from tests.data.video_clips import rotated_clip

    source, _ = rotated_clip(tmp_path / "phone.mp4", 90)
    target = tmp_path / "out.mp4"
    capfd.readouterr()
    assert cli.main(["colorize", str(source), "-o", str(target)]) == 0
    captured = capfd.readouterr()
    # What colornn says, and nothing else (imageio printed two lines about the frames' size).
    assert [line for line in captured.err.splitlines() if not line.startswith("colornn: ")] == []
    assert [record.getMessage() for record in caplog.records if record.name.startswith("imageio")] == []
    assert captured.out.splitlines()[-1] == f"Wrote {target} (3 frames)"
    info = video.probe(target)
    assert (info.width, info.height, info.frame_count) == (24, 32, 3)


def test_training_configs_take_every_option_of_their_fields_names():
    from colornn_keras.runs import configs

    arguments = cli.build_parser().parse_args(
        ["train", "color", "--data", "photos", "--deepest-tap", "block5_conv3", "--learning-rate", "2e-5",
         "--progressive", "64:2", "--split", "30", "5", "5", "--oversample", "sun_*:3", "--oversample", "harbor:2"])
    config = run_commands.config_from_arguments(configs.ColorTrainingConfig, arguments, split=(30, 5, 5),
                                                progressive=tuple(arguments.progressive))
    assert config.oversample == (("sun_*", 3), ("harbor", 2))
    assert (config.data, config.deepest_tap, config.learning_rate, config.split) == ("photos", "block5_conv3", 2e-5, (30, 5, 5))
    assert config.progressive == tuple(arguments.progressive) and config.progressive
    assert config.num_samples == configs.ColorTrainingConfig.num_samples  # Not offered: its default.


@pytest.mark.parametrize("value", ["sun_*", "sun_*:0", ":3", "sun_*:x"])
def test_oversample_that_is_not_glob_colon_times_is_refused_by_the_parser(value, capsys):
    with pytest.raises(SystemExit) as stopped:
        cli.build_parser().parse_args(["train", "color", "--data", "photos", "--oversample", value])
    assert stopped.value.code == 2
    assert "is not GLOB:TIMES" in capsys.readouterr().err
