"""`colornn --help` and argument errors answer without TensorFlow; commands start quietly."""

import pytest
import contextlib
import importlib
import os
import subprocess
import sys

from colornn_keras import cli
from colornn_keras import defaults
from colornn_keras.cli import colorize_commands
from colornn_keras.cli import run_commands

# Where each of the values the command line shows is used in the library.
DEFINED_IN = {
    "DEFAULT_NUM_BINS": "colornn_keras.colorspace",
    "DECODING_METHODS": "colornn_keras.colorspace",
    "VARIANTS": "colornn_keras.models.color",
    "DEEPEST_TAPS": "colornn_keras.models.color",
    "COLORIZE_MODELS": "colornn_keras.options",
    "PRECISIONS": "colornn_keras.precision",
    "STRATEGIES": "colornn_keras.research.training.distribution",
    "PAPER_SPLIT": "colornn_keras.data.images",
    "DEFAULT_GRAYSCALE_THRESHOLD": "colornn_keras.data.images",
    "PAPER_SETS": "colornn_keras.data.images",
    "WIDE_HOLDOUT": "colornn_keras.data.images",
    "AUGMENTATIONS": "colornn_keras.data.images",
    "PAPER_CLIP_SPLIT": "colornn_keras.data.clips",
    "DEFAULT_SCENE_CUT_THRESHOLD": "colornn_keras.data.scene_cuts",
    "DEFAULT_CRF": "colornn_keras.data.video_encoding",
    "X264_PRESETS": "colornn_keras.data.video_encoding",
    "DEFAULT_X264_PRESET": "colornn_keras.data.video_encoding",
    "FLOW_SCALES": "colornn_keras.keyframes_along_flow",
    "DEFAULT_FLOW_SCALE": "colornn_keras.keyframes_along_flow",
    "KEYFRAME_BLENDS": "colornn_keras.keyframes_along_flow",
    "KEYFRAME_FILLS": "colornn_keras.flow_carry",
    "DEFAULT_KEYFRAME_FILL": "colornn_keras.flow_carry",
    "ENGINES": "colornn_keras.engines",
    "SCHEDULES": "colornn_keras.runs.configs",
    "OPTIMIZERS": "colornn_keras.runs.configs",
    "CONSISTENCY_MODELS": "colornn_keras.runs.configs",
    "SAMPLED_CONTEXTS": "colornn_keras.runs.configs",
    "GUIDED_STARTS": "colornn_keras.runs.configs",
}


def _python(code, **environment):
    env = {name: value for name, value in os.environ.items()
           if name not in ("TF_CPP_MIN_LOG_LEVEL", "COLORNN_VERBOSE")}
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300,
                          env={**env, **environment})


def test_the_library_takes_every_default_the_command_line_shows_from_defaults():
    assert sorted(name for name in vars(defaults) if name.isupper()) == sorted(DEFINED_IN)
    for name, module in DEFINED_IN.items():
        # The same object, not an equal copy: one definition, whatever either side changes.
        assert getattr(importlib.import_module(module), name) is getattr(defaults, name), f"{module}.{name}"


def test_the_command_line_s_run_settings_default_to_the_library_s(monkeypatch):
    import dataclasses

    from colornn_keras.research import training

    given = {}
    monkeypatch.setattr(training, "train_color_model", lambda config, **_: given.setdefault("color", config))
    monkeypatch.setattr(training, "train_consistency_model", lambda config, **_: given.setdefault("video", config))
    monkeypatch.setattr(run_commands, "check_run", lambda run_dir: None)
    monkeypatch.setattr(cli, "_import_tensorflow", lambda verbose: None)
    cli.main(["train", "color", "--data", "photos"])
    cli.main(["train", "consistency", "--videos", "clips", "--color-run", "run"])
    library = (training.ColorTrainingConfig(data="photos"), training.ConsistencyTrainingConfig(videos="clips", color_run="run"))
    for parsed, default in zip((given["color"], given["video"]), library):
        assert dataclasses.asdict(parsed) == dataclasses.asdict(default)

    from colornn_keras.runs import configs
    from colornn_keras.research.training import flow_guided

    monkeypatch.setattr(flow_guided, "train_flow_guided_model", lambda config, **_: given.setdefault("guided", config))
    cli.main(["train", "flow-guided", "--videos", "clips", "--color-run", "run"])
    assert dataclasses.asdict(given["guided"]) == dataclasses.asdict(
        configs.FlowGuidedTrainingConfig(videos="clips", color_run="run"))


def test_help_argument_errors_and_presets_do_not_import_tensorflow():
    result = _python(
        "import sys\n"
        "from colornn_keras import cli\n"
        "codes = []\n"
        "for argv in (['--help'], ['train', 'color', '--help'], ['colorize', '--help'],\n"
        "             ['train', 'color', '--image-size', 'many'], ['colorize'], ['no-such-command'], ['presets']):\n"
        "    try:\n"
        "        codes.append(cli.main(argv))\n"
        "    except SystemExit as exit:\n"
        "        codes.append(exit.code)\n"
        "heavy = sorted(name for name in ('tensorflow', 'keras') if name in sys.modules)\n"
        "print('exit codes', codes, 'imported', heavy)\n")
    # `presets` runs: it reads the weights' JSON only.
    assert "exit codes [0, 0, 0, 2, 2, 2, 0] imported []" in result.stdout, result.stdout + result.stderr
    assert "--image-size: invalid int value: 'many'" in result.stderr


@pytest.mark.large
def test_tensorflow_starts_without_its_start_up_messages_unless_asked():
    code = ("from colornn_keras import cli\n"
            "cli._import_tensorflow(verbose=False)\n"
            "import os, tensorflow as tf\n"
            "tf.constant(1.0) + 1\n"
            "print('level', os.environ['TF_CPP_MIN_LOG_LEVEL'])\n")
    quiet = _python(code)
    assert quiet.returncode == 0 and quiet.stdout == "level 3\n" and quiet.stderr == "", quiet.stderr


def test_verbose_flag_and_variable_ask_for_tensorflow_s_messages(tmp_path, monkeypatch):
    asked = []
    monkeypatch.setattr(cli, "_import_tensorflow", asked.append)
    for argv, variable in ((["table", str(tmp_path)], None), (["--verbose", "table", str(tmp_path)], None),
                           (["table", str(tmp_path)], "1"), (["table", str(tmp_path)], "0")):
        if variable is None:
            monkeypatch.delenv(cli.VERBOSE_ENV_VARIABLE, raising=False)
        else:
            monkeypatch.setenv(cli.VERBOSE_ENV_VARIABLE, variable)
        with contextlib.suppress(ValueError):  # An empty folder is no run; only the start-up matters here.
            cli.main(argv)
    assert asked == [False, True, True, False]


def test_colorize_refuses_a_missing_input_or_options_that_cannot_combine_before_tensorflow_loads(tmp_path):
    result = _python(
        "import sys\n"
        "from colornn_keras import cli\n"
        f"codes = [cli.main(['colorize', {str(tmp_path / 'missing.jpg')!r}]),\n"
        f"         cli.main(['colorize', {str(tmp_path)!r}, '--both-ways']),\n"
        f"         cli.main(['colorize', {str(tmp_path)!r}, '--keyframe', '-1:x.png'])]\n"
        "heavy = sorted(name for name in ('tensorflow', 'keras') if name in sys.modules)\n"
        "print('exit codes', codes, 'imported', heavy)\n")
    assert "exit codes [2, 2, 2] imported []" in result.stdout, result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert lines[0] == f"colornn: input error: {tmp_path / 'missing.jpg'} does not exist."
    assert lines[1].startswith("colornn: error: --both-ways runs the smoothing")
    assert lines[2].startswith("colornn: error: --keyframe '-1:x.png' is not INDEX:IMAGE") and len(lines) == 3


@pytest.mark.large
def test_the_python_entry_points_start_tensorflow_quietly():
    quiet = _python("import colornn_keras\ncolornn_keras.colorize\nimport sys\nprint('tensorflow' in sys.modules)\n")
    assert quiet.returncode == 0 and quiet.stdout == "True\n" and quiet.stderr == "", quiet.stderr


def test_progress_off_a_terminal_is_plain_lines_in_the_works_own_unit():
    import argparse
    import io

    stream = io.StringIO()  # Not a terminal: no bar, no escape codes.
    report = colorize_commands.progress_for(argparse.Namespace(quiet=False), 3, "photo", stream=stream)
    report(1)
    report(2)
    (line,) = stream.getvalue().splitlines()  # At most every 30 s, and at the end.
    assert line.startswith("colornn: 3/3 photos (") and line.endswith(" photos/s)") and "\x1b" not in line
    assert colorize_commands.progress_for(argparse.Namespace(quiet=True), 3) is None
