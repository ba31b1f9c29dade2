"""The consistency models' training procedure (`colornn train consistency`) and its run folders.

`train_consistency_model` trains the paper's consistency model (or the recurrent one) on video clips
split by clip, over a recorded color run's model, and records the video table: the paper's model in
its three modes, or the recurrent model beside the color model alone. `evaluate_consistency_run`
scores a finished run again.
"""

import dataclasses
import pathlib
import shutil

import keras
import numpy as np

from colornn_keras.data import clips
from colornn_keras.data import images
from colornn_keras.models import checkpoints
from colornn_keras.models import color as color_models
from colornn_keras.models import recurrent as recurrent_models
from colornn_keras.research import evaluation
from colornn_keras.research import experiments
from colornn_keras.research import plots
from colornn_keras.research import provenance
from colornn_keras.research.training.callbacks import FRAMES_PER_SECOND
from colornn_keras.research.training.callbacks import keeper_and_limits
from colornn_keras.research.training.callbacks import machine_share
from colornn_keras.research.training.callbacks import remove_resume_state
from colornn_keras.research.training.callbacks import training_callbacks
from colornn_keras.research.training.color import compile_color_model
from colornn_keras.runs import loading
from colornn_keras.runs import records

# Under the run's checkpoints folder while it trains: the color model's features (`cache_color_features`).
FEATURES_DIR = "color_features"


def train_consistency_model(config, verbose="auto", callbacks=()):
    """Trains the consistency model on clips over a recorded color run's model; returns the run folder."""
    found = clips.find_clips(config.videos)
    split = images.split_files(found, config.split, config.seed, noun="clips")
    color_model, color_config = loading.load_color_run(config.color_run, config.color_weights)
    run_dir = experiments.create_run_dir(config.runs_root, config.name)
    dtype_policy = color_model.get_layer(color_models.FEATURES_LAYER).dtype_policy.name
    experiments.write_json(run_dir / records.CONFIG_FILE, {
        "kind": "consistency", **dataclasses.asdict(config),
        "image_size": color_config.image_size, "num_bins": color_config.num_bins,
        "precision_used": provenance.precision_used(dtype_policy),
    })
    experiments.write_json(run_dir / records.ENVIRONMENT_FILE, {
        **provenance.environment_record(dtype_policy), "checkpoint_dir": str(experiments.new_checkpoint_dir(run_dir))})
    experiments.write_json(run_dir / records.DATA_FILE, {
        "videos": str(config.videos), "clips_found": len(found),
        "splits": {part: {"count": len(files), "clips": experiments.relative_paths(files, config.videos)}
                   for part, files in split.items()},
    })
    return fit_consistency(run_dir, config, color_model, color_config.image_size, split, verbose, callbacks)


def cache_color_features(model, clip_frames, path, batch_size=32):
    """The frozen color model's features (what a video model's `context_head()` or `features_head()`
    takes) of every frame of `clip_frames` (uint8 RGB clips at model size), computed once into the
    .npy file `path` and returned memory-mapped: at 128x128 they take 2 MiB a frame, so a run's
    frames need not fit in memory.

    Stored in float16, which keeps 11 significant bits, more than the bfloat16 a mixed-precision
    model computes them in (8); a value beyond float16's range is a bug and raises.
    """
    features_model = color_models.frozen_features_model(model.color_model, "feature cache")
    frames = np.concatenate(clip_frames)
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cache = np.lib.format.open_memmap(path, mode="w+", dtype=np.float16,
                                      shape=(len(frames), *features_model.output.shape[1:]))
    for begin in range(0, len(frames), batch_size):
        luma, _ = clips.split_yuv(frames[begin : begin + batch_size])
        batch = np.asarray(features_model.predict_on_batch(luma), np.float16)
        if not np.isfinite(batch).all():
            raise FloatingPointError(f"The color model's features of frames {begin}+ do not fit float16.")
        cache[begin : begin + len(batch)] = batch
    cache.flush()
    del cache
    return np.load(path, mmap_mode="r")


def _clip_name(path):
    """`clip_folder/file.mp4`: clips are often one file per folder, so the folder names them."""
    return f"{pathlib.Path(path).parent.name}/{pathlib.Path(path).name}"


def _load_clips(files, image_size, config):
    return [clips.load_clip(path, image_size, config.stride, config.max_frames_per_clip) for path in files]


def fit_consistency(run_dir, config, color_model, image_size, split, verbose, extra_callbacks=()):
    """Trains a consistency model in `run_dir` (a new run, or a killed one resumed from its backup),
    keeps its best validation epoch and records its video tables; returns `run_dir`."""
    model = loading.video_model_of(color_model, config)
    recurrent = config.model == "recurrent"
    # Both train as their head on the frozen color model's features, computed once below.
    # Recurrent: gradients through time can explode, so their norm is clipped.
    optimizer = keras.optimizers.Adam(config.learning_rate, clipnorm=1.0 if recurrent else None)
    trainable = compile_color_model(model.features_head() if recurrent else model.context_head(),
                                    config.learning_rate, optimizer=optimizer)
    num_bins = color_models.num_bins_of(color_model)
    loaded = {part: _load_clips(files, image_size, config) for part, files in split.items() if files}
    keras.utils.set_random_seed(config.seed)
    # No early stopping (the paper trains 10 epochs), but the best validation epoch is kept.
    # Throughput in frames: a recurrent step takes `window` frames of each clip in the batch.
    callbacks = training_callbacks(run_dir, config.epochs + 1, config.max_minutes,
                                   batch_size=config.batch_size * (config.window if recurrent else 1),
                                   throughput_column=FRAMES_PER_SECOND)
    keeper, limits = keeper_and_limits(callbacks)
    features_dir = experiments.checkpoint_dir(run_dir) / FEATURES_DIR
    features = {part: cache_color_features(model, loaded[part], features_dir / f"{part}.npy")
                for part in ("train", "val")}
    if recurrent:
        # Truncated back-propagation through time: windows of k frames, the state from zero in each.
        train_data = clips.make_window_dataset(loaded["train"], config.window, config.batch_size, num_bins,
                                               training=True, seed=config.seed, features=features["train"])
        val_data = clips.make_window_dataset(loaded["val"], config.window, config.batch_size, num_bins,
                                             features=features["val"])
    else:
        train_pairs, val_pairs = (clips.FramePairs(loaded[part], features[part]) for part in ("train", "val"))
        if config.scheduled_sampling > 0:
            callbacks.insert(0, keras.callbacks.LambdaCallback(on_epoch_begin=lambda epoch, logs: (
                train_pairs.refresh_predictions(color_model, trainable, config.decoding,
                                                free_running=config.sampled_context == "free_running"))))
        train_data = train_pairs.dataset(config.batch_size, num_bins, training=True, seed=config.seed,
                                         sampling_probability=config.scheduled_sampling)
        val_data = val_pairs.dataset(config.batch_size, num_bins)
    trainable.fit(train_data, validation_data=val_data, epochs=config.epochs,
                  callbacks=[*extra_callbacks, *callbacks], verbose=verbose, shuffle=False)
    stopped_by = keeper.stopped_by(limits)
    # The whole model (whose layers the head shares) is loaded, saved and scored: the recorded
    # numbers come from exactly the saved weights.
    checkpoints.load_trained_part(model, keeper.weights_path)
    checkpoints.save_trained_part(model, run_dir / loading.video_trained_part_file(config))
    shutil.rmtree(features_dir)
    evaluated = {part: split[part] for part in ("val", "test") if part in loaded}
    results = _three_mode_tables(color_model, model, config, evaluated, {part: loaded[part] for part in evaluated})
    history = experiments.read_history(run_dir / records.HISTORY_FILE)
    experiments.write_json(run_dir / records.METRICS_FILE, {
        "kept_epoch": None if keeper.best_epoch is None else keeper.best_epoch + 1, "epochs_run": len(history),
        "stopped_by": stopped_by,
        **({"machine": share} if (share := machine_share(history, FRAMES_PER_SECOND)) else {}),
        **provenance.code_changes(run_dir),
        **results,
    })
    plots.plot_curves(history, run_dir / records.CURVES_FILE, keeper.best_epoch)
    if "test" in loaded and config.model == "paper":
        evaluation.write_sequence_samples(color_model, model, loaded["test"][0], run_dir / records.SAMPLES_DIR,
                                          "figure5_test_clip0", method=config.decoding)
    remove_resume_state(run_dir)
    return run_dir


def _three_mode_tables(color_model, model, config, files_by_part, clips_by_part, keyframes=False):
    """The video table of each part ("val", "test", ...) of loaded clips: the paper's model in its
    three modes, or the recurrent model beside the color model alone; with `keyframes`, also the
    paper's model seeded with each clip's first true colours and the two propagation baselines."""
    if config.model == "recurrent":
        predictors = {**evaluation.consistency_predictors(color_model, None, config.decoding, ("per_frame",)),
                      "recurrent": lambda luma, true_uv, cuts: recurrent_models.predict_recurrent_sequence(
                          model, luma, cuts, config.decoding)}
    else:
        predictors = evaluation.consistency_predictors(color_model, model, config.decoding)
        if keyframes:
            predictors.update(evaluation.keyframe_predictors(color_model, model, config.decoding))
    return {
        part: {**evaluation.evaluate_sequences(
            predictors, clips_by_part[part], [_clip_name(path) for path in files],
            color_models.num_bins_of(color_model), config.scene_cut_threshold), "decoding": config.decoding}
        for part, files in files_by_part.items()
    }


def read_consistency_run(run_dir):
    """(config, image size, {part: clip paths}) recorded in a consistency run folder."""
    run_dir = pathlib.Path(run_dir)
    config, recorded = loading.read_video_config(run_dir, "consistency")
    data = records.read_json(run_dir / records.DATA_FILE)
    split = {part: experiments.resolved_paths(record["clips"], config.videos)
             for part, record in data["splits"].items()}
    return config, recorded["image_size"], split


def evaluate_consistency_run(run_dir, videos=None, keyframes=False, parts=("val", "test"), color_weights=None):
    """Recomputes a consistency run's three-mode table on its `parts` clips, or on every clip under
    `videos`; `keyframes` adds the seeded mode and its baselines (`evaluation.keyframe_predictors`);
    `color_weights` scores the run on another file of its color model (as shipped, say)."""
    color_model, model, config = loading.load_consistency_run(run_dir, color_weights)
    _, image_size, split = read_consistency_run(run_dir)
    if videos is None:
        split = {part: split[part] for part in parts if split[part]}
    else:
        split = {"all": clips.find_clips(videos)}
    loaded = {part: _load_clips(files, image_size, config) for part, files in split.items()}
    return _three_mode_tables(color_model, model, config, split, loaded, keyframes)
