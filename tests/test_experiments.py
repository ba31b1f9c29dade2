import json

import pytest

from colornn_keras import experiments


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


def test_environment_record_names_versions_precision_and_git_state():
    record = experiments.environment_record("mixed_bfloat16")
    assert record["dtype_policy"] == "mixed_bfloat16"
    assert record["packages"]["keras"].startswith("3.")
    assert {"git_commit", "git_dirty", "processor", "cpu_count"} <= set(record)


def test_curves_are_plotted(tmp_path):
    rows = [{"epoch": e, "loss": 3 - e, "val_loss": 3.1 - e, "u_accuracy": 0.1 * e, "val_u_accuracy": 0.1} for e in range(3)]
    experiments.plot_curves(rows, tmp_path / "curves.png", best_epoch=1)
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
    table = experiments.runs_table(runs).splitlines()
    assert table[2].startswith("| paper") and "3.541" in table[2] and "36.2%" in table[2]
    assert "| [a](a/) | classification | 128 | 7 / 12 | 3.200 | 40.0% | 35.0% | 27.0% / 26.0% | 0.910" in table[3]
    assert "regression" in table[4]
    with pytest.raises(ValueError, match="not a finished run"):
        experiments.runs_table([tmp_path])


def _scores(u_accuracy):
    return {"images": 5, "loss": 3.0, "u_accuracy": u_accuracy, "v_accuracy": 0.4, "gray_baseline_u_accuracy": 0.28,
            "gray_baseline_v_accuracy": 0.24, "ground_truth_colorfulness": 36.1,
            "annealed_mean": {"auc": 0.82, "psnr": 25.6, "colorfulness": 22.4},
            "annealed_mean@0.2": {"auc": 0.83, "psnr": 25.1, "colorfulness": 30.5}}


def test_the_held_out_table_shows_both_test_splits_at_the_temperature_chosen_on_validation(tmp_path):
    evaluation = tmp_path / "old_model.json"
    experiments.write_json(evaluation, {"test": _scores(0.34), "test_wide": _scores(0.31)})
    chosen = {"test": _scores(0.38), "test_wide": _scores(0.36), "decoding": {"method": "annealed_mean@0.2"}}
    table = experiments.held_out_table([("new", chosen)])
    assert "| new | water test (5) | 38.0% (28.0%) | 40.0% (24.0%) | 0.830 | 25.10 | 30.5 (36.1) | annealed mean, T = 0.2 |" in table
    assert "| new | wide test (5) | 36.0% (28.0%)" in table
    # An evaluation JSON given to `colornn table` is a row too, decoded at the default T = 0.38.
    assert "| old_model | wide test (5) | 31.0% (28.0%) | 40.0% (24.0%) | 0.820 | 25.60 | 22.4 (36.1) | annealed mean, T = 0.38 |" \
        in experiments.runs_table([evaluation])
