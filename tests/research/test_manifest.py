"""`colornn presets --refresh`: weights.json regenerated from the weights files and the runs, and
the shipped weights.json checked against the runs it comes from."""

import json
import pathlib

import numpy as np
import pytest

from colornn_keras import cli
from colornn_keras import presets
from colornn_keras.models import checkpoints
from colornn_keras.models import color
from colornn_keras.models import consistency
from colornn_keras.research import manifest

PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[2]


def _size(model):
    return sum(int(np.prod(weight.shape)) for weight in model.trainable_weights)


def _write_run(root, name, kept_epoch, counts, test):
    run_dir = root / "experiments" / name
    run_dir.mkdir(parents=True)
    (run_dir / "metrics.json").write_text(json.dumps({"kept_epoch": kept_epoch, "test": test}))
    splits = {part: {"count": count} for part, count in counts.items()}
    (run_dir / "data.json").write_text(json.dumps({"splits": splits}))
    return f"experiments/{name}"


@pytest.mark.large
def test_presets_refresh_rewrites_what_is_read_off_the_files_and_runs_and_keeps_what_a_person_wrote(
        tmp_path, monkeypatch, capsys):
    folder, root = tmp_path / "weights", tmp_path / "project"
    folder.mkdir()
    color_model = color.ColorModel(image_size=32, num_bins=12, backbone_weights=None)
    color_trained = _size(color_model)  # Before the video model freezes it.
    video_model = consistency.ConsistencyModel(color_model, context_filters=8, filters=8)
    checkpoints.save_trained_part(color_model, folder / "tiny.trained.h5")
    checkpoints.save_trained_part(video_model, folder / "video.trained.h5")
    test = {"images": 4, "loss": 1.25, "u_accuracy": 0.5, "v_accuracy": 0.625, "gray_baseline_u_accuracy": 0.25,
            "gray_baseline_v_accuracy": 0.125, "per_image": [1.0, 2.0]}
    run = _write_run(root, "tiny_run", kept_epoch=3, counts={"train": 10, "val": 2, "test": 4}, test=test)
    # Every checksum stale, as after a color model is retrained: counting the video preset's
    # parameters must not load its color preset against the old checksum.
    stale = {"sha256": "0" * 64, "parameters": 1, "trained_parameters": 1, "kept_epoch": 9, "split": {"train": 1}}
    # The video preset's run is not in this project: its numbers are kept as they are.
    video_numbers = {"kept_epoch": 7, "test": {"clips": 2, "teacher_forced": {"u_accuracy": 0.5, "v_accuracy": 0.5},
                                               "gray_baseline": {"u_accuracy": 0.25, "v_accuracy": 0.25}}}
    (folder / presets.MANIFEST).write_text(json.dumps({"presets": {
        "tiny": {"kind": "color", "default": True, "description": "a person's words", "file": "tiny.trained.h5",
                 "image_size": 32, "num_bins": 12, "run": run, **stale, "test": {"loss": 9.0}},
        "video": {"kind": "consistency", "default": True, "color_preset": "tiny", "file": "video.trained.h5",
                  "context_filters": 8, "filters": 8, "run": "experiments/elsewhere", **stale, **video_numbers},
    }}))
    monkeypatch.setenv(presets.WEIGHTS_DIR_ENV_VARIABLE, str(folder))

    assert cli.main(["presets", "--refresh", "--project-root", str(root)]) == 0

    refreshed = json.loads((folder / presets.MANIFEST).read_text())["presets"]
    tiny, video = refreshed["tiny"], refreshed["video"]
    assert tiny["description"] == "a person's words" and tiny["run"] == run and tiny["default"] is True
    assert tiny["sha256"] == presets.sha256_of(folder / "tiny.trained.h5")
    assert video["sha256"] == presets.sha256_of(folder / "video.trained.h5")
    assert (tiny["kept_epoch"], tiny["split"]) == (3, {"train": 10, "val": 2, "test": 4})
    assert tiny["test"] == {key: value for key, value in test.items() if key != "per_image"}
    assert {key: video[key] for key in video_numbers} == video_numbers
    assert (tiny["parameters"], tiny["trained_parameters"]) == (color_model.count_params(), color_trained)
    assert (video["parameters"], video["trained_parameters"]) == (video_model.count_params(), _size(video_model))
    # What it prints is the refreshed listing.
    assert "test: loss 1.250; U 50.0%, V 62.5%" in capsys.readouterr().out


def test_the_shipped_numbers_are_the_runs_own():
    # weights.json copies the kept epoch, the split and the test numbers from each run's records
    # (`colornn presets --refresh`); were a run re-evaluated or a file swapped, this fails.
    shipped = presets.read_manifest()
    for name, entry in shipped.items():
        assert presets.sha256_of(presets.weights_dir() / entry["file"]) == entry["sha256"], name
        run_dir = PROJECT_ROOT / entry["run"]
        assert (run_dir / "metrics.json").is_file(), f"{name}: its run {run_dir} is not in the project"
        # A file shipped in another form than its run saved is scored itself ("scores").
        numbers = manifest.run_numbers(run_dir, entry["kind"], entry.get("scores") and PROJECT_ROOT / entry["scores"])
        assert {key: entry[key] for key in numbers} == numbers, name


@pytest.mark.large
def test_the_shipped_parameter_counts_are_the_models_own():
    for name, entry in presets.read_manifest().items():
        counts = manifest.parameter_counts(name, entry, presets.weights_dir())
        assert counts == (entry["parameters"], entry["trained_parameters"]), name
