"""Markdown tables of runs (`tables`): color, held-out and flow-guided rows, and run records they refuse."""

import json

import pytest

from colornn_keras import errors
from colornn_keras.research import experiments
from colornn_keras.research import tables
from colornn_keras.runs import records


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
