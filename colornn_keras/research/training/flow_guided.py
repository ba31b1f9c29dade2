"""Training the flow-guided propagator (`colornn train flow-guided`) on roll-outs of its own output.

A keyframe's colours must hold for hundreds of frames, so the model is trained where it will run:
on roll-outs that start from a frame's true colours (or, for the automatic mode, the color
model's) and continue on the model's own output, each step's inputs and the true colours of that
frame kept as a training example. Rounds alternate roll-outs of the current model and `fit` on
all the examples gathered so far (data aggregation, Ross et al. 2011), so later rounds see the
errors the trained model makes, not only those of the untrained one. The round whose model scores
the best AuC on the validation clips, run from their first frame to their last as it is used, is kept.
"""

import dataclasses
import itertools
import pathlib
import time

import keras
import numpy as np
import tensorflow as tf

from colornn_keras import errors
from colornn_keras import files
from colornn_keras import metrics
from colornn_keras import propagation
from colornn_keras.data import clips
from colornn_keras.data import images
from colornn_keras.models import checkpoints
from colornn_keras.models import color as color_models
from colornn_keras.models import decoding
from colornn_keras.models import flow_guided as flow_guided_models
from colornn_keras.models import rollout
from colornn_keras.research import evaluation
from colornn_keras.research import experiments
from colornn_keras.research import provenance
from colornn_keras.research.training.callbacks import HistoryRecorder
from colornn_keras.runs import loading
from colornn_keras.runs import records

ROUNDS_FILE = "rounds.json"


def color_model_colours(color_model, luma, method, batch_size=32):
    """The color model's decoded (U, V) of every frame, (N, H, W, 2)."""
    return np.concatenate([decoding.predict_uv(color_model, luma[begin : begin + batch_size], method)
                           for begin in range(0, len(luma), batch_size)])


def prepare_clip(color_model, frames, method):
    """{"luma", "true_uv", "color_uv"} of a clip's uint8 RGB frames at model size."""
    luma, true_uv = clips.split_yuv(frames)
    return {"luma": luma, "true_uv": true_uv, "color_uv": color_model_colours(color_model, luma, method)}


def prepared_clips(color_model, paths, image_size, method, max_frames=None, cache_dir=None):
    """(uint8 RGB frames, `prepare_clip` record) of each clip. With `cache_dir`, each clip's record is
    kept there (an .npz named by the clip, the size, frames, decoding and color model's weights),
    so that runs over the same clips and color model skip the color model's pass."""
    import hashlib

    loaded = []
    for path in paths:
        frames = clips.load_clip(path, image_size, 1, max_frames)
        cached = None
        if cache_dir is not None:
            digest = hashlib.sha256()
            for part in (str(pathlib.Path(path).resolve()), image_size, max_frames, method, frames.tobytes()):
                digest.update(str(part).encode() if not isinstance(part, bytes) else part)
            for weight in color_model.weights:
                digest.update(np.asarray(weight.numpy()).tobytes())
            cached = pathlib.Path(cache_dir) / f"{pathlib.Path(path).stem}_{digest.hexdigest()[:16]}.npz"
            if cached.is_file():
                with np.load(cached) as record:
                    loaded.append((frames, {name: record[name] for name in record.files}))
                continue
        prepared = prepare_clip(color_model, frames, method)
        if cached is not None:
            cached.parent.mkdir(parents=True, exist_ok=True)
            with files.atomic_write(cached) as temporary, open(temporary, "wb") as file:
                np.savez(file, **prepared)
        loaded.append((frames, prepared))
    return loaded


def rollout_examples(model, clip, start, length, stride, sample_every):
    """Training examples from roll-outs of `model` over one prepared clip: one roll-out begins at
    every `stride`-th frame, from its true colours ("keyframe") or the color model's
    ("color_model"), and runs `length` frames on the model's own output; every `sample_every`-th
    step gives an example (its inputs, and the frame's true colours as the target). The roll-outs
    run side by side, a batch a step (`rollout.roll_out` over the steps)."""
    count = len(clip["luma"])
    begins = np.arange(0, count - 1, stride)
    seed = clip["true_uv"] if start == "keyframe" else clip["color_uv"]
    inputs, targets = {name: [] for name in flow_guided_models.INPUTS}, []
    # (step, the frames the roll-outs still inside the clip reach at it): they begin in order, so
    # those are the first ones, and the roll-outs stop where none is left.
    steps = itertools.takewhile(lambda reached: len(reached[1]), (
        (number, (begins + number)[begins + number < count]) for number in range(length + 1)))

    def step(reached, before, previous_uv):
        (number, frames), (_, previous_frames) = reached, before
        step_inputs = propagation.guide_inputs(clip["luma"][frames], clip["luma"][previous_frames[: len(frames)]],
                                               previous_uv[: len(frames)], clip["color_uv"][frames])
        if number % sample_every == 0:
            for name in inputs:
                inputs[name].append(step_inputs[name].astype(np.float16))
            targets.append(clip["true_uv"][frames].astype(np.float16))
        return np.asarray(model.predict_on_batch(step_inputs), np.float32)

    for _ in rollout.roll_out(lambda reached: seed[reached[1]], step, steps):
        pass
    return {name: np.concatenate(parts) for name, parts in inputs.items()}, np.concatenate(targets)


def examples_dataset(inputs, targets, crop_size, batch_size, seed):
    """Shuffled batches of random crops (the same window of every input and the target) and mirrors."""
    height = targets.shape[1]
    crop_size = min(crop_size, height, targets.shape[2])
    names = list(inputs)
    widths = [inputs[name].shape[-1] for name in names]

    def crop(example, target):
        stacked = tf.concat([tf.cast(example[name], tf.float32) for name in names] + [tf.cast(target, tf.float32)], -1)
        stacked = tf.image.random_crop(stacked, [crop_size, crop_size, stacked.shape[-1]])
        stacked = tf.image.random_flip_left_right(stacked)
        parts = tf.split(stacked, widths + [2], axis=-1)
        return dict(zip(names, parts[:-1])), parts[-1]

    dataset = tf.data.Dataset.from_tensor_slices((inputs, targets)).shuffle(len(targets), seed=seed)
    return dataset.map(crop, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size).prefetch(tf.data.AUTOTUNE)


class ColorModelColours:
    """The color model's decoded colours of each clip, computed once however many modes use them
    (a predictor of `evaluation.evaluate_sequences` is called with the luma frames only)."""

    def __init__(self, color_model, method):
        self.color_model, self.method, self._cache = color_model, method, {}

    def remember(self, luma, color_uv):
        """Keeps colours already computed for these frames."""
        self._cache[np.asarray(luma).tobytes()] = color_uv

    def __call__(self, luma):
        key = np.asarray(luma).tobytes()
        if key not in self._cache:
            self._cache[key] = color_model_colours(self.color_model, np.asarray(luma, np.float32), self.method)
        return self._cache[key]


def guided_predictors(model, colours):
    """{mode: predictor} for `evaluation.evaluate_sequences`: "guided_keyframe" (the model from each
    clip's first true colours) and "guided_automatic" (from the color model's first colours);
    `colours` is a `ColorModelColours`."""
    def keyframed(luma, true_uv, cuts):
        return propagation.propagate_guided(model, luma, colours(luma), {0: true_uv[0]}, cuts)

    def automatic(luma, true_uv, cuts):
        return propagation.propagate_guided(model, luma, colours(luma), None, cuts)

    return {"guided_keyframe": keyframed, "guided_automatic": automatic}


def validation_auc(model, prepared, keyframed):
    """AuC of whole validation clips coloured from their first frame, as the model is used."""
    within = metrics.WithinThresholdCounts()
    for clip in prepared:
        keyframes = {0: clip["true_uv"][0]} if keyframed else None
        outputs = propagation.propagate_guided(model, clip["luma"], clip["color_uv"], keyframes)
        for output, true_uv in zip(outputs, clip["true_uv"]):
            within.add(output["uv"], true_uv)
    return within.auc()


def video_tables(model, colours, frames_by_part, names_by_part, num_bins, scene_cut_threshold):
    """Each part's table (`evaluation.evaluate_sequences`): the color model frame by frame, the
    flow baseline, and the model from the first frame's true colours and automatically;
    `colours` is a `ColorModelColours`."""
    predictors = {
        # Scored like the other modes, from its decoded colours' bins (so it has no loss).
        "per_frame": lambda luma, true_uv, cuts: [{"uv": uv} for uv in colours(luma)],
        **evaluation.keyframe_predictors(None, None, modes=("flow_keyframe",)),
        **guided_predictors(model, colours),
    }
    return {part: evaluation.evaluate_sequences(predictors, frames_by_part[part], names_by_part[part], num_bins,
                                                scene_cut_threshold)
            for part in frames_by_part}


def train_flow_guided_model(config, verbose="auto", cache_dir=None):
    """Trains a `FlowGuidedModel` over a recorded color run's model; returns the run folder.
    `cache_dir`: where to keep the color model's colours of each clip between runs (`prepared_clips`)."""
    started = time.monotonic()
    found = clips.find_clips(config.videos)
    split = images.split_files(found, config.split, config.seed, noun="clips")
    if not split.get("train") or not split.get("val"):
        raise errors.InputError(f"{config.videos} has too few clips for a training and a validation part "
                                f"(split {config.split}).")
    color_model, color_config = loading.load_color_run(config.color_run)
    run_dir = experiments.create_run_dir(config.runs_root, config.name)
    experiments.write_json(run_dir / records.CONFIG_FILE, {
        "kind": "flow_guided", **dataclasses.asdict(config), "image_size": color_config.image_size,
        "num_bins": color_config.num_bins,
    })
    experiments.write_json(run_dir / records.ENVIRONMENT_FILE, provenance.environment_record("float32"))
    experiments.write_json(run_dir / records.DATA_FILE, {
        "videos": str(config.videos), "clips_found": len(found),
        "splits": {part: {"count": len(files), "clips": experiments.relative_paths(files, config.videos)}
                   for part, files in split.items()},
    })
    loaded = {part: prepared_clips(color_model, files, color_config.image_size, config.decoding,
                                   config.max_frames_per_clip, cache_dir)
              for part, files in split.items() if files}
    frames = {part: [clip_frames for clip_frames, _ in clips_loaded] for part, clips_loaded in loaded.items()}
    prepared = {part: [record for _, record in clips_loaded] for part, clips_loaded in loaded.items()}

    keras.utils.set_random_seed(config.seed)
    model = flow_guided_models.FlowGuidedModel(config.filters)
    model.compile(optimizer=keras.optimizers.Adam(config.learning_rate), loss="mean_absolute_error")
    keyframed = config.start == "keyframe"
    rounds = [{"round": 0, "examples": 0, "val_auc": validation_auc(model, prepared["val"], keyframed)}]
    kept, kept_weights = rounds[0], model.get_weights()
    gathered = []  # (inputs, targets) of every roll-out so far.
    for round_index in range(1, config.rounds + 1):
        gathered += [rollout_examples(model, clip, config.start, config.rollout_length, config.rollout_stride,
                                      config.sample_every) for clip in prepared["train"]]
        gathered_inputs = {name: np.concatenate([inputs[name] for inputs, _ in gathered])
                           for name in flow_guided_models.INPUTS}
        gathered_targets = np.concatenate([targets for _, targets in gathered])
        dataset = examples_dataset(gathered_inputs, gathered_targets, config.crop_size, config.batch_size,
                                   config.seed + round_index)
        # Epochs numbered on across rounds, so that history.csv has one row per epoch of the run.
        first_epoch = (round_index - 1) * config.epochs_per_round
        model.fit(dataset, initial_epoch=first_epoch, epochs=first_epoch + config.epochs_per_round,
                  callbacks=[HistoryRecorder(run_dir / records.HISTORY_FILE, first_epoch)], verbose=verbose,
                  shuffle=False)
        score = validation_auc(model, prepared["val"], keyframed)
        rounds.append({"round": round_index, "examples": len(gathered_targets), "val_auc": score})
        experiments.write_json(run_dir / ROUNDS_FILE, rounds)
        if score > kept["val_auc"]:
            kept, kept_weights = rounds[-1], model.get_weights()
        if config.max_minutes is not None and time.monotonic() - started > 60 * config.max_minutes:
            break
    model.set_weights(kept_weights)
    checkpoints.save_trained_part(model, run_dir / records.FLOW_GUIDED_TRAINED_PART_FILE)
    evaluated = {part: prepared[part] for part in ("val", "test") if part in prepared}
    names = {part: [pathlib.Path(path).parent.name for path in split[part]] for part in evaluated}
    colours = ColorModelColours(color_model, config.decoding)
    for clip in (clip for part in evaluated for clip in prepared[part]):
        colours.remember(clip["luma"], clip["color_uv"])
    tables = video_tables(model, colours, {part: frames[part] for part in evaluated}, names,
                          color_config.num_bins, config.scene_cut_threshold)
    experiments.write_json(run_dir / records.METRICS_FILE, {
        "kept_round": kept["round"], "rounds": rounds, "decoding": config.decoding,
        **tables,
    })
    return run_dir


def evaluate_flow_guided_run(run_dir, videos=None, parts=("val", "test")):
    """Recomputes a flow-guided run's video tables on its recorded `parts` clips, or on every clip
    under `videos` (as part "all")."""
    color_model, model, config = loading.load_flow_guided_run(run_dir)
    if videos is None:
        recorded = records.read_json(pathlib.Path(run_dir) / records.DATA_FILE)["splits"]
        split = {part: experiments.resolved_paths(recorded[part]["clips"], config.videos)
                 for part in parts if recorded.get(part, {}).get("clips")}
    else:
        split = {"all": clips.find_clips(videos)}
    image_size = color_model.input_shape[1]
    frames = {part: [clips.load_clip(path, image_size, 1, config.max_frames_per_clip) for path in paths]
              for part, paths in split.items()}
    names = {part: [pathlib.Path(path).parent.name for path in paths] for part, paths in split.items()}
    return video_tables(model, ColorModelColours(color_model, config.decoding), frames, names,
                        color_models.num_bins_of(color_model), config.scene_cut_threshold)
