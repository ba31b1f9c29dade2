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
