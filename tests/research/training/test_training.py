import json
import pathlib
import shutil

import h5py
import keras
import numpy as np
import pytest

from colornn_keras import errors
from colornn_keras.models import checkpoints
from colornn_keras.research import experiments
from colornn_keras.research import tables
from colornn_keras.research import training
from colornn_keras.runs import loading
from colornn_keras.runs import records

RECORD_FILES = {"config.json", "environment.json", "data.json", "history.csv", "metrics.json", "curves.png",
                records.COLOR_TRAINED_PART_FILE}


def _config(image_folder, tmp_path, **overrides):
    settings = dict(
        data=str(image_folder), name="tiny", image_size=32, batch_size=4, epochs=2, split=(6, 3, 3),
        runs_root=str(tmp_path / "experiments"), num_samples=2, precision="float32",
    )
    return training.ColorTrainingConfig(**{**settings, **overrides})


@pytest.mark.large
def test_a_two_epoch_run_writes_a_complete_record(image_folder, tmp_path, recwarn):
    run_dir = training.train_color_model(_config(image_folder, tmp_path), verbose=0)
    # The pipeline's length is unknown only because undecodable files are filtered out; Keras'
    # "ran out of data" warning at the end of the first epoch would be a false alarm.
    assert not [warning for warning in recwarn if "ran out of data" in str(warning.message)]
    assert RECORD_FILES <= {path.name for path in run_dir.iterdir()}
    assert len(list((run_dir / "samples").glob("*.png"))) == 2
    history = experiments.read_history(run_dir / "history.csv")
    assert [row["epoch"] for row in history] == [0, 1]
    assert {"loss", "val_loss", "u_accuracy", "v_accuracy", "val_u_accuracy", "seconds"} <= set(history[0])
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["kept_epoch"] in (1, 2) and metrics["epochs_run"] == 2
    for part in ("train", "val", "test"):
        assert {"loss", "u_accuracy", "v_accuracy", "gray_baseline_u_accuracy", "annealed_mean"} <= set(metrics[part])
    # The kept epoch's validation loss is the one the model was evaluated with.
    kept = history[metrics["kept_epoch"] - 1]
    assert metrics["val"]["loss"] == pytest.approx(kept["val_loss"], rel=1e-3)
    data = json.loads((run_dir / "data.json").read_text())
    assert len(data["grayscale_excluded"]) == 2 and data["splits"]["train"]["count"] == 6
    config = json.loads((run_dir / "config.json").read_text())
    assert config["image_size"] == 32 and config["kind"] == "color"
    # The resume state lived in the cache folder the environment records, outside the run folder,
    # and is gone with the kept weights now that the run's trained part holds them.
    environment = json.loads((run_dir / "environment.json").read_text())
    assert run_dir.resolve() not in pathlib.Path(environment["checkpoint_dir"]).parents
    assert not pathlib.Path(environment["checkpoint_dir"]).exists() and not (run_dir / "checkpoints").exists()
    assert not (run_dir / training.KEPT_WEIGHTS_FILE).exists()
    # Each epoch records its pace and whether other processes shared the cores.
    assert history[0]["photos_per_second"] > 0 and history[0]["other_processes_cores"] >= 0
    assert len(metrics["machine"]["photos_per_second_per_epoch"]) == 2
    assert isinstance(metrics["machine"]["cores_shared"], bool)
    assert environment["precision_reason"] == "--precision float32 asked for"


@pytest.mark.large
def test_a_second_run_never_overwrites_the_first(image_folder, tmp_path):
    config = _config(image_folder, tmp_path, epochs=1, num_samples=0)
    first = training.train_color_model(config, verbose=0)
    first_metrics = (first / "metrics.json").read_text()
    second = training.train_color_model(config, verbose=0)
    assert first != second and second.name.endswith("_2")
    assert (first / "metrics.json").read_text() == first_metrics


class _Interrupt(keras.callbacks.Callback):
    """Raises in the middle of an epoch, as a kill would stop the process there."""

    def __init__(self, epoch, batch):
        super().__init__()
        self.at = (epoch, batch)

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch = epoch

    def on_train_batch_end(self, batch, logs=None):
        if (self.epoch, batch) == self.at:
            raise KeyboardInterrupt("simulated kill")


@pytest.mark.large
def test_a_run_interrupted_mid_epoch_resumes_and_records_each_epoch_once(image_folder, tmp_path):
    config = _config(image_folder, tmp_path, epochs=3, num_samples=0)
    with pytest.raises(KeyboardInterrupt):
        training.train_color_model(config, verbose=0, callbacks=[_Interrupt(epoch=1, batch=0)])
    (run_dir,) = (tmp_path / "experiments").iterdir()
    assert [row["epoch"] for row in experiments.read_history(run_dir / "history.csv")] == [0]
    assert not (run_dir / "metrics.json").exists()
    training.resume_run(run_dir, verbose=0)
    history = experiments.read_history(run_dir / "history.csv")
    assert [row["epoch"] for row in history] == [0, 1, 2]
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["epochs_run"] == 3
    # The kept epoch is the best of all three, those before the restart included.
    assert metrics["kept_epoch"] == 1 + min(range(3), key=lambda epoch: history[epoch]["val_loss"])
    with pytest.raises(ValueError, match="has finished"):
        training.resume_run(run_dir, verbose=0)


@pytest.mark.large
def test_a_run_whose_backup_is_gone_goes_on_from_its_kept_weights_at_the_schedules_position(image_folder, tmp_path):
    config = _config(image_folder, tmp_path, epochs=4, steps_per_epoch=2, schedule="cosine", warmup_epochs=0,
                     num_samples=0, learning_rate=1e-3)
    with pytest.raises(KeyboardInterrupt):
        training.train_color_model(config, verbose=0, callbacks=[_Interrupt(epoch=2, batch=0)])
    (run_dir,) = (tmp_path / "experiments").iterdir()
    before = experiments.read_history(run_dir / "history.csv")
    kept_epoch = min(before, key=lambda row: row["val_loss"])["epoch"]
    kept = run_dir / training.KEPT_WEIGHTS_FILE
    assert kept.is_file()
    shutil.rmtree(experiments.checkpoint_dir(run_dir))  # The cache was cleared.
    training.resume_run(run_dir, verbose=0)
    (resumed,) = json.loads((run_dir / "environment.json").read_text())["resumed"]
    assert resumed["from"] == "kept weights" and resumed["from_epoch"] == kept_epoch + 1
    history = experiments.read_history(run_dir / "history.csv")
    assert [row["epoch"] for row in history] == list(range(4))
    # The epochs up to the kept one are the first sitting's; the cosine schedule went on where it was.
    assert history[:kept_epoch + 1] == before[:kept_epoch + 1]
    for row in history:  # Cosine from 1e-3 to 0 over 4 epochs of 2 steps, logged at each epoch's end.
        step = 2 * (row["epoch"] + 1)
        assert row["learning_rate"] == pytest.approx(1e-3 * 0.5 * (1 + np.cos(np.pi * step / 8)), abs=1e-7)
    assert json.loads((run_dir / "metrics.json").read_text())["epochs_run"] == 4


@pytest.mark.large
def test_evaluate_reproduces_the_recorded_metrics(image_folder, tmp_path):
    run_dir = training.train_color_model(_config(image_folder, tmp_path, epochs=1, num_samples=0), verbose=0)
    recorded = json.loads((run_dir / "metrics.json").read_text())
    assert json.loads((run_dir / "config.json").read_text())["precision_used"] == "float32"
    # The split is recorded relative to the data folder; a record with absolute paths (as runs
    # before it were) reads back as the same split.
    data = json.loads((run_dir / "data.json").read_text())
    files = [path for part in data["splits"].values() for path in part["files"]] + data["grayscale_excluded"]
    assert files and not any(pathlib.Path(path).is_absolute() for path in files)
    _, split, _ = training.read_color_run(run_dir)
    assert all(pathlib.Path(path).is_file() for part in split.values() for path in part)
    for part in data["splits"].values():
        part["files"] = [str(image_folder / path) for path in part["files"]]
    experiments.write_json(run_dir / "data.json", data)
    assert training.read_color_run(run_dir)[1] == split
    recomputed = training.evaluate_run(run_dir)
    for part in ("train", "val", "test"):
        for key in ("loss", "u_accuracy", "v_accuracy"):
            assert recomputed[part][key] == pytest.approx(recorded[part][key], rel=1e-5)
        assert recomputed[part]["annealed_mean"]["auc"] == pytest.approx(recorded[part]["annealed_mean"]["auc"], rel=1e-5)
    other_folder = shutil.copytree(image_folder, tmp_path / "other_photos")
    on_folder = training.evaluate_run(run_dir, data=str(other_folder))
    assert on_folder["all"]["images"] == 12  # Every colour image there, black-and-white ones left out.
    # Another file of the same model (as one shipped from the run) is scored instead of the run's own.
    model, _ = loading.load_color_run(run_dir)
    bias = model.get_layer("u_logits").bias
    bias.assign(bias.numpy() + np.linspace(-3, 3, bias.shape[0], dtype=np.float32))
    other_weights = checkpoints.save_trained_part(model, tmp_path / "other.trained.h5")
    rescored = training.evaluate_run(run_dir, weights=other_weights)
    assert rescored["test"]["loss"] != pytest.approx(recorded["test"]["loss"], rel=1e-3)
    assert rescored["test"]["v_accuracy"] == pytest.approx(recorded["test"]["v_accuracy"], rel=1e-5)
    with pytest.raises(errors.WeightsError, match="does not exist"):
        training.evaluate_run(run_dir, weights=tmp_path / "missing.trained.h5")


@pytest.mark.large
def test_regression_variant_trains_and_records_bin_accuracy(image_folder, tmp_path):
    run_dir = training.train_color_model(
        _config(image_folder, tmp_path, variant="regression", epochs=1, num_samples=0), verbose=0
    )
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["variant"] == "regression"
    assert 0.0 <= metrics["test"]["u_accuracy"] <= 1.0 and "regression" in metrics["test"]


@pytest.mark.parametrize(
    "overrides, message",
    [({"variant": "gan"}, "variant"), ({"epochs": 0}, "epochs"), ({"learning_rate": -1.0}, "learning_rate"),
     ({"precision": "fp8"}, "precision")],
)
def test_bad_settings_are_refused_before_anything_is_written(image_folder, tmp_path, overrides, message):
    with pytest.raises(ValueError, match=message):
        _config(image_folder, tmp_path, **overrides)
    assert not (tmp_path / "experiments").exists()


@pytest.mark.large
def test_consistency_run_records_the_three_mode_table_and_resumes(image_folder, clip_folder, tmp_path):
    color_run = training.train_color_model(_config(image_folder, tmp_path, epochs=1, num_samples=0), verbose=0)
    # The color run's model from a file kept elsewhere (as one shipped from it is).
    shipped_color_file = shutil.move(color_run / records.COLOR_TRAINED_PART_FILE, tmp_path / "shipped_color.trained.h5")
    config = training.ConsistencyTrainingConfig(
        videos=str(clip_folder), color_run=str(color_run), name="tiny_video", epochs=2, batch_size=4,
        split=(3, 1, 1), runs_root=str(tmp_path / "experiments"), scheduled_sampling=0.5,
        color_weights=str(shipped_color_file),
    )
    with pytest.raises(KeyboardInterrupt):
        training.train_consistency_model(config, verbose=0, callbacks=[_Interrupt(epoch=1, batch=0)])
    (run_dir,) = [path for path in (tmp_path / "experiments").iterdir() if path.name.endswith("tiny_video")]
    training.resume_run(run_dir, verbose=0)
    history = experiments.read_history(run_dir / "history.csv")
    assert [row["epoch"] for row in history] == [0, 1]
    assert all(row["frames_per_second"] > 0 and row["other_processes_cores"] >= 0 for row in history)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert len(metrics["machine"]["frames_per_second_per_epoch"]) == 2
    assert isinstance(metrics["machine"]["cores_shared"], bool)
    overall = metrics["test"]["overall"]
    assert set(overall) == {"per_frame", "teacher_forced", "free_running", "ground_truth", "gray_baseline"}
    for mode in ("per_frame", "teacher_forced", "free_running"):
        assert {"loss", "u_accuracy", "v_accuracy", "auc", "warp_error", "cdc"} <= set(overall[mode])
    assert (run_dir / records.CONSISTENCY_TRAINED_PART_FILE).is_file()
    assert not (run_dir / "checkpoints" / "color_features").exists()  # The features cache is gone with the run.
    assert (run_dir / "samples" / "figure5_test_clip0.png").is_file()
    assert json.loads((run_dir / "config.json").read_text())["precision_used"] in ("float32", "bfloat16")
    data = json.loads((run_dir / "data.json").read_text())
    clips_used = [set(data["splits"][part]["clips"]) for part in ("train", "val", "test")]
    assert not any(pathlib.Path(clip).is_absolute() for clips in clips_used for clip in clips)  # Relative to the videos.
    assert not (clips_used[0] & clips_used[1] or clips_used[0] & clips_used[2] or clips_used[1] & clips_used[2])
    # Read back on the file it trained on, which its config records (the color run has none).
    recomputed = training.evaluate_consistency_run(str(run_dir))  # A path as the command line gives it.
    for mode in ("per_frame", "free_running"):
        assert recomputed["test"]["overall"][mode]["loss"] == pytest.approx(overall[mode]["loss"], rel=1e-5)
    # Another file of the color run's model (as shipped, say) is scored in its place.
    other_color_file = tmp_path / "other_color_model.trained.h5"
    shutil.copy(shipped_color_file, other_color_file)
    with h5py.File(other_color_file, "r+") as weights:
        datasets = []
        weights.visititems(lambda name, item: datasets.append(item) if isinstance(item, h5py.Dataset) else None)
        last_kernel = [dataset for dataset in datasets if dataset.ndim == 4][-1]
        last_kernel[...] = 2.0 * last_kernel[...]
    rescored = training.evaluate_consistency_run(run_dir, parts=("test",), color_weights=other_color_file)
    assert list(rescored) == ["test"]
    assert rescored["test"]["overall"]["per_frame"]["loss"] != pytest.approx(overall["per_frame"]["loss"], rel=1e-5)
    with pytest.raises(errors.WeightsError, match="does not exist"):
        training.evaluate_consistency_run(run_dir, color_weights=tmp_path / "missing.h5")


def test_the_color_models_features_are_computed_once_into_a_memory_mapped_file(vgg16_weights, tmp_path):
    from colornn_keras.data import clips
    from colornn_keras.models import color, consistency
    from colornn_keras.research.training.consistency import cache_color_features

    model = consistency.ConsistencyModel(color.ColorModel(image_size=32, num_bins=12, backbone_weights=vgg16_weights))
    rng = np.random.default_rng(0)
    clip_frames = [(rng.random((n, 32, 32, 3)) * 255).astype(np.uint8) for n in (3, 2)]
    cached = cache_color_features(model, clip_frames, tmp_path / "features" / "train.npy", batch_size=2)
    assert isinstance(cached, np.memmap) and cached.dtype == np.float16 and len(cached) == 5
    luma = np.concatenate([clips.split_yuv(frames)[0] for frames in clip_frames])
    expected = model.get_layer(color.FEATURES_MODEL).predict_on_batch(luma)
    np.testing.assert_allclose(cached, expected, rtol=1e-3, atol=1e-3)


@pytest.mark.large
def test_a_stop_file_ends_the_run_at_the_epoch_boundary_and_is_recorded(image_folder, tmp_path):
    class _TouchStop(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            (tmp_path / "experiments").mkdir(exist_ok=True)
            for run_dir in (tmp_path / "experiments").iterdir():
                (run_dir / training.STOP_FILE).touch()

    run_dir = training.train_color_model(
        _config(image_folder, tmp_path, epochs=5, num_samples=0), verbose=0, callbacks=[_TouchStop()]
    )
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["stopped_by"] == "stop file" and metrics["epochs_run"] == 1
    assert not (run_dir / training.STOP_FILE).exists()


@pytest.mark.large
def test_resume_records_the_restart_and_its_new_time_budget(image_folder, tmp_path):
    config = _config(image_folder, tmp_path, epochs=2, num_samples=0)
    with pytest.raises(KeyboardInterrupt):
        training.train_color_model(config, verbose=0, callbacks=[_Interrupt(epoch=1, batch=0)])
    (run_dir,) = (tmp_path / "experiments").iterdir()
    # As if the run had started at another commit: metrics.json says the code changed, naming both.
    environment = json.loads((run_dir / "environment.json").read_text())
    experiments.write_json(run_dir / "environment.json", {**environment, "git_commit": "0" * 40})
    training.resume_run(run_dir, verbose=0, max_minutes=30)
    (resumed,) = json.loads((run_dir / "environment.json").read_text())["resumed"]
    assert resumed["from_epoch"] == 1 and resumed["max_minutes"] == 30
    changed = json.loads((run_dir / "metrics.json").read_text())["code_changed_between_sittings"]
    assert changed["started"]["git_commit"] == "0" * 40
    assert changed["resumed"] == [{"git_commit": resumed["git_commit"], "git_diff_sha256": resumed["git_diff_sha256"]}]


def test_a_video_run_asking_for_more_clips_than_there_are_says_clips_and_writes_nothing(clip_folder, tmp_path):
    # The paper's 7/3/3 needs 13 clips; checked before the color run is read or a folder made.
    config = training.ConsistencyTrainingConfig(videos=str(clip_folder), color_run=str(tmp_path / "no_run"),
                                                runs_root=str(tmp_path / "experiments"))
    with pytest.raises(errors.InputError, match=r"asks for 13 clips \(7/3/3\) but only 5 clips were found"):
        training.train_consistency_model(config)
    assert not (tmp_path / "experiments").exists()


@pytest.mark.large
def test_recurrent_consistency_run_trains_on_windows_and_records_its_table(image_folder, clip_folder, tmp_path):
    color_run = training.train_color_model(_config(image_folder, tmp_path, epochs=1, num_samples=0), verbose=0)
    config = training.ConsistencyTrainingConfig(
        videos=str(clip_folder), color_run=str(color_run), name="tiny_recurrent", epochs=1, batch_size=2,
        split=(3, 1, 1), runs_root=str(tmp_path / "experiments"), model="recurrent", window=3, hidden_filters=8,
    )
    run_dir = training.train_consistency_model(config, verbose=0)
    (epoch,) = experiments.read_history(run_dir / "history.csv")
    assert epoch["frames_per_second"] > 0  # Counted in frames: batch 2 of 3-frame windows a step.
    overall = records.read_json(run_dir / "metrics.json")["test"]["overall"]
    assert set(overall) == {"per_frame", "recurrent", "ground_truth", "gray_baseline"}
    assert {"loss", "u_accuracy", "v_accuracy", "auc", "warp_error", "cdc"} <= set(overall["recurrent"])
    assert (run_dir / records.RECURRENT_TRAINED_PART_FILE).is_file()
    assert "| recurrent |" in tables.consistency_runs_table([run_dir])
    recomputed = training.evaluate_consistency_run(run_dir)
    assert recomputed["test"]["overall"]["recurrent"]["loss"] == pytest.approx(overall["recurrent"]["loss"], rel=1e-5)
    with pytest.raises(ValueError, match="no colour input"):
        training.ConsistencyTrainingConfig(videos="v", color_run="r", model="recurrent", scheduled_sampling=0.5)
    with pytest.raises(ValueError, match="residual is an option of the paper's consistency model"):
        training.ConsistencyTrainingConfig(videos="v", color_run="r", model="recurrent", residual=True)
    with pytest.raises(ValueError, match="is what scheduled sampling feeds: give scheduled_sampling above 0"):
        training.ConsistencyTrainingConfig(videos="v", color_run="r", sampled_context="free_running")
    with pytest.raises(ValueError, match="sampled_context must be one of"):
        training.ConsistencyTrainingConfig(videos="v", color_run="r", scheduled_sampling=0.5, sampled_context="all")


def _sets_root(tmp_path):
    """Two of the paper's water sets and two other sets, 8 photos each."""
    from tests.data.test_images import _sets_root as make_root

    return make_root(tmp_path, ["sun_ocean", "miniplaces_river", "miniplaces_canyon", "miniplaces_dam"], per_set=8)


def test_the_selection_and_both_test_splits_are_recorded_and_reproducible(tmp_path):
    root = _sets_root(tmp_path)
    config = training.ColorTrainingConfig(data=str(root), split=(10, 3, 3), wide_holdout=(2, 4))
    split, record = training.select_and_split(config)
    assert record["include"] == ["sun_ocean", "miniplaces_river"]  # The paper's sets by default.
    assert record["sets"] == {"miniplaces_river": 8, "sun_ocean": 8}
    assert set(split) == {"train", "val", "test", training.WIDE_TEST}
    assert all("canyon" in path or "dam" in path for path in split[training.WIDE_TEST])
    assert not any("canyon" in path or "dam" in path for path in split["train"] + split["val"])

    wide = training.ColorTrainingConfig(data=str(root), split=(10, 3, 3), wide_holdout=(2, 4), include=["*"])
    wide_split, wide_record = training.select_and_split(wide)
    # The same two test splits, whatever is trained on; the wide one disjoint from training.
    assert wide_split["test"] == split["test"] and wide_split[training.WIDE_TEST] == split[training.WIDE_TEST]
    assert not set(wide_split[training.WIDE_TEST]) & set(wide_split["train"] + wide_split["val"])
    assert len(wide_split["train"]) == 10 + 10 and len(wide_split["val"]) == 3 + 2
    assert wide_record == training.select_and_split(wide)[1]  # Reproducible, digests included.


def test_an_empty_selection_is_refused_before_a_run_folder_exists(tmp_path):
    root = _sets_root(tmp_path)
    # Every photo of the selected set is held out for the wide test: none is left to train on.
    config = training.ColorTrainingConfig(data=str(root), split=(10, 3, 3), wide_holdout=(0, 16),
                                          include=["miniplaces_canyon"], runs_root=str(tmp_path / "runs"))
    with pytest.raises(ValueError, match="leaves 0 training and 0 validation photos"):
        training.train_color_model(config, verbose=0)
    assert not (tmp_path / "runs").exists()
    with pytest.raises(ValueError, match="No set under .* matches"):
        training.select_and_split(training.ColorTrainingConfig(data=str(root), include=["lake_*"]))


def test_fine_tuning_makes_exactly_the_named_layers_and_later_ones_trainable(vgg16_weights):
    from colornn_keras import backbone
    from colornn_keras.models import checkpoints
    from colornn_keras.models import color

    frozen = color.build_color_model(image_size=32, backbone_weights=vgg16_weights)
    tuned = color.build_color_model(image_size=32, backbone_weights=vgg16_weights, fine_tune_from="block3_conv1")
    trainable_vgg = [layer.name for layer in tuned.layers if layer.name in backbone.VGG16_CONV_LAYERS and layer.trainable]
    assert trainable_vgg == ["block3_conv1", "block3_conv2", "block3_conv3", "block4_conv1", "block4_conv2", "block4_conv3"]
    assert len(tuned.trainable_weights) == len(frozen.trainable_weights) + 2 * len(trainable_vgg)
    # The fine-tuned layers are part of what a run saves; a frozen model's file starts one.
    assert set(trainable_vgg) <= {layer.name for layer in checkpoints.trained_layers(tuned)}
    with pytest.raises(ValueError, match="fine_tune_from"):
        training.ColorTrainingConfig(data="d", fine_tune_from="block5_conv1")


@pytest.mark.large
def test_the_schedule_is_logged_and_metrics_come_from_the_saved_weights(image_folder, tmp_path):
    config = _config(image_folder, tmp_path, epochs=2, steps_per_epoch=2, schedule="cosine", warmup_epochs=1,
                     optimizer="adamw", augmentation="resized_crop", num_samples=0, learning_rate=1e-3)
    run_dir = training.train_color_model(config, verbose=0)
    history = experiments.read_history(run_dir / "history.csv")
    # Warm-up to the peak over the first epoch's 2 steps, then cosine to 0 at the last step.
    assert history[0]["learning_rate"] == pytest.approx(1e-3) and history[1]["learning_rate"] == pytest.approx(0.0)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["decoding"]["chosen_on"] == "val" and metrics["decoding"]["method"] in metrics["test"]
    recomputed = training.evaluate_run(run_dir)
    assert recomputed["test"]["loss"] == pytest.approx(metrics["test"]["loss"], rel=1e-6)
    assert recomputed["test"]["u_accuracy"] == metrics["test"]["u_accuracy"]


class _Poison(keras.callbacks.Callback):
    """Turns one trained weight into NaN at the end of an epoch, as a diverging run would."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            weight = self.model.get_layer("color_features").kernel
            weight.assign(weight * float("nan"))


@pytest.mark.large
def test_a_run_whose_weights_turn_non_finite_stops_and_keeps_the_last_finite_epoch(image_folder, tmp_path):
    from colornn_keras.models import checkpoints

    config = _config(image_folder, tmp_path, epochs=4, num_samples=0)
    run_dir = training.train_color_model(config, verbose=0, callbacks=[_Poison(epoch=1)])
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["stopped_by"] == "non-finite weights after epoch 2" and metrics["kept_epoch"] == 1
    assert metrics["epochs_run"] == 2
    model, _ = loading.load_color_run(run_dir)  # Loads: the saved weights are finite.
    assert not checkpoints.non_finite_weights(model)


@pytest.mark.large
def test_a_run_that_diverges_in_its_first_epoch_saves_nothing(image_folder, tmp_path):
    from colornn_keras.models import checkpoints

    config = _config(image_folder, tmp_path, epochs=2, num_samples=0)
    with pytest.raises(checkpoints.NonFiniteWeightsError, match="diverged.*nothing was saved"):
        training.train_color_model(config, verbose=0, callbacks=[_Poison(epoch=0)])
    (run_dir,) = (tmp_path / "experiments").iterdir()
    assert not (run_dir / records.COLOR_TRAINED_PART_FILE).exists() and not (run_dir / "metrics.json").exists()


def test_a_run_record_with_an_unknown_setting_is_refused_from_python_too(tmp_path):
    from colornn_keras import errors

    run = tmp_path / "run"
    run.mkdir()
    experiments.write_json(run / "config.json", {"kind": "color", "data": "photos", "colour_jitter": 0.2})
    with pytest.raises(errors.RunRecordError, match="config.json records settings this version does not know: colour_jitter"):
        training.evaluate_run(run)
    experiments.write_json(run / "config.json", {"kind": "consistency", "videos": "v", "color_run": "r",
                                                 "image_size": 32, "num_bins": 30, "warp": 1})
    with pytest.raises(errors.RunRecordError, match="does not know: warp"):
        training.evaluate_consistency_run(run)


@pytest.mark.large
def test_the_time_budget_ends_a_run_at_an_epoch_boundary_and_is_recorded(image_folder, tmp_path):
    # A budget shorter than one epoch: the first epoch always finishes, then the run ends, kept and scored.
    run_dir = training.train_color_model(_config(image_folder, tmp_path, epochs=5, max_minutes=0.001, num_samples=0),
                                         verbose=0)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["stopped_by"] == "time budget" and metrics["epochs_run"] == 1 and metrics["kept_epoch"] == 1
    assert (run_dir / records.COLOR_TRAINED_PART_FILE).is_file()


def _prepared_clip(count=7, size=(24, 32)):
    import numpy as np

    from colornn_keras.data import clips
    from tests.conftest import panning_frames

    luma, true_uv = clips.split_yuv(np.stack(panning_frames(count, size=size)))
    return {"luma": luma, "true_uv": true_uv, "color_uv": np.zeros_like(true_uv)}


def test_rollouts_start_from_the_chosen_colours_and_continue_on_the_models_own_output():
    import numpy as np

    from colornn_keras import propagation
    from colornn_keras.models import flow_guided as flow_guided_models
    from colornn_keras.research.training import flow_guided

    clip = _prepared_clip()
    model = flow_guided_models.FlowGuidedModel(filters=4, gate_bias=-30.0)  # Outputs the color model's (zeros).
    inputs, targets = flow_guided.rollout_examples(model, clip, "keyframe", length=3, stride=3, sample_every=1)
    # Roll-outs from frames 0 and 3 (of 7): steps 1-3 of each, all inside the clip.
    assert len(targets) == 6
    np.testing.assert_allclose(targets.astype("float32"), clip["true_uv"][[1, 4, 2, 5, 3, 6]], atol=2e-3)
    first = propagation.guide_inputs(clip["luma"][[1]], clip["luma"][[0]], clip["true_uv"][[0]], clip["color_uv"][[1]])
    np.testing.assert_allclose(inputs["warped_uv"][0].astype("float32"), first["warped_uv"][0], atol=2e-3)
    # From step 2 on, the previous colours are the model's own (zeros here), not the truth.
    np.testing.assert_array_equal(inputs["warped_uv"][2:], 0)
    automatic, _ = flow_guided.rollout_examples(model, clip, "color_model", length=1, stride=3, sample_every=1)
    np.testing.assert_array_equal(automatic["warped_uv"], 0)  # Started from the color model's colours.


def test_training_crops_keep_the_inputs_and_the_target_aligned():
    import numpy as np

    from colornn_keras.research.training import flow_guided

    rng = np.random.default_rng(0)
    luma = rng.uniform(0, 1, (5, 20, 24, 1)).astype("float16")
    inputs = {"luma": luma, "warped_luma": luma, "warped_uv": np.repeat(luma, 2, -1),
              "color_uv": -np.repeat(luma, 2, -1)}
    targets = np.repeat(luma, 2, -1) * 2
    for batch, target in flow_guided.examples_dataset(inputs, targets, crop_size=8, batch_size=5, seed=0):
        assert tuple(target.shape) == (5, 8, 8, 2)
        np.testing.assert_allclose(np.asarray(target), 2 * np.repeat(np.asarray(batch["luma"]), 2, -1), atol=1e-3)
        np.testing.assert_allclose(np.asarray(batch["color_uv"]), -np.asarray(batch["warped_uv"]))


@pytest.mark.large
def test_a_flow_guided_run_records_its_rounds_and_both_modes_beside_the_baselines(image_folder, clip_folder, tmp_path):
    import numpy as np

    from colornn_keras.runs import configs
    from colornn_keras.research.training import flow_guided

    color_run = training.train_color_model(_config(image_folder, tmp_path, epochs=1, num_samples=0), verbose=0)
    config = configs.FlowGuidedTrainingConfig(
        videos=str(clip_folder), color_run=str(color_run), name="tiny_guided", rounds=2, epochs_per_round=1,
        rollout_length=3, rollout_stride=2, sample_every=1, crop_size=16, batch_size=4, filters=4,
        split=(3, 1, 1), runs_root=str(tmp_path / "experiments"))
    run_dir = flow_guided.train_flow_guided_model(config, verbose=0)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert [record["round"] for record in metrics["rounds"]] == [0, 1, 2]
    assert metrics["rounds"][2]["examples"] > metrics["rounds"][1]["examples"] > 0  # Aggregated.
    assert metrics["kept_round"] == max(metrics["rounds"], key=lambda record: record["val_auc"])["round"]
    assert [row["epoch"] for row in experiments.read_history(run_dir / "history.csv")] == [0, 1]  # One per epoch.
    for part in ("val", "test"):
        overall = metrics[part]["overall"]
        for mode in ("per_frame", "flow_keyframe", "guided_keyframe", "guided_automatic"):
            assert 0 <= overall[mode]["auc"] <= 1 and np.isfinite(overall[mode]["warp_error"])
    # The saved weights are the kept round's: the validation score recomputes from them.
    color_model, model, recorded = loading.load_flow_guided_run(run_dir)
    clips_found = json.loads((run_dir / "data.json").read_text())["splits"]["val"]["clips"]
    from colornn_keras.data import clips

    prepared = [flow_guided.prepare_clip(color_model, clips.load_clip(clip_folder / path, 32), recorded.decoding)
                for path in clips_found]
    kept = metrics["rounds"][metrics["kept_round"]]["val_auc"]
    assert flow_guided.validation_auc(model, prepared, keyframed=True) == pytest.approx(kept, abs=1e-6)
    recomputed = flow_guided.evaluate_flow_guided_run(run_dir, parts=("test",))
    for mode in ("guided_keyframe", "guided_automatic", "flow_keyframe"):
        assert recomputed["test"]["overall"][mode]["auc"] == pytest.approx(metrics["test"]["overall"][mode]["auc"])


@pytest.mark.large
def test_progressive_resizing_trains_small_first_and_validates_every_epoch_at_the_runs_size(image_folder, tmp_path):
    config = _config(image_folder, tmp_path, epochs=3, progressive=((16, 2),), num_samples=0, patience=5)
    assert config.stages() == [(16, 0, 2), (32, 2, 3)]
    with pytest.raises(KeyboardInterrupt):  # Killed in the first epoch at full size, then resumed.
        training.train_color_model(config, verbose=0, callbacks=[_Interrupt(epoch=2, batch=0)])
    (run_dir,) = (tmp_path / "experiments").iterdir()
    training.resume_run(run_dir, verbose=0)
    history = experiments.read_history(run_dir / "history.csv")
    assert [row["epoch"] for row in history] == [0, 1, 2]
    assert all("val_loss" in row and "val_u_accuracy" in row for row in history)
    assert json.loads((run_dir / "config.json").read_text())["progressive"] == [[16, 2]]
    # Whichever epoch is kept, its recorded validation loss is the saved model's at the run's size.
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["val"]["loss"] == pytest.approx(history[metrics["kept_epoch"] - 1]["val_loss"], rel=1e-3)


def test_progressive_stages_that_cannot_work_are_refused(image_folder, tmp_path):
    with pytest.raises(errors.ColorNNError, match="must be a size below image_size"):
        _config(image_folder, tmp_path, progressive=((32, 1),))
    with pytest.raises(errors.ColorNNError, match="leave at least one at image_size"):
        _config(image_folder, tmp_path, epochs=2, progressive=((16, 2),))


def test_oversample_is_recorded_and_a_repeat_below_one_is_refused(image_folder, tmp_path):
    config = _config(image_folder, tmp_path, oversample=[["nested", "3"]])
    assert config.oversample == (("nested", 3),)  # As config.json gives it back.
    with pytest.raises(errors.ColorNNError, match="at least once"):
        _config(image_folder, tmp_path, oversample=(("nested", 0),))
