"""`colornn reproduce --profile quick` end to end on small made-up data, with a pause and a resume."""

import re

import pytest

from colornn_keras import cli
from colornn_keras.research import experiments
from colornn_keras.research import reproduction
from colornn_keras.research import reproduction_report
from colornn_keras.research import training
from colornn_keras.runs import records


def _reproduce(*arguments):
    return cli.main(["reproduce", "--quiet", *arguments])


@pytest.mark.large
def test_quick_profile_pauses_resumes_and_reports_beside_the_paper(image_folder, clip_folder, tmp_path, vgg16_weights, capsys):
    runs_root = tmp_path / "experiments"
    # A budget already spent: the first stage runs one epoch, then pauses before the second.
    assert _reproduce("--data", str(image_folder), "--videos", str(clip_folder), "--profile", "quick",
                      "--image-size", "32", "--runs-root", str(runs_root), "--max-minutes", "0.0001") == 0
    (folder,) = runs_root.iterdir()
    assert folder.name.endswith("_reproduction_quick")
    assert "continue with: colornn reproduce --resume" in capsys.readouterr().out
    color_dir = reproduction.stage_dir(folder, "color")
    assert len(experiments.read_history(color_dir / records.HISTORY_FILE)) == 1
    assert not (color_dir / records.METRICS_FILE).exists()
    progress = (folder / reproduction.REPORT_FILE).read_text()
    assert re.search(r"in progress: 1 epoch done, \d+ s an epoch; best so far epoch 1: validation loss \d", progress)
    assert (color_dir / records.CURVES_FILE).is_file()

    assert _reproduce("--resume", str(folder)) == 0
    for stage in reproduction.STAGES:
        assert (reproduction.stage_dir(folder, stage) / records.METRICS_FILE).is_file(), stage
    history = experiments.read_history(color_dir / records.HISTORY_FILE)
    assert [row["epoch"] for row in history] == [0, 1]  # Resumed at epoch 1, each epoch recorded once.
    low = records.read_json(reproduction.stage_dir(folder, "consistency_low_frame_rate") / records.CONFIG_FILE)
    assert low["stride"] == 2 and low["image_size"] == 32

    report = (folder / reproduction.REPORT_FILE).read_text()
    assert "| paper | 3.384 | 37.4% | 33.9% | 3.541 | 36.2% | 32.5% |" in report
    ours = records.read_json(color_dir / records.METRICS_FILE)["test"]
    assert f"{ours['u_accuracy']:.1%} | {ours['v_accuracy']:.1%} |" in report
    for heading in ("## Consistency model", "teacher-forced", "free-running", "warp error",
                    "## What differs from the paper", "Image size 32 instead of 224",
                    "## What the numbers support or contradict", "lower frame rate",
                    "*Classification beats regression*", "because regression desaturates", "scored on different frames"):
        assert heading in report, heading
    assert f"not graded: {reproduction_report.QUICK_PROFILE_REASON}" in report
    policy = records.read_json(color_dir / records.ENVIRONMENT_FILE)["dtype_policy"]
    assert f"- Precision: `{policy}` in every stage (`--precision auto`;" in report
    state = records.read_json(folder / reproduction.STATE_FILE)
    assert len(state["sittings"]) == 2

    # A finished reproduction is not redone: resuming again only rewrites the report.
    assert _reproduce("--resume", str(folder)) == 0
    assert experiments.read_history(color_dir / records.HISTORY_FILE) == history


def test_a_video_claim_is_supported_only_if_it_holds_on_every_test_clip():
    def test_section(per_frame, free_running_by_clip):
        clips = {name: {"per_frame": {"v_accuracy": per_frame}, "free_running": {"v_accuracy": value}}
                 for name, value in free_running_by_clip.items()}
        overall = sum(free_running_by_clip.values()) / len(free_running_by_clip)
        return {"overall": {"per_frame": {"v_accuracy": per_frame}, "free_running": {"v_accuracy": overall}},
                "per_clip": clips}

    def higher(modes):
        return modes["free_running"]["v_accuracy"] > modes["per_frame"]["v_accuracy"]

    verdict = reproduction_report._verdict_across_clips
    assert verdict(higher, test_section(0.4, {"a": 0.5, "b": 0.6})) == "supported, on each of the 2 test clips"
    # Carried by one clip: higher overall, lower on the other.
    assert verdict(higher, test_section(0.4, {"a": 0.9, "b": 0.3})) == (
        "not separated: it holds overall but on only 1 of 2 test clips")
    assert verdict(higher, test_section(0.4, {"a": 0.1, "b": 0.5})).startswith("**not supported** (it holds on 1 of 2")
    # Two runs compared clip by clip, on the clips they share.
    low, full = test_section(0.4, {"a": 0.6, "b": 0.7}), test_section(0.4, {"a": 0.5, "b": 0.8, "c": 0.1})
    assert verdict(lambda first, second: first["free_running"]["v_accuracy"] > second["free_running"]["v_accuracy"],
                   low, full) == "not separated: it holds overall but on only 1 of 2 test clips"


def test_bad_arguments_are_one_line_errors(tmp_path, capsys):
    assert _reproduce("--profile", "quick") == cli.EXIT_USER_ERROR
    assert "--data" in capsys.readouterr().err
    assert _reproduce("--data", str(tmp_path / "missing"), "--videos", str(tmp_path)) == cli.EXIT_USER_ERROR
    assert "is not a folder" in capsys.readouterr().err
    assert _reproduce("--resume", str(tmp_path)) == cli.EXIT_USER_ERROR
    assert "not a reproduction folder" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_pause_at_raises_only_before_an_epoch_that_would_overrun():
    pause = training.PauseAt(deadline=0.0)
    pause.on_epoch_begin(0)  # The first epoch of a sitting always runs.
    pause.on_epoch_end(0)
    with pytest.raises(training.TrainingPaused, match="before epoch 2"):
        pause.on_epoch_begin(1)
    patient = training.PauseAt(deadline=float("inf"))
    patient.on_epoch_begin(0)
    patient.on_epoch_end(0)
    patient.on_epoch_begin(1)


def _finished_color_stage(folder, stage, variant, test_loss, dtype_policy):
    """A finished color-model stage as its records read, without training: only what the report reads."""
    run_dir = folder / f"2026-01-01_{stage}"
    run_dir.mkdir()
    scores = {"loss": test_loss, "u_accuracy": 0.34, "v_accuracy": 0.38, "gray_baseline_u_accuracy": 0.29,
              "gray_baseline_v_accuracy": 0.24, "ground_truth_colorfulness": 36.0,
              ("annealed_mean" if variant == "classification" else "regression"):
                  {"auc": 0.82, "psnr": 25.5, "colorfulness": 22.0}}
    experiments.write_json(run_dir / records.CONFIG_FILE, {"kind": "color", "variant": variant, "num_bins": 30})
    experiments.write_json(run_dir / records.ENVIRONMENT_FILE, {"dtype_policy": dtype_policy})
    experiments.write_json(run_dir / records.METRICS_FILE, {
        "kept_epoch": 1, "epochs_run": 2, "stopped_by": "epochs", "image_size": 64, "variant": variant,
        "train": scores, "val": scores, "test": scores})
    return run_dir


def _color_and_regression_reproduction(tmp_path, profile, regression_loss):
    folder = tmp_path / f"reproduction_{profile}"
    folder.mkdir()
    settings = dict(vars(reproduction.PROFILES[profile]))
    experiments.write_json(folder / reproduction.STATE_FILE, {
        "kind": "reproduction", "profile": profile, "data": "stills", "videos": "clips", "precision": "auto",
        "seed": 0, "settings": settings, "started": "2026-01-01T00:00:00", "sittings": []})
    _finished_color_stage(folder, "color", "classification", 3.4, "mixed_bfloat16")
    _finished_color_stage(folder, "regression", "regression", regression_loss, "float32")
    return folder


def test_claims_resting_on_a_diverged_stage_are_not_graded_and_the_precision_of_each_stage_is_named(tmp_path):
    folder = _color_and_regression_reproduction(tmp_path, "paper", regression_loss=1.39)
    report = reproduction.write_report(folder).read_text()
    # The color stage converged: its own claim is graded. The regression variant's loss is worse
    # than gray everywhere scores on any images, so the claims comparing with it are not.
    assert "for predicting gray everywhere: supported." in report
    reason = ("not graded: stage `regression` diverged (its test loss 1.390 is worse than predicting gray "
              "everywhere scores on any images (0.568))")
    assert report.count(reason) == 2, report  # Classification beats regression; regression desaturates.
    assert "| regression | [2026-01-01_regression](2026-01-01_regression/) | finished: kept epoch 1 of 2 (epochs); **diverged**" in report
    assert "- Precision: `mixed_bfloat16` in color; `float32` in regression (`--precision auto`;" in report

    converged = reproduction.write_report(_color_and_regression_reproduction(tmp_path, "quick", 0.006)).read_text()
    # The quick profile is never graded, however its stages ended.
    assert "diverged" not in converged
    graded_lines = [line for line in converged.splitlines() if line.startswith("- *")]
    assert len(graded_lines) == 3
    assert all(f"not graded: {reproduction_report.QUICK_PROFILE_REASON}." in line for line in graded_lines), graded_lines


def test_divergence_is_a_loss_that_is_not_a_number_or_worse_than_a_constant_guess(tmp_path):
    folder = _color_and_regression_reproduction(tmp_path, "paper", regression_loss=float("nan"))
    assert reproduction_report.divergence(folder / "2026-01-01_regression") == "its test loss is nan"
    assert reproduction_report.divergence(folder / "2026-01-01_color") is None  # 3.4 < 2 ln 30 = 6.80
    worse_than_uniform = _finished_color_stage(folder, "color_2", "classification", 6.9, "float32")
    assert reproduction_report.divergence(worse_than_uniform) == (
        "its test loss 6.900 is worse than a uniform guess over 30 bins scores on any images (6.802)")
    # The consistency model is judged by the loss it trains on: free-running may well be worse.
    consistency = folder / "2026-01-01_consistency"
    consistency.mkdir()
    experiments.write_json(consistency / records.CONFIG_FILE, {"kind": "consistency", "num_bins": 30})
    for teacher_forced_loss, expected in ((0.52, None), (7.5, "its test loss 7.500 is worse than a uniform guess")):
        experiments.write_json(consistency / records.METRICS_FILE, {"test": {"overall": {
            "teacher_forced": {"loss": teacher_forced_loss}, "free_running": {"loss": 16.99}}}})
        diverged = reproduction_report.divergence(consistency)
        assert diverged == expected if expected is None else diverged.startswith(expected)
