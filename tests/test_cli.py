import json
import subprocess
import sys

import pytest

from colornn_keras import cli


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


def test_demo_writes_the_side_by_side_offline(weights_folder, tmp_path, capsys):
    assert cli.main(["demo", "-o", str(tmp_path / "demo"), "--quiet"]) == 0
    written = sorted(path.name for path in (tmp_path / "demo").iterdir())
    assert written == ["colorized.png", "grayscale.png", "original.png", "side_by_side.png"]
    assert cli.main(["demo", "-o", str(tmp_path / "demo"), "--quiet"]) == cli.EXIT_USER_ERROR  # No overwrite.


def test_colorize_errors_are_one_line_with_exit_2_and_leave_nothing(weights_folder, tmp_path, capsys):
    (tmp_path / "notes.txt").write_text("hello")
    before = set(tmp_path.iterdir())
    assert cli.main(["colorize", str(tmp_path / "notes.txt"), "--quiet"]) == cli.EXIT_USER_ERROR
    assert cli.main(["colorize", str(tmp_path / "missing.jpg"), "--quiet"]) == cli.EXIT_USER_ERROR
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and "neither an image" in errors[0] and "does not exist" in errors[1]
    assert set(tmp_path.iterdir()) == before


def test_colorize_a_folder_lists_failures_and_exits_2(weights_folder, image_folder, tmp_path, capsys):
    (image_folder / "broken.png").write_bytes(b"garbage")
    assert cli.main(["colorize", str(image_folder), "-o", str(tmp_path / "out"), "--quiet"]) == cli.EXIT_USER_ERROR
    error = capsys.readouterr().err
    assert "broken.png" in error and "1 of 15 files failed" in error
    assert len(list((tmp_path / "out").rglob("*.jpg"))) == 14


def test_demo_without_an_output_folder_never_reuses_one(weights_folder, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert cli.main(["demo", "--quiet"]) == 0
    assert cli.main(["demo", "--quiet"]) == 0
    assert sorted(path.name for path in tmp_path.iterdir() if path.name.startswith("colornn_demo")) == [
        "colornn_demo", "colornn_demo_2"]
