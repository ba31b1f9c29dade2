"""The color model's training procedure (`colornn train color`) and its run folders.

`train_color_model` scans and splits the images, writes a new experiment folder, trains with Adam
and early stopping on the validation loss, keeps the best epoch, evaluates it on train/val/test
and records everything. `evaluate_run` scores a finished run again.
"""

import contextlib
import dataclasses
import pathlib
import tempfile
import time
import warnings

import keras
import numpy as np

from colornn_keras import backbone
from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras import precision
from colornn_keras import presets
from colornn_keras.data import images
from colornn_keras.metrics import BinAccuracy
from colornn_keras.models import checkpoints
from colornn_keras.models import color as color_models
from colornn_keras.research import evaluation
from colornn_keras.research import experiments
from colornn_keras.research import plots
from colornn_keras.research import provenance
from colornn_keras.research.training import distribution
from colornn_keras.research.training import growth
from colornn_keras.research.training import rebalancing
from colornn_keras.research.training.callbacks import LearningRateLogger
from colornn_keras.research.training.callbacks import keeper_and_limits
from colornn_keras.research.training.callbacks import machine_share
from colornn_keras.research.training.callbacks import remove_resume_state
from colornn_keras.research.training.callbacks import restore_kept_weights
from colornn_keras.research.training.callbacks import resume_point
from colornn_keras.research.training.callbacks import training_callbacks
from colornn_keras.runs import loading
from colornn_keras.runs import records

BIN_WEIGHTS_FILE = "bin_weights.json"
BIN_HISTOGRAM_FILE = "bin_histogram.png"
WIDE_TEST = "test_wide"


def compile_color_model(model, learning_rate=1e-3, bin_weights=None, optimizer=None):
    """Adam; the loss is the sum of the U and V losses; history shows `u_accuracy`, `v_accuracy`.

    Serves the color model (either variant) and the consistency model, whose heads are the same.
    `bin_weights` ({"u": [...], "v": [...]}) weights each pixel's cross-entropy by its true bin
    (class rebalancing, see `rebalancing.py`). `optimizer` replaces Adam.
    """
    if color_models.variant_of(model) == "classification":
        loss = {axis: keras.losses.SparseCategoricalCrossentropy() if bin_weights is None
                else rebalancing.RebalancedCrossentropy(bin_weights[axis]) for axis in ("u", "v")}
        metrics = {axis: [keras.metrics.SparseCategoricalAccuracy(name="accuracy")] for axis in ("u", "v")}
    else:
        num_bins = color_models.num_bins_of(model)
        loss = {axis: keras.losses.MeanSquaredError() for axis in ("u", "v")}
        metrics = {axis: [BinAccuracy(axis=axis, num_bins=num_bins, name="accuracy")] for axis in ("u", "v")}
    model.compile(optimizer=optimizer or keras.optimizers.Adam(learning_rate), loss=loss, metrics=metrics)
    return model


def make_optimizer(config, steps_per_epoch):
    """The run's optimizer: Adam or AdamW, at a constant rate or warm-up then cosine decay."""
    rate = config.learning_rate
    if config.schedule == "cosine":
        total = max(1, int(config.epochs * steps_per_epoch))
        warmup = min(total - 1, int(config.warmup_epochs * steps_per_epoch))
        # Rises linearly from 0 to the rate over the warm-up, then follows a cosine to zero.
        rate = keras.optimizers.schedules.CosineDecay(
            0.0, total - warmup, warmup_target=config.learning_rate, warmup_steps=warmup)
    if config.optimizer == "adamw":
        return keras.optimizers.AdamW(rate, weight_decay=config.weight_decay)
    return keras.optimizers.Adam(rate)


def _build_for_config(config, dtype_policy, bin_weights=None, replicas=1, steps_per_epoch=1, image_size=None):
    model = loading.color_model_of(config, dtype_policy, image_size, synchronized_batch_norm=replicas > 1)
    return compile_color_model(model, config.learning_rate, bin_weights, make_optimizer(config, steps_per_epoch))


def _bin_weights(run_dir, config, train_files):
    """The run's rebalancing weights: computed once from its training split, then read back."""
    path = pathlib.Path(run_dir) / BIN_WEIGHTS_FILE
    if path.is_file():
        return records.read_json(path)["weights"]
    counts = rebalancing.bin_counts(train_files, config.num_bins, seed=config.seed)
    weights = {axis: rebalancing.rebalancing_weights(counts[axis], config.rebalance).tolist() for axis in ("u", "v")}
    experiments.write_json(path, {"mix": config.rebalance, "smoothing_bins": rebalancing.DEFAULT_SMOOTHING_BINS,
                                  "counts": {axis: counts[axis].tolist() for axis in counts}, "weights": weights})
    plots.plot_bin_histogram(counts, weights, pathlib.Path(run_dir) / BIN_HISTOGRAM_FILE)
    return weights


def train_color_model(config, verbose="auto", callbacks=()):
    """Runs the color-model protocol of `config` in a new experiment folder; returns its path.

    `callbacks` are added to the run's own (history, best epoch, backup), e.g. TensorBoard.
    Under several workers (`config.distribute`, TF_CONFIG) only the chief writes the run folder;
    the others train in a temporary folder, whose path they return.
    """
    strategy = distribution.strategy_from(config.distribute)  # Before anything else uses TensorFlow.
    split, data_record = select_and_split(config)
    precision_choice = precision.choose_precision(config.precision)
    dtype_policy = precision_choice.dtype_policy

    if not distribution.is_chief():
        worker_dir = pathlib.Path(tempfile.mkdtemp(prefix="colornn-worker-"))
        return fit_and_record(worker_dir, config, split, dtype_policy, verbose, callbacks, strategy)
    run_dir = experiments.create_run_dir(config.runs_root, config.name)
    experiments.write_json(run_dir / records.CONFIG_FILE, {"kind": "color", **dataclasses.asdict(config),
                                                           "precision_used": provenance.precision_used(dtype_policy)})
    experiments.write_json(run_dir / records.ENVIRONMENT_FILE, {
        **provenance.environment_record(dtype_policy),
        **precision_choice.record(),
        "checkpoint_dir": str(experiments.new_checkpoint_dir(run_dir)),
        "distribution": {"strategy": type(strategy).__name__, "replicas": strategy.num_replicas_in_sync},
    })
    experiments.write_json(run_dir / records.DATA_FILE, data_record)
    return fit_and_record(run_dir, config, split, dtype_policy, verbose, callbacks, strategy)


def select_and_split(config):
    """The run's photos: ({part: files}, the data.json record).

    On a folder holding the paper's water sets (`images.PAPER_SETS`, this project's stills), two
    fixed held-out splits are drawn whatever the selection trains on: the water split of the
    paper's protocol (`config.split`, as every earlier run) and a *wide* one, `config.wide_holdout`
    (val, test) photos of all the other sets. Training and validation use the parts of both that
    the selection (`include`/`exclude`) keeps; `test` (water) and `test_wide` are always scored.
    On any other folder, or with `max_images` (a quick sample), the selected photos are split once.
    """
    root = pathlib.Path(config.data)
    paper_sets = images.paper_sets_selection(root) if root.is_dir() else None
    include = config.include if config.include is not None else paper_sets
    selected = images.find_images(root, include, config.exclude)
    record = {"data": str(config.data), "include": None if include is None else list(include),
              "exclude": list(config.exclude), "sets": images.count_sets(selected, root),
              "images_found": len(selected), "grayscale_threshold": config.grayscale_threshold,
              "max_images": config.max_images}
    if paper_sets is None or config.max_images is not None:
        scan = images.scan_images(selected, config.grayscale_threshold, config.max_images, config.seed)
        split = images.split_files(scan.color, config.split, config.seed)
        scans = [scan]
    else:
        water_scan = images.scan_images(images.find_images(root, paper_sets), config.grayscale_threshold)
        others = [path for path in images.find_images(root) if images.set_name(path, root) not in paper_sets]
        wide_scan = images.scan_images(others, config.grayscale_threshold)
        water = images.split_files(water_scan.color, config.split, config.seed)
        wide = images.holdout_split(wide_scan.color, config.wide_holdout, config.seed) if wide_scan.color else {}
        kept = {str(path) for path in selected}
        split = {part: sorted(path for path in water[part] + wide.get(part, []) if path in kept)
                 for part in ("train", "val")}
        split["test"] = water["test"]
        if wide:
            split[WIDE_TEST] = wide["test"]
        scans = [water_scan, wide_scan]
        record["held_out"] = {"water": {"sets": list(paper_sets), "split": list(config.split)},
                              "wide": {"sets": "every other set", "holdout": list(config.wide_holdout)}}
    if not split["train"] or not split["val"]:
        raise errors.InputError(f"The selection of {root} leaves {len(split['train'])} training and {len(split['val'])} "
                         "validation photos; include more sets or give a larger split.")
    # Paths relative to the data folder, so that the record holds wherever the data is copied.
    record.update({
        "grayscale_excluded": experiments.relative_paths(sorted(path for scan in scans for path in scan.grayscale), root),
        "unreadable_skipped": [[experiments.relative_paths([path], root)[0], reason]
                               for scan in scans for path, reason in scan.unreadable],
        "splits": {part: {"count": len(files), "digest": images.digest_files(files),
                          "files": experiments.relative_paths(files, root)} for part, files in split.items()},
    })
    return split, record


def read_color_run(run_dir):
    """(config, split, dtype policy) recorded in a run folder."""
    run_dir = pathlib.Path(run_dir)
    config, dtype_policy = loading.read_color_config(run_dir)
    data = records.read_json(run_dir / records.DATA_FILE)
    split = {part: experiments.resolved_paths(record["files"], config.data) for part, record in data["splits"].items()}
    return config, split, dtype_policy


def evaluate_run(run_dir, data=None, split_from=None, weights=None):
    """Recomputes a run's metrics: on its recorded split, on another run's recorded held-out photos
    (`split_from`: its val, test and test_wide, to compare runs on the same photos), or on every
    colour image under `data`. The annealed-mean temperature is chosen on "val" where there is one.
    `weights` scores another trained-part file of the run's model (the one shipped from it)."""
    model, config = loading.load_color_run(run_dir, weights)
    _, split, _ = read_color_run(run_dir)
    if split_from is not None:
        _, other, _ = read_color_run(split_from)
        split = {part: files for part, files in other.items() if part != "train"}
    elif data is not None and pathlib.Path(data).resolve() != pathlib.Path(config.data).resolve():
        scan = images.scan_images(images.find_images(data), config.grayscale_threshold)
        if not scan.color:
            raise errors.InputError(f"{data} holds no colour images to evaluate on.")
        split = {"all": scan.color}
    results, decoding = score_parts(model, config, split)
    return {**({"decoding": decoding} if decoding else {}), **results}


def fit_and_record(run_dir, config, split, dtype_policy, verbose, extra_callbacks=(), strategy=None):
    """Trains a color model in `run_dir` (a new run, or a killed one resumed from its backup), keeps
    its best epoch and, on the chief, records its metrics; returns `run_dir`.

    With `config.progressive`, the first epochs train at smaller sizes (a model per size, each
    taking the weights and optimizer state of the one before: the weights do not depend on the
    input's size) and every epoch is validated at `config.image_size`, so that the kept epoch and
    early stopping compare like with like.
    """
    strategy = strategy or distribution.strategy_from("none")
    bin_weights = None if config.rebalance is None else _bin_weights(run_dir, config, split["train"])
    global_batch_size = config.batch_size * strategy.num_replicas_in_sync  # batch_size is per replica.
    training_files = images.oversample(split["train"], config.data, config.oversample)
    steps_per_epoch = config.steps_per_epoch or -(-len(training_files) // global_batch_size)
    keras.utils.set_random_seed(config.seed)

    def build(image_size):
        with strategy.scope():
            return _build_for_config(config, dtype_policy, bin_weights, strategy.num_replicas_in_sync,
                                     steps_per_epoch, image_size)

    model = build(config.image_size)
    if config.init_from:
        _start_from(model, _init_weights_file(config.init_from))
    resumed_from, initial_epoch = resume_point(run_dir)
    if resumed_from == "kept weights":  # The backup is gone (a cleared cache): go on from the kept epoch.
        restore_kept_weights(model, run_dir, initial_epoch, steps_per_epoch)
    failures = images.DecodeFailures()

    def dataset(part, training, image_size=config.image_size):
        return images.make_dataset(
            training_files if part == "train" else split[part], image_size, global_batch_size, config.num_bins, config.variant,
            training=training, seed=config.seed, failures=failures, augmentation=config.augmentation,
            repeat=training and config.steps_per_epoch is not None,
        )

    validation = dataset("val", False)
    started = time.monotonic()
    trained = model  # The model of the stage that trains: the final-size one, or a smaller one before it.
    for image_size, first_epoch, end_epoch in config.stages():
        if initial_epoch >= end_epoch and end_epoch < config.epochs:
            continue  # A stage a resumed run has done (the last always runs, if only to record).
        if image_size != trained.image_size:
            smaller = build(image_size)
            _carry_state(trained, smaller)
            trained = smaller
        initial_epoch = max(initial_epoch, first_epoch)
        budget = None if config.max_minutes is None else config.max_minutes - (time.monotonic() - started) / 60
        callbacks = training_callbacks(run_dir, config.patience, budget, initial_epoch=initial_epoch,
                                       batch_size=global_batch_size)
        keeper, limits = keeper_and_limits(callbacks)
        if trained is not model:  # Validated at the final size, by the final-size model.
            callbacks.insert(1, FinalSizeValidation(model, validation))
        with distribution.fitting(trained, strategy), _known_false_alarms():
            trained.fit(
                dataset("train", True, image_size), validation_data=validation if trained is model else None,
                epochs=end_epoch, steps_per_epoch=config.steps_per_epoch, initial_epoch=initial_epoch,
                callbacks=[LearningRateLogger(), *extra_callbacks, *callbacks], verbose=verbose,
                shuffle=False,  # tf.data shuffles.
            )
        initial_epoch = end_epoch
        if trained.stop_training:  # Early stopping, a limit or non-finite weights: no later stage.
            break
    stopped_by = keeper.stopped_by(limits)
    checkpoints.load_trained_part(model, keeper.weights_path)
    checkpoints.save_trained_part(model, run_dir / records.COLOR_TRAINED_PART_FILE)
    if not distribution.is_chief():
        return run_dir  # The chief evaluates and records; a worker's folder holds its weights only.
    record_color_metrics(model, run_dir, config, split, keeper.best_epoch, failures, stopped_by)
    remove_resume_state(run_dir)
    return run_dir


def _carry_state(source, target):
    """`target` (a model of another input size) takes `source`'s weights and optimizer state."""
    target.set_weights(source.get_weights())
    if source.optimizer.built:
        target.optimizer.build(target.trainable_variables)
        for mine, theirs in zip(target.optimizer.variables, source.optimizer.variables, strict=True):
            mine.assign(theirs)
    else:
        target.optimizer.iterations.assign(source.optimizer.iterations)


class FinalSizeValidation(keras.callbacks.Callback):
    """Validates a smaller-size stage at the run's own size: `final_model` (same weights, other
    input size) takes the training model's weights and evaluates `validation`, into `val_*` logs."""

    def __init__(self, final_model, validation):
        super().__init__()
        self.final_model, self.validation = final_model, validation

    def on_epoch_end(self, epoch, logs=None):
        self.final_model.set_weights(self.model.get_weights())
        results = self.final_model.evaluate(self.validation, verbose=0, return_dict=True)
        if logs is not None:
            logs.update({f"val_{name}": value for name, value in results.items()})


def _start_from(model, path):
    """Loads `--init-from`'s weights: the same architecture's, or a block-4 model's into a block-5 one."""
    if growth.is_growth(model, path):
        return growth.grow_from_block4(model, path)
    return checkpoints.load_trained_part(model, path, skip_missing=backbone.VGG16_CONV_LAYERS)


def _init_weights_file(source):
    """The trained-part file a run starts from: a run folder's, a file, or the shipped "color" weights."""
    path = pathlib.Path(source)
    if source == "color":
        return presets.preset_file(presets.default_preset("color"))
    if path.is_dir():
        path = path / records.COLOR_TRAINED_PART_FILE
    if not path.is_file():
        raise errors.WeightsError(f"--init-from {source}: no such run folder or weights file.")
    return path


@contextlib.contextmanager
def _known_false_alarms():
    """Silences Keras' "Your input ran out of data" at the end of the first epoch.

    The image pipeline's length is unknown only because it filters out (and records) undecodable
    files, so Keras learns the number of steps by reaching the end; nothing is cut short.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Your input ran out of data", category=UserWarning)
        yield


def score_parts(model, config, parts, failures=None):
    """({part: metrics}, decoding) of a color model on each part's files.

    With a "val" part (classification), the annealed-mean temperature is first chosen there by
    `evaluation.choose_temperature`, and every other part is scored with it too, beside the
    three standard decodings; `decoding` records the choice (None without a "val" part).
    """
    def evaluate(files, methods):
        return evaluation.evaluate_color_model(model, files, config.image_size, config.batch_size,
                                               methods=methods, failures=failures)

    parts = {part: files for part, files in parts.items() if files}
    results, decoding = {}, None
    if config.variant == "classification" and "val" in parts:
        candidates = tuple(evaluation.annealed_mean_at(t) for t in evaluation.TEMPERATURE_CANDIDATES)
        results["val"] = evaluate(parts["val"], colorspace.DECODING_METHODS + candidates)
        temperature = evaluation.choose_temperature(results["val"])
        decoding = {"temperature": temperature, "method": evaluation.annealed_mean_at(temperature),
                    "chosen_on": "val", "rule": f"best validation AuC among temperatures whose colorfulness is at "
                    f"least {evaluation.MIN_RELATIVE_COLORFULNESS} x the ground truth's, else the most colourful"}
    methods = colorspace.DECODING_METHODS + ((decoding["method"],) if decoding else ())
    for part, files in parts.items():
        if part not in results:
            results[part] = evaluate(files, methods)
    return results, decoding


# Training photos scored for the record at most (a seeded sample beyond that: scoring all 20,000
# of a wide run would take longer than an epoch on a CPU).
MAX_TRAIN_EVALUATION = 2000


def record_color_metrics(model, run_dir, config, split, best_epoch, failures=None, stopped_by=None):
    """Evaluates the kept model on each split and writes metrics.json, curves.png and samples/.

    The annealed-mean temperature is chosen on the validation photos (`evaluation.choose_temperature`),
    never on a test split; every part is scored with it beside the three standard decodings.
    """
    failures = failures or images.DecodeFailures()
    parts = {part: files for part, files in split.items() if files}
    if len(parts.get("train", ())) > MAX_TRAIN_EVALUATION:
        order = np.random.default_rng(config.seed).permutation(len(parts["train"]))[:MAX_TRAIN_EVALUATION]
        parts["train"] = sorted(parts["train"][index] for index in order)
    results, decoding = score_parts(model, config, parts, failures)
    history = experiments.read_history(run_dir / records.HISTORY_FILE)
    metrics = {
        "kept_epoch": None if best_epoch is None else best_epoch + 1,
        "epochs_run": len(history),
        "stopped_by": stopped_by,
        **({"machine": share} if (share := machine_share(history)) else {}),
        "image_size": config.image_size,
        "variant": config.variant,
        "decode_failures": failures.failed,
        **provenance.code_changes(run_dir),
        **({"decoding": decoding} if decoding else {}),
        **results,
    }
    experiments.write_json(run_dir / records.METRICS_FILE, metrics)
    if history:
        plots.plot_curves(history, run_dir / records.CURVES_FILE, best_epoch)
    if config.num_samples and split.get("test"):
        evaluation.write_samples(model, split["test"], config.image_size, run_dir / records.SAMPLES_DIR, config.num_samples)
    return metrics
