import importlib.util
import json
import pathlib
import subprocess

import pytest

from colornn_keras import errors
from colornn_keras.research import experiments
from colornn_keras.research import plots
from colornn_keras.research import provenance
from colornn_keras.research import tables
from colornn_keras.runs import records


def test_run_folders_are_dated_and_never_reused(tmp_path):
    first = experiments.create_run_dir(tmp_path, "trial", date="2026-01-02")
    (first / "marker").write_text("keep")
    second = experiments.create_run_dir(tmp_path, "trial", date="2026-01-02")
    assert first.name == "2026-01-02_trial" and second.name == "2026-01-02_trial_2"
    assert (first / "marker").read_text() == "keep"


@pytest.mark.parametrize("name", ["", "../escape", ".hidden", "a/b"])
def test_run_names_must_be_plain(tmp_path, name):
    with pytest.raises(ValueError, match="plain folder name"):
        experiments.create_run_dir(tmp_path, name)


def test_json_and_history_round_trip_atomically(tmp_path):
    experiments.write_json(tmp_path / "config.json", {"a": 1, "path": tmp_path})
    assert json.loads((tmp_path / "config.json").read_text())["a"] == 1
    rows = [{"epoch": 1, "loss": 2.5}, {"epoch": 0, "loss": 3.0, "val_loss": 3.2}]
    experiments.write_history(tmp_path / "history.csv", rows)
    assert experiments.read_history(tmp_path / "history.csv") == [
        {"epoch": 0, "loss": 3.0, "val_loss": 3.2}, {"epoch": 1, "loss": 2.5},
    ]
    assert sorted(path.name for path in tmp_path.iterdir()) == ["config.json", "history.csv"]


def test_environment_record_names_versions_precision_vgg16_and_git_state():
    from colornn_keras import backbone
    from colornn_keras import presets

    record = provenance.environment_record("mixed_bfloat16")
    assert record["dtype_policy"] == "mixed_bfloat16"
    assert record["packages"]["keras"].startswith("3.") and record["packages"]["onnx"]
    assert record["packages"]["opencv-python-headless"] or record["packages"]["opencv-python"]
    assert {"git_commit", "git_dirty", "git_diff_sha256", "processor", "cpu_count"} <= set(record)
    vgg16 = record["vgg16_weights"]
    assert vgg16["file"] == str(backbone.cache_dir() / backbone.CACHE_FILE_NAME)
    assert vgg16["sha256"] == presets.sha256_of(vgg16["file"])
    assert provenance.precision_used("mixed_bfloat16") == "bfloat16" and provenance.precision_used("float32") == "float32"


def _git(folder, *arguments):
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *arguments],
                   cwd=folder, check=True, capture_output=True)


def test_the_git_state_covers_the_code_only_and_hashes_its_difference(tmp_path):
    # A copy of provenance.py in a throw-away repository with the project's layout, so that its
    # `code_record` looks at that repository.
    module = "colornn_keras/research/provenance.py"
    for path in (module, "setup.py", "experiments/run/metrics.json", "notebooks/a.ipynb"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("1\n")
    (tmp_path / module).write_text(pathlib.Path(provenance.__file__).read_text())
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "start")
    spec = importlib.util.spec_from_file_location("copied_provenance", tmp_path / module)
    copied = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copied)

    clean = copied.code_record()
    assert clean["git_dirty"] is False and clean["git_diff_sha256"] is None and len(clean["git_commit"]) == 40
    (tmp_path / "experiments/run/metrics.json").write_text("2\n")  # A run's record and a notebook: not code.
    (tmp_path / "notebooks/a.ipynb").write_text("2\n")
    (tmp_path / "experiments/new_run").mkdir()
    (tmp_path / "experiments/new_run/config.json").write_text("{}")
    assert copied.code_record() == clean
    (tmp_path / "setup.py").write_text("2\n")
    first = copied.code_record()
    assert first["git_dirty"] is True and first["git_dirty_paths"] == ["setup.py"] and first["git_diff_sha256"]
    (tmp_path / "setup.py").write_text("3\n")
    second = copied.code_record()
    assert second["git_diff_sha256"] != first["git_diff_sha256"]
    (tmp_path / "colornn_keras/new_module.py").write_text("x = 1\n")  # Untracked code counts too.
    third = copied.code_record()
    assert third["git_dirty_paths"] == ["colornn_keras/new_module.py", "setup.py"]
    assert third["git_diff_sha256"] != second["git_diff_sha256"]


def test_a_run_resumed_with_other_code_is_flagged_with_both(tmp_path):
    started = {"git_commit": "a" * 40, "git_diff_sha256": None}
    experiments.write_json(tmp_path / "environment.json", {**started, "resumed": [{**started, "at": "then"}]})
    assert provenance.code_changes(tmp_path) == {}
    later = {"git_commit": "b" * 40, "git_diff_sha256": None}
    experiments.write_json(tmp_path / "environment.json", {**started, "resumed": [started, {**later, "at": "now"}]})
    assert provenance.code_changes(tmp_path) == {
        "code_changed_between_sittings": {"started": started, "resumed": [started, later]}}
    assert provenance.code_changes(tmp_path / "no_such_run") == {}


def test_data_paths_are_recorded_relative_to_the_data_folder_and_read_back(tmp_path):
    root = tmp_path / "data"
    inside, outside = str(root / "set" / "a.jpg"), str(tmp_path / "elsewhere.jpg")
    recorded = experiments.relative_paths([inside, outside], root)
    assert recorded == [str(pathlib.Path("set") / "a.jpg"), outside]  # Outside the data folder: as it is.
    assert experiments.resolved_paths(recorded, root) == [inside, outside]
    moved = tmp_path / "moved"  # The data copied elsewhere: the record follows it.
    assert experiments.resolved_paths(recorded, moved) == [str(moved / "set" / "a.jpg"), outside]


def test_curves_are_plotted(tmp_path):
    rows = [{"epoch": e, "loss": 3 - e, "val_loss": 3.1 - e, "u_accuracy": 0.1 * e, "val_u_accuracy": 0.1} for e in range(3)]
    plots.plot_curves(rows, tmp_path / "curves.png", best_epoch=1)
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"


def _fake_color_run(root, name, variant="classification"):
    run_dir = root / name
    run_dir.mkdir()
    decoded = {"auc": 0.91, "psnr": 24.5, "colorfulness": 20.0}
    part = {"loss": 3.2, "u_accuracy": 0.4, "v_accuracy": 0.35, "gray_baseline_u_accuracy": 0.27,
            "gray_baseline_v_accuracy": 0.26, "ground_truth_colorfulness": 30.0,
            ("annealed_mean" if variant == "classification" else "regression"): decoded}
    experiments.write_json(run_dir / "config.json", {"kind": "color"})
    experiments.write_json(run_dir / "metrics.json", {"variant": variant, "image_size": 128, "kept_epoch": 7,
                                                      "epochs_run": 12, "test": part})
    return run_dir


def test_runs_table_puts_the_paper_first_and_each_run_after(tmp_path):
    runs = [_fake_color_run(tmp_path, "a"), _fake_color_run(tmp_path, "b", "regression")]
    table = tables.runs_table(runs).splitlines()
    assert table[2].startswith("| paper") and "3.541" in table[2] and "36.2%" in table[2]
    assert "| [a](a/) | classification | 128 | 7 / 12 | 3.200 | 40.0% | 35.0% | 27.0% / 26.0% | 0.910" in table[3]
    assert "regression" in table[4]
    with pytest.raises(ValueError, match="not a finished run"):
        tables.runs_table([tmp_path])


def _scores(u_accuracy):
    return {"images": 5, "loss": 3.0, "u_accuracy": u_accuracy, "v_accuracy": 0.4, "gray_baseline_u_accuracy": 0.28,
            "gray_baseline_v_accuracy": 0.24, "ground_truth_colorfulness": 36.1,
            "annealed_mean": {"auc": 0.82, "psnr": 25.6, "colorfulness": 22.4},
            "annealed_mean@0.2": {"auc": 0.83, "psnr": 25.1, "colorfulness": 30.5}}


def test_the_held_out_table_shows_both_test_splits_at_the_temperature_chosen_on_validation(tmp_path):
    evaluation = tmp_path / "old_model.json"
    experiments.write_json(evaluation, {"test": _scores(0.34), "test_wide": _scores(0.31)})
    chosen = {"test": _scores(0.38), "test_wide": _scores(0.36), "decoding": {"method": "annealed_mean@0.2"}}
    table = tables.held_out_table([("new", chosen)])
    assert "| new | water test (5) | 38.0% (28.0%) | 40.0% (24.0%) | 0.830 | 25.10 | 30.5 (36.1) | annealed mean, T = 0.2 |" in table
    assert "| new | wide test (5) | 36.0% (28.0%)" in table
    # An evaluation JSON given to `colornn table` is a row too, decoded at the default T = 0.38.
    assert "| old_model | wide test (5) | 31.0% (28.0%) | 40.0% (24.0%) | 0.820 | 25.60 | 22.4 (36.1) | annealed mean, T = 0.38 |" \
        in tables.runs_table([evaluation])


def test_a_run_record_lacking_a_measure_or_of_an_unknown_kind_is_named_in_one_line(tmp_path):
    run = _fake_color_run(tmp_path, "old")
    metrics = json.loads((run / "metrics.json").read_text())
    del metrics["test"]["gray_baseline_u_accuracy"]
    experiments.write_json(run / "metrics.json", metrics)
    with pytest.raises(errors.RunRecordError, match="lacks 'gray_baseline_u_accuracy'"):
        tables.runs_table([run])
    other = _fake_color_run(tmp_path, "other")
    experiments.write_json(other / "config.json", {"kind": "mystery"})
    with pytest.raises(errors.RunRecordError, match="kind 'mystery'"):
        tables.runs_table([other])


def test_a_flow_guided_run_is_tabled_with_the_video_runs(tmp_path):
    run = tmp_path / "guided"
    run.mkdir()
    row = {"loss": None, "u_accuracy": 0.7, "v_accuracy": 0.8, "auc": 0.95, "warp_error": 0.0008, "cdc": 0.001}
    experiments.write_json(run / "config.json", {"kind": "flow_guided"})
    experiments.write_json(run / "metrics.json", {"test": {"overall": {
        "guided_keyframe": row, "ground_truth": {"warp_error": 0.0008, "cdc": 0.001},
        "gray_baseline": {"u_accuracy": 0.5, "v_accuracy": 0.3}}}})
    assert "| [guided](guided/) | guided-keyframe | — | 70.0% | 80.0% | 0.950 |" in tables.runs_table([run])
    assert "gray video" not in tables.runs_table([run])  # Not recorded before 2026-12-01.
    metrics = records.read_json(run / "metrics.json")
    metrics["test"]["overall"]["gray_baseline"].update(warp_error=0.0007, cdc=0.0009)
    experiments.write_json(run / "metrics.json", metrics)
    assert "| gray video (the luma alone) | | | | | 0.00070 | 0.0009 |" in tables.runs_table([run])
