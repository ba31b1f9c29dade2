"""Presets: the shipped models by name, several of a kind beside one default, and a weights.json
whose numbers agree with the runs they come from and with the README."""

import json
import pathlib

import numpy as np
import pytest

import colornn_keras
from colornn_keras import backbone
from colornn_keras import cli
from colornn_keras import errors
from colornn_keras import presets
from colornn_keras import pretrained
from colornn_keras.models import checkpoints
from colornn_keras.models import color
from colornn_keras.models import consistency

PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def two_color_presets(tmp_path_factory, vgg16_weights):
    """A weights folder with two tiny (32x32) color presets, "second" the default, and a
    consistency preset standing on "first": (folder, {name: model})."""
    folder = tmp_path_factory.mktemp("presets")
    models = {}
    for seed, name in enumerate(("first", "second")):
        models[name] = color.ColorModel(image_size=32, backbone_weights=vgg16_weights)
        for weight in models[name].get_layer("u_logits").weights:
            weight.assign(np.random.default_rng(seed).normal(size=weight.shape).astype(np.float32))
        checkpoints.save_trained_part(models[name], folder / f"{name}.trained.h5")
    models["video"] = consistency.ConsistencyModel(models["first"], context_filters=8, filters=8)
    checkpoints.save_trained_part(models["video"], folder / "video.trained.h5")
    settings = {"image_size": 32, "num_bins": 30, "variant": "classification"}
    presets.write_manifest(folder, {
        "first": {"kind": "color", "file": "first.trained.h5", **settings},
        "second": {"kind": "color", "default": True, "file": "second.trained.h5", **settings},
        "video": {"kind": "consistency", "color_preset": "first", "file": "video.trained.h5",
                  "context_filters": 8, "filters": 8},
    })
    return folder, models


def _u(model, seed=0):
    luma = np.random.default_rng(seed).random((1, 32, 32, 1)).astype(np.float32)
    return model.predict(luma, verbose=0)["u"]


@pytest.mark.large
def test_several_presets_of_a_kind_load_by_name_and_the_default_by_kind(two_color_presets, monkeypatch, vgg16_weights):
    folder, models = two_color_presets
    monkeypatch.setenv(presets.WEIGHTS_DIR_ENV_VARIABLE, str(folder))
    # Every preset loaded here builds VGG16; the session's copy of its weights saves reading them each time.
    monkeypatch.setattr(backbone, "load_vgg16_weights", lambda: vgg16_weights)
    assert presets.names("color") == ["first", "second"] and presets.default_preset("color") == "second"
    first = colornn_keras.ColorModel.from_preset("first")
    assert isinstance(first, color.ColorModel)
    np.testing.assert_array_equal(_u(first), _u(models["first"]))
    np.testing.assert_array_equal(_u(pretrained.load_pretrained("color")), _u(models["second"]))
    # The consistency preset stands on the color preset it was trained on, not on the default.
    video = consistency.ConsistencyModel.from_preset("video")
    np.testing.assert_array_equal(_u(video.color_model), _u(models["first"]))
    color_model, model = pretrained.load_pretrained("consistency")
    assert isinstance(model, consistency.ConsistencyModel) and color_model is model.color_model


def test_a_fine_tuned_preset_ships_its_backbone_as_a_difference_and_loads_it(tmp_path, monkeypatch, vgg16_weights):
    monkeypatch.setattr(backbone, "load_vgg16_weights", lambda: vgg16_weights)
    model = color.ColorModel(image_size=32, backbone_weights=vgg16_weights, fine_tune_from="block4_conv3")
    kernel = model.get_layer("block4_conv3").kernel
    kernel.assign(kernel.numpy() + np.random.default_rng(0).normal(0, 1e-3, kernel.shape).astype(np.float32))
    checkpoints.save_trained_part(model, tmp_path / "tuned.trained.h5", backbone_as_difference=True)
    presets.write_manifest(tmp_path, {"tuned": {"kind": "color", "default": True, "file": "tuned.trained.h5",
                                                "image_size": 32, "num_bins": 30, "fine_tune_from": "block4_conv3"}})
    loaded = presets.load_preset("tuned", folder=tmp_path)
    assert loaded.fine_tune_from == "block4_conv3"
    shipped = loaded.get_layer("block4_conv3").kernel.numpy()
    assert 0 < np.abs(shipped - kernel.numpy()).max() < 3e-5  # Half an int8 step of the change (<6e-3 / 127).
    assert presets._parameter_counts("tuned", presets.preset_entry("tuned", tmp_path), tmp_path)[1] > 2_900_000


def test_a_wrong_kind_an_unknown_name_and_two_defaults_are_refused(two_color_presets, tmp_path):
    folder, _ = two_color_presets
    with pytest.raises(ValueError, match=r"consistency preset; load it with ConsistencyModel.from_preset\('video'\)"):
        presets.load_preset("video", kind="color", folder=folder)
    with pytest.raises(ValueError, match="No preset named 'third'; the presets are first, second, video"):
        presets.load_preset("third", folder=folder)
    manifest = json.loads((folder / presets.MANIFEST).read_text())
    manifest["presets"]["first"]["default"] = True
    (tmp_path / presets.MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="several color presets as the default: first, second"):
        presets.read_manifest(tmp_path)


def test_a_weights_folder_from_before_presets_had_names_is_refused_saying_how_to_rewrite_it(tmp_path):
    (tmp_path / presets.MANIFEST).write_text(json.dumps({
        "color": {"file": "c.h5", "image_size": 32, "num_bins": 30, "sha256": "0"},
        "consistency": {"file": "s.h5", "context_filters": 32, "filters": 64, "sha256": "1"}}))
    with pytest.raises(errors.WeightsError, match=r"lists models by kind.*rewrite it as \{\"presets\".*color_preset"):
        presets.default_preset("consistency", tmp_path)


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
    assert tiny["sha256"] == checkpoints.sha256_of(folder / "tiny.trained.h5")
    assert video["sha256"] == checkpoints.sha256_of(folder / "video.trained.h5")
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
        assert checkpoints.sha256_of(presets.weights_dir() / entry["file"]) == entry["sha256"], name
        run_dir = PROJECT_ROOT / entry["run"]
        assert (run_dir / "metrics.json").is_file(), f"{name}: its run {run_dir} is not in the project"
        # A file shipped in another form than its run saved is scored itself ("scores").
        numbers = presets.run_numbers(run_dir, entry["kind"], entry.get("scores") and PROJECT_ROOT / entry["scores"])
        assert {key: entry[key] for key in numbers} == numbers, name


@pytest.mark.large
def test_the_shipped_parameter_counts_are_the_models_own():
    for name, entry in presets.read_manifest().items():
        counts = presets._parameter_counts(name, entry, presets.weights_dir())
        assert counts == (entry["parameters"], entry["trained_parameters"]), name


def test_the_readme_lists_the_presets_as_colornn_presets_does(capsys):
    assert cli.main(["presets", "--markdown"]) == 0
    table = capsys.readouterr().out
    assert table == presets.markdown_table()
    assert "| `colornn_all_sets_block4_128` | color (default) | 128×128 |" in table
    assert "| `colornn_water_block4_128` | color |" in table and "| `colornn_water_128` | color |" in table
    assert table in (PROJECT_ROOT / "README.md").read_text()
    assert cli.main(["presets"]) == 0
    listing = capsys.readouterr().out
    assert "colornn_water_block4_consistency_128  [consistency (default)]" in listing and "free-running" in listing
    assert "colornn_water_consistency_128  [consistency]" in listing


def test_the_default_consistency_model_stands_on_a_shipped_color_model_it_was_trained_on():
    # `--consistency` without `--weights` must not mix a video model with a color model it was not
    # trained on: it brings its own (the default color model moved on to all 29 sets since).
    default_video = presets.preset_entry(presets.default_preset("consistency"))
    assert default_video["color_preset"] in presets.names("color")
    run_config = json.loads((PROJECT_ROOT / default_video["run"] / "config.json").read_text())
    color_run = presets.preset_entry(default_video["color_preset"])["run"]
    assert (PROJECT_ROOT / run_config["color_run"]).resolve() == (PROJECT_ROOT / color_run).resolve()
    paper_video = presets.preset_entry("colornn_water_consistency_128")
    assert paper_video["color_preset"] == pretrained.PRESET_ALIASES["paper"]
