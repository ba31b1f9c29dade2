import json
import pathlib

import pytest

from colornn_keras.research import experiments


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


def test_data_paths_are_recorded_relative_to_the_data_folder_and_read_back(tmp_path):
    root = tmp_path / "data"
    inside, outside = str(root / "set" / "a.jpg"), str(tmp_path / "elsewhere.jpg")
    recorded = experiments.relative_paths([inside, outside], root)
    assert recorded == [str(pathlib.Path("set") / "a.jpg"), outside]  # Outside the data folder: as it is.
    assert experiments.resolved_paths(recorded, root) == [inside, outside]
    moved = tmp_path / "moved"  # The data copied elsewhere: the record follows it.
    assert experiments.resolved_paths(recorded, moved) == [str(moved / "set" / "a.jpg"), outside]
