"""Training in one place: compiling, precision, callbacks, resuming, and the protocols' runs.

`train_color_model` is what `colornn train color` calls: it scans and splits the images, writes
a new experiment folder, trains with Adam and early stopping on the validation loss, keeps the
best epoch, evaluates it on train/val/test and records everything. `resume_run` continues a run
that was killed, from its last finished epoch, with the same record.

`train_consistency_model` (`colornn train consistency`) does the same for the consistency model
on video clips split by clip, over a recorded color run, and records the three-mode table.
"""

import contextlib
import dataclasses
import json
import pathlib
import shutil
import tempfile
import time
import warnings

import keras
import numpy as np

from colornn_keras import backbone
from colornn_keras import colorspace
from colornn_keras import distribution
from colornn_keras import errors
from colornn_keras import evaluation
from colornn_keras import experiments
from colornn_keras import precision
from colornn_keras import rebalancing
from colornn_keras.data import clips
from colornn_keras.data import images
from colornn_keras.data import video
from colornn_keras.metrics import BinAccuracy
from colornn_keras.models import checkpoints
from colornn_keras.models import color as color_models
from colornn_keras.models import consistency as consistency_models
from colornn_keras.models import recurrent as recurrent_models

TRAINED_PART_FILE = "color_model.trained.h5"
SCHEDULES = ("constant", "cosine")
OPTIMIZERS = ("adam", "adamw")
BEST_WEIGHTS_FILE = "best.trained.h5"
BACKUP_DIR = "backup"


@dataclasses.dataclass
class ColorTrainingConfig:
    """Every setting of a color-model run; the defaults are the paper's protocol (section 4.1)."""

    data: str
    name: str = "color"
    variant: str = "classification"
    image_size: int = 224
    num_bins: int = colorspace.DEFAULT_NUM_BINS
    batch_size: int = 15
    epochs: int = 100
    patience: int = 10
    learning_rate: float = 1e-3
    precision: str = "auto"
    seed: int = 0
    split: tuple = images.PAPER_SPLIT
    grayscale_threshold: float = images.DEFAULT_GRAYSCALE_THRESHOLD
    max_images: int = None
    rebalance: float = None
    distribute: str = "auto"
    num_samples: int = 8
    max_minutes: float = None
    runs_root: str = "experiments"
    # Beyond the paper (its protocol is the default of each):
    include: tuple = None  # Set-name globs to train on; None: the paper's water sets where present.
    exclude: tuple = ()
    wide_holdout: tuple = images.WIDE_HOLDOUT  # (val, test) photos held out of the other sets.
    augmentation: str = "crop_flip"
    schedule: str = "constant"  # or "cosine": linear warm-up, then cosine decay to zero.
    warmup_epochs: float = 1.0
    optimizer: str = "adam"  # or "adamw"
    weight_decay: float = 1e-4  # AdamW only.
    steps_per_epoch: int = None  # None: one pass over the training photos.
    init_from: str = None  # A color run folder or trained-part file to start the decoder from.
    fine_tune_from: str = None  # A VGG16 layer: it and every later one are trained too.

    def __post_init__(self):
        if self.variant not in color_models.VARIANTS:
            raise errors.ColorNNError(f"variant must be one of {color_models.VARIANTS}, got {self.variant!r}.")
        for field in ("image_size", "batch_size", "epochs", "patience"):
            if int(getattr(self, field)) < 1:
                raise errors.ColorNNError(f"{field} must be a positive integer, got {getattr(self, field)!r}.")
        if not self.learning_rate > 0:
            raise errors.ColorNNError(f"learning_rate must be positive, got {self.learning_rate!r}.")
        if self.rebalance is not None and not 0.0 <= self.rebalance <= 1.0:
            raise errors.ColorNNError(f"rebalance is Zhang et al.'s mix in [0, 1] (0.5 in their paper), got {self.rebalance!r}.")
        if self.rebalance is not None and self.variant != "classification":
            raise errors.ColorNNError("Class rebalancing weights the bins of the classification variant; the regression one has none.")
        if self.max_images is not None and int(self.max_images) < 3:
            raise errors.ColorNNError(f"max_images must be at least 3 (one image per split), got {self.max_images!r}.")
        if self.distribute not in distribution.STRATEGIES:
            raise errors.ColorNNError(f"distribute must be one of {distribution.STRATEGIES}, got {self.distribute!r}.")
        precision.resolve_dtype_policy(self.precision)  # Validates the name early.
        if self.augmentation not in images.AUGMENTATIONS:
            raise errors.ColorNNError(f"augmentation must be one of {images.AUGMENTATIONS}, got {self.augmentation!r}.")
        if self.schedule not in SCHEDULES:
            raise errors.ColorNNError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}.")
        if self.optimizer not in OPTIMIZERS:
            raise errors.ColorNNError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}.")
        if self.steps_per_epoch is not None and int(self.steps_per_epoch) < 1:
            raise errors.ColorNNError(f"steps_per_epoch must be a positive integer, got {self.steps_per_epoch!r}.")
        tunable = backbone.VGG16_CONV_LAYERS[:backbone.VGG16_CONV_LAYERS.index(color_models.DECODER_TAPS[0][0]) + 1]
        if self.fine_tune_from is not None and self.fine_tune_from not in tunable:
            raise errors.ColorNNError(f"fine_tune_from must name a VGG16 convolution up to "
                             f"{color_models.DECODER_TAPS[0][0]}, got {self.fine_tune_from!r}.")
        self.split = tuple(self.split)
        self.wide_holdout = tuple(self.wide_holdout)
        self.include = None if self.include is None else tuple(self.include)
        self.exclude = tuple(self.exclude)


def compile_color_model(model, learning_rate=1e-3, bin_weights=None, optimizer=None):
    """Adam; the loss is the sum of the U and V losses; history shows `u_accuracy`, `v_accuracy`.

    Serves the color model (either variant) and the consistency model, whose heads are the same.
    `bin_weights` ({"u": [...], "v": [...]}) weights each pixel's cross-entropy by its true bin
    (class rebalancing, see `colornn_keras.rebalancing`). `optimizer` replaces Adam.
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


class LearningRateLogger(keras.callbacks.Callback):
    """Adds the optimizer's current rate to each epoch's logs (so history.csv has it)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


class HistoryRecorder(keras.callbacks.Callback):
    """Writes history.csv after every epoch, keyed by epoch, so a resumed run records each epoch once."""

    def __init__(self, path, initial_epoch=0):
        super().__init__()
        self.path = pathlib.Path(path)
        self.initial_epoch = initial_epoch
        self.rows = []

    def on_train_begin(self, logs=None):
        # Epochs at or after the restored one are redone, so their old rows are dropped.
        self.rows = [row for row in experiments.read_history(self.path) if row["epoch"] < self.initial_epoch]

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        row = {"epoch": epoch, **{key: float(value) for key, value in (logs or {}).items()}}
        row["seconds"] = time.perf_counter() - self.epoch_start
        self.rows = [old for old in self.rows if old["epoch"] != epoch] + [row]
        experiments.write_history(self.path, self.rows)


STOP_FILE = "STOP"


class RunLimits(keras.callbacks.Callback):
    """Ends training at an epoch boundary when the time budget would be exceeded by another
    epoch, or when a file named STOP appears in the run folder (`touch RUN_DIR/STOP`).

    For machines that cannot run the paper's 100 epochs: the run still ends cleanly with its
    best epoch kept and recorded, and `metrics.json` says what ended it (`stopped_by`).
    """

    def __init__(self, run_dir, max_minutes=None):
        super().__init__()
        self.stop_file = pathlib.Path(run_dir) / STOP_FILE
        self.max_seconds = None if max_minutes is None else max_minutes * 60.0
        self.reason = None

    def on_train_begin(self, logs=None):
        self.start = time.perf_counter()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        now = time.perf_counter()
        if self.stop_file.exists():
            self.reason = "stop file"
        elif self.max_seconds is not None and now - self.start + (now - self.epoch_start) > self.max_seconds:
            self.reason = "time budget"
        if self.reason:
            self.model.stop_training = True


class TrainingPaused(Exception):
    """Raised by `PauseAt` between epochs: the run is unfinished and continues with `resume_run`."""


class PauseAt(keras.callbacks.Callback):
    """Pauses training (raises `TrainingPaused`) before an epoch that would end after `deadline`.

    Unlike `RunLimits`, which ends a run for good, a paused run keeps its backup and no metrics,
    so a protocol too long for one sitting (the paper's, on a CPU) goes on over several. It acts
    at an epoch's *beginning*, after every callback has recorded and backed up the epoch before.
    The first epoch always runs, so that every sitting makes progress.
    """

    def __init__(self, deadline):
        super().__init__()
        self.deadline = deadline  # A `time.time()` value.
        self.epoch_seconds = None

    def on_epoch_begin(self, epoch, logs=None):
        now = time.time()
        if self.epoch_seconds is not None and now + self.epoch_seconds > self.deadline:
            raise TrainingPaused(f"paused before epoch {epoch + 1}: the time budget would be exceeded")
        self.epoch_start = now

    def on_epoch_end(self, epoch, logs=None):
        self.epoch_seconds = time.time() - self.epoch_start


class BestEpochKeeper(keras.callbacks.Callback):
    """Early stopping on `monitor` that keeps the best epoch's trained weights in a file.

    Unlike `EarlyStopping(restore_best_weights=True)`, its state survives a restart: the best
    value and the epochs waited are derived from the recorded history of the epochs before
    `initial_epoch`, and the best weights live on disk.
    """

    def __init__(self, weights_path, history_path, monitor="val_loss", patience=10, initial_epoch=0):
        super().__init__()
        self.weights_path = pathlib.Path(weights_path)
        self.history_path = pathlib.Path(history_path)
        self.monitor, self.patience, self.initial_epoch = monitor, patience, initial_epoch
        self.best, self.best_epoch, self.wait = float("inf"), None, 0
        self.non_finite_epoch = None

    def on_train_begin(self, logs=None):
        for row in experiments.read_history(self.history_path):
            if row["epoch"] < self.initial_epoch and self.monitor in row:
                self._update(row["epoch"], row[self.monitor], save=False)

    def _update(self, epoch, value, save):
        if value < self.best:
            self.best, self.best_epoch, self.wait = value, epoch, 0
            if save:
                checkpoints.save_trained_part(self.model, self.weights_path)
        else:
            self.wait += 1

    def on_epoch_end(self, epoch, logs=None):
        if logs is None or self.monitor not in logs:
            raise ValueError(f"Early stopping monitors {self.monitor!r}, which this fit does not log.")
        if checkpoints.non_finite_weights(self.model):
            # A diverged run: a NaN weight can hide behind a ReLU and leave the loss finite, so the
            # weights themselves are checked. The last finite best epoch stays the kept one.
            self.non_finite_epoch = epoch
            self.model.stop_training = True
            return
        self._update(epoch, float(logs[self.monitor]), save=True)
        if self.wait >= self.patience:
            self.model.stop_training = True

    def stopped_by(self, limits, epochs_limit_reason="epoch limit"):
        """Why training ended, for metrics.json; an error if no finite epoch was ever kept."""
        if self.non_finite_epoch is not None and self.best_epoch is None:
            raise checkpoints.NonFiniteWeightsError(
                f"Training diverged: the weights hold NaN or infinity after epoch {self.non_finite_epoch + 1}, "
                "before any epoch could be kept; nothing was saved. Lower the learning rate.")
        if self.non_finite_epoch is not None:
            return f"non-finite weights after epoch {self.non_finite_epoch + 1}"
        return limits.reason or ("early stopping" if self.wait >= self.patience else epochs_limit_reason)


def restored_epoch(backup_dir):
    """The epoch `keras.callbacks.BackupAndRestore` will resume from (0 for a fresh run)."""
    metadata = pathlib.Path(backup_dir) / "training_metadata.json"
    if not metadata.is_file():
        return 0
    return int(json.loads(metadata.read_text())["epoch"])


def training_callbacks(run_dir, patience, max_minutes=None, monitor="val_loss"):
    """The callbacks of every run: history, best epoch, limits, backup.

    The backup comes last so that it saves an epoch only once that epoch is recorded.
    """
    checkpoint_dir = pathlib.Path(run_dir) / experiments.CHECKPOINTS_DIR
    backup_dir = checkpoint_dir / BACKUP_DIR
    initial_epoch = restored_epoch(backup_dir)
    history_path = pathlib.Path(run_dir) / experiments.HISTORY_FILE
    return [
        HistoryRecorder(history_path, initial_epoch),
        BestEpochKeeper(checkpoint_dir / BEST_WEIGHTS_FILE, history_path, monitor, patience, initial_epoch),
        RunLimits(run_dir, max_minutes),
        keras.callbacks.BackupAndRestore(str(backup_dir), save_freq="epoch", delete_checkpoint=False),
    ]


def _build_for_config(config, dtype_policy, bin_weights=None, replicas=1, steps_per_epoch=1):
    model = color_models.ColorModel(
        image_size=config.image_size, num_bins=config.num_bins, variant=config.variant, dtype=dtype_policy,
        synchronized_batch_norm=replicas > 1, fine_tune_from=config.fine_tune_from,
    )
    return compile_color_model(model, config.learning_rate, bin_weights, make_optimizer(config, steps_per_epoch))


BIN_WEIGHTS_FILE = "bin_weights.json"
BIN_HISTOGRAM_FILE = "bin_histogram.png"


def _bin_weights(run_dir, config, train_files):
    """The run's rebalancing weights: computed once from its training split, then read back."""
    path = pathlib.Path(run_dir) / BIN_WEIGHTS_FILE
    if path.is_file():
        return experiments.read_json(path)["weights"]
    counts = rebalancing.bin_counts(train_files, config.num_bins, seed=config.seed)
    weights = {axis: rebalancing.rebalancing_weights(counts[axis], config.rebalance).tolist() for axis in ("u", "v")}
    experiments.write_json(path, {"mix": config.rebalance, "smoothing_bins": rebalancing.DEFAULT_SMOOTHING_BINS,
                                  "counts": {axis: counts[axis].tolist() for axis in counts}, "weights": weights})
    experiments.plot_bin_histogram(counts, weights, pathlib.Path(run_dir) / BIN_HISTOGRAM_FILE)
    return weights


def train_color_model(config, verbose="auto", callbacks=()):
    """Runs the color-model protocol of `config` in a new experiment folder; returns its path.

    `callbacks` are added to the run's own (history, best epoch, backup), e.g. TensorBoard.
    Under several workers (`config.distribute`, TF_CONFIG) only the chief writes the run folder;
    the others train in a temporary folder, whose path they return.
    """
    strategy = distribution.strategy_from(config.distribute)  # Before anything else uses TensorFlow.
    split, data_record = select_and_split(config)
    dtype_policy = precision.resolve_dtype_policy(config.precision)

    if not distribution.is_chief():
        worker_dir = pathlib.Path(tempfile.mkdtemp(prefix="colornn-worker-"))
        return _fit_and_record(worker_dir, config, split, dtype_policy, verbose, callbacks, strategy)
    run_dir = experiments.create_run_dir(config.runs_root, config.name)
    experiments.write_json(run_dir / experiments.CONFIG_FILE, {"kind": "color", **dataclasses.asdict(config),
                                                               "precision_used": experiments.precision_used(dtype_policy)})
    experiments.write_json(run_dir / experiments.ENVIRONMENT_FILE, {
        **experiments.environment_record(dtype_policy),
        "distribution": {"strategy": type(strategy).__name__, "replicas": strategy.num_replicas_in_sync},
    })
    experiments.write_json(run_dir / experiments.DATA_FILE, data_record)
    return _fit_and_record(run_dir, config, split, dtype_policy, verbose, callbacks, strategy)


WIDE_TEST = "test_wide"


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


def _read_run(run_dir):
    """(config, split, dtype policy) recorded in a run folder."""
    run_dir = pathlib.Path(run_dir)
    if not (run_dir / experiments.CONFIG_FILE).is_file():
        raise errors.RunRecordError(f"{run_dir} is not a run folder (no {experiments.CONFIG_FILE}).")
    recorded = experiments.read_json(run_dir / experiments.CONFIG_FILE)
    experiments.check_settings(run_dir / experiments.CONFIG_FILE, recorded, ColorTrainingConfig)
    recorded.pop("kind", None)
    recorded.pop("precision_used", None)
    config = ColorTrainingConfig(**recorded)
    data = experiments.read_json(run_dir / experiments.DATA_FILE)
    split = {part: experiments.resolved_paths(record["files"], config.data) for part, record in data["splits"].items()}
    dtype_policy = experiments.read_json(run_dir / experiments.ENVIRONMENT_FILE)["dtype_policy"]
    return config, split, dtype_policy


def resume_run(run_dir, verbose="auto", callbacks=(), max_minutes=None):
    """Continues a killed run from its last finished epoch, on the split it recorded.

    `max_minutes` sets a new time budget for this continuation; it is recorded under
    "resumed" in environment.json beside the time of the restart.
    """
    run_dir = pathlib.Path(run_dir)
    if (run_dir / experiments.METRICS_FILE).is_file():
        raise errors.RunRecordError(f"Run {run_dir} has finished (metrics.json exists); start a new run instead.")
    if not (run_dir / experiments.CONFIG_FILE).is_file():
        raise errors.RunRecordError(f"{run_dir} is not a run folder (no {experiments.CONFIG_FILE}).")
    environment = experiments.read_json(run_dir / experiments.ENVIRONMENT_FILE)
    environment.setdefault("resumed", []).append({
        "at": time.strftime("%Y-%m-%dT%H:%M:%S"), "from_epoch": restored_epoch(
            run_dir / experiments.CHECKPOINTS_DIR / BACKUP_DIR), "max_minutes": max_minutes,
        **{key: value for key, value in experiments.code_record().items() if key in ("git_commit", "git_diff_sha256")},
    })
    experiments.write_json(run_dir / experiments.ENVIRONMENT_FILE, environment)
    if experiments.read_json(run_dir / experiments.CONFIG_FILE).get("kind") == "consistency":
        config, image_size, split = _read_consistency_run(run_dir)
        if max_minutes is not None:
            config.max_minutes = max_minutes
        color_model, _ = load_run_model(config.color_run)
        return _fit_consistency(run_dir, config, color_model, image_size, split, verbose, callbacks)
    config, split, dtype_policy = _read_run(run_dir)
    if max_minutes is not None:
        config.max_minutes = max_minutes
    return _fit_and_record(run_dir, config, split, dtype_policy, verbose, callbacks,
                           distribution.strategy_from(config.distribute))


def load_run_model(run_dir):
    """The trained color model of a finished run, rebuilt from its config and trained-part weights."""
    config, _, dtype_policy = _read_run(run_dir)
    weights = pathlib.Path(run_dir) / TRAINED_PART_FILE
    if not weights.is_file():
        raise errors.RunRecordError(f"Run {run_dir} has no trained weights ({TRAINED_PART_FILE}); has it finished?")
    model = _build_for_config(config, dtype_policy)
    return checkpoints.load_trained_part(model, weights), config


def evaluate_run(run_dir, data=None, split_from=None):
    """Recomputes a run's metrics: on its recorded split, on another run's recorded held-out photos
    (`split_from`: its val, test and test_wide, to compare runs on the same photos), or on every
    colour image under `data`. The annealed-mean temperature is chosen on "val" where there is one."""
    model, config = load_run_model(run_dir)
    _, split, _ = _read_run(run_dir)
    if split_from is not None:
        _, other, _ = _read_run(split_from)
        split = {part: files for part, files in other.items() if part != "train"}
    elif data is not None and pathlib.Path(data).resolve() != pathlib.Path(config.data).resolve():
        scan = images.scan_images(images.find_images(data), config.grayscale_threshold)
        if not scan.color:
            raise errors.InputError(f"{data} holds no colour images to evaluate on.")
        split = {"all": scan.color}
    results, decoding = score_parts(model, config, split)
    return {**({"decoding": decoding} if decoding else {}), **results}


def _fit_and_record(run_dir, config, split, dtype_policy, verbose, extra_callbacks=(), strategy=None):
    strategy = strategy or distribution.strategy_from("none")
    bin_weights = None if config.rebalance is None else _bin_weights(run_dir, config, split["train"])
    global_batch_size = config.batch_size * strategy.num_replicas_in_sync  # batch_size is per replica.
    steps_per_epoch = config.steps_per_epoch or -(-len(split["train"]) // global_batch_size)
    keras.utils.set_random_seed(config.seed)
    with strategy.scope():
        model = _build_for_config(config, dtype_policy, bin_weights, strategy.num_replicas_in_sync, steps_per_epoch)
    if config.init_from:
        checkpoints.load_trained_part(model, _init_weights_file(config.init_from), skip_missing=backbone.VGG16_CONV_LAYERS)
    failures = images.DecodeFailures()

    def dataset(part, training):
        return images.make_dataset(
            split[part], config.image_size, global_batch_size, config.num_bins, config.variant,
            training=training, seed=config.seed, failures=failures, augmentation=config.augmentation,
            repeat=training and config.steps_per_epoch is not None,
        )

    callbacks = training_callbacks(run_dir, config.patience, config.max_minutes)
    keeper, limits = callbacks[1], callbacks[2]
    with distribution.fitting(model, strategy), _known_false_alarms():
        model.fit(
            dataset("train", True), validation_data=dataset("val", False), epochs=config.epochs,
            steps_per_epoch=config.steps_per_epoch,
            callbacks=[LearningRateLogger(), *extra_callbacks, *callbacks], verbose=verbose,
            shuffle=False,  # tf.data shuffles.
        )
    stopped_by = keeper.stopped_by(limits)
    checkpoints.load_trained_part(model, keeper.weights_path)
    checkpoints.save_trained_part(model, run_dir / TRAINED_PART_FILE)
    if not distribution.is_chief():
        return run_dir  # The chief evaluates and records; a worker's folder holds its weights only.
    record_color_metrics(model, run_dir, config, split, keeper.best_epoch, failures, stopped_by)
    _finish(run_dir)
    return run_dir


def _init_weights_file(source):
    """The trained-part file a run starts from: a run folder's, a file, or the shipped "color" weights."""
    from colornn_keras import presets

    path = pathlib.Path(source)
    if source == "color":
        return presets.preset_file(presets.default_preset("color"))
    if path.is_dir():
        path = path / TRAINED_PART_FILE
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


def _finish(run_dir):
    """The run is complete and recorded: the 30 MB resume backup and any STOP file have done their job."""
    shutil.rmtree(run_dir / experiments.CHECKPOINTS_DIR / BACKUP_DIR, ignore_errors=True)
    (run_dir / STOP_FILE).unlink(missing_ok=True)


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
    history = experiments.read_history(run_dir / experiments.HISTORY_FILE)
    metrics = {
        "kept_epoch": None if best_epoch is None else best_epoch + 1,
        "epochs_run": len(history),
        "stopped_by": stopped_by,
        "image_size": config.image_size,
        "variant": config.variant,
        "decode_failures": failures.failed,
        **experiments.code_changes(run_dir),
        **({"decoding": decoding} if decoding else {}),
        **results,
    }
    experiments.write_json(run_dir / experiments.METRICS_FILE, metrics)
    if history:
        experiments.plot_curves(history, run_dir / experiments.CURVES_FILE, best_epoch)
    if config.num_samples and split.get("test"):
        evaluation.write_samples(model, split["test"], config.image_size, run_dir / experiments.SAMPLES_DIR, config.num_samples)
    return metrics


CONSISTENCY_TRAINED_PART_FILE = "consistency_model.trained.h5"
RECURRENT_TRAINED_PART_FILE = "recurrent_model.trained.h5"
# "paper": the previous frame's colours as context (section 3.2); "recurrent": a ConvLSTM memory.
CONSISTENCY_MODELS = ("paper", "recurrent")


def _trained_part_file(config):
    return RECURRENT_TRAINED_PART_FILE if config.model == "recurrent" else CONSISTENCY_TRAINED_PART_FILE


def _build_consistency(color_model, config):
    """The run's model: a `ConsistencyModel`, or a `RecurrentConsistencyModel` (its sequence graph trains)."""
    if config.model == "recurrent":
        return recurrent_models.RecurrentConsistencyModel(color_model, config.window, config.hidden_filters, config.filters)
    return consistency_models.ConsistencyModel(color_model, config.context_filters, config.filters)


@dataclasses.dataclass
class ConsistencyTrainingConfig:
    """Every setting of a consistency-model run; the defaults are the paper's (section 4.2)."""

    videos: str
    color_run: str
    name: str = "consistency"
    stride: int = 1
    epochs: int = 10
    batch_size: int = 15
    learning_rate: float = 1e-3
    split: tuple = clips.PAPER_CLIP_SPLIT
    seed: int = 0
    max_frames_per_clip: int = None
    context_filters: int = 32
    filters: int = 64
    decoding: str = "annealed_mean"
    scheduled_sampling: float = 0.0
    scene_cut_threshold: float = video.DEFAULT_SCENE_CUT_THRESHOLD
    model: str = "paper"
    window: int = 8
    hidden_filters: int = 32
    max_minutes: float = None
    runs_root: str = "experiments"

    def __post_init__(self):
        if self.model not in CONSISTENCY_MODELS:
            raise errors.ColorNNError(f"model must be one of {CONSISTENCY_MODELS}, got {self.model!r}.")
        if self.model == "recurrent" and self.scheduled_sampling:
            raise errors.ColorNNError("Scheduled sampling feeds back colours; the recurrent model has no colour input.")
        for field in ("stride", "epochs", "batch_size", "window", "hidden_filters"):
            if int(getattr(self, field)) < 1:
                raise errors.ColorNNError(f"{field} must be a positive integer, got {getattr(self, field)!r}.")
        if not 0.0 <= self.scheduled_sampling <= 1.0:
            raise errors.ColorNNError(f"scheduled_sampling is a probability in [0, 1], got {self.scheduled_sampling!r}.")
        if self.decoding not in colorspace.DECODING_METHODS:
            raise errors.ColorNNError(f"decoding must be one of {colorspace.DECODING_METHODS}, got {self.decoding!r}.")
        self.split = tuple(self.split)


def train_consistency_model(config, verbose="auto", callbacks=()):
    """Trains the consistency model on clips over a recorded color run's model; returns the run folder."""
    found = clips.find_clips(config.videos)
    split = images.split_files(found, config.split, config.seed)
    color_model, color_config = load_run_model(config.color_run)
    run_dir = experiments.create_run_dir(config.runs_root, config.name)
    dtype_policy = color_model.get_layer(color_models.FEATURES_LAYER).dtype_policy.name
    experiments.write_json(run_dir / experiments.CONFIG_FILE, {
        "kind": "consistency", **dataclasses.asdict(config),
        "image_size": color_config.image_size, "num_bins": color_config.num_bins,
        "precision_used": experiments.precision_used(dtype_policy),
    })
    experiments.write_json(run_dir / experiments.ENVIRONMENT_FILE, experiments.environment_record(dtype_policy))
    experiments.write_json(run_dir / experiments.DATA_FILE, {
        "videos": str(config.videos), "clips_found": len(found),
        "splits": {part: {"count": len(files), "clips": experiments.relative_paths(files, config.videos)}
                   for part, files in split.items()},
    })
    return _fit_consistency(run_dir, config, color_model, color_config.image_size, split, verbose, callbacks)


def _clip_name(path):
    """`clip_folder/file.mp4`: clips are often one file per folder, so the folder names them."""
    return f"{pathlib.Path(path).parent.name}/{pathlib.Path(path).name}"


def _load_clips(files, image_size, config):
    return [clips.load_clip(path, image_size, config.stride, config.max_frames_per_clip) for path in files]


def _fit_consistency(run_dir, config, color_model, image_size, split, verbose, extra_callbacks=()):
    model = _build_consistency(color_model, config)
    # Recurrent: gradients through time can explode, so their norm is clipped.
    optimizer = keras.optimizers.Adam(config.learning_rate, clipnorm=1.0 if config.model == "recurrent" else None)
    trainable = compile_color_model(model, config.learning_rate, optimizer=optimizer)
    num_bins = color_models.num_bins_of(color_model)
    loaded = {part: _load_clips(files, image_size, config) for part, files in split.items() if files}
    keras.utils.set_random_seed(config.seed)
    # No early stopping (the paper trains 10 epochs), but the best validation epoch is kept.
    callbacks = training_callbacks(run_dir, config.epochs + 1, config.max_minutes)
    keeper, limits = callbacks[1], callbacks[2]
    if config.model == "recurrent":
        # Truncated back-propagation through time: windows of k frames, the state from zero in each.
        train_data = clips.make_window_dataset(loaded["train"], config.window, config.batch_size, num_bins,
                                               training=True, seed=config.seed)
        val_data = clips.make_window_dataset(loaded["val"], config.window, config.batch_size, num_bins)
    else:
        train_pairs = clips.FramePairs(loaded["train"])
        if config.scheduled_sampling > 0:
            callbacks.insert(0, keras.callbacks.LambdaCallback(
                on_epoch_begin=lambda epoch, logs: train_pairs.refresh_predictions(color_model, model, config.decoding)))
        train_data = train_pairs.dataset(config.batch_size, num_bins, training=True, seed=config.seed,
                                         sampling_probability=config.scheduled_sampling)
        val_data = clips.make_pair_dataset(loaded["val"], config.batch_size, num_bins)
    trainable.fit(train_data, validation_data=val_data, epochs=config.epochs,
                  callbacks=[*extra_callbacks, *callbacks], verbose=verbose, shuffle=False)
    stopped_by = keeper.stopped_by(limits)
    checkpoints.load_trained_part(trainable, keeper.weights_path)
    checkpoints.save_trained_part(trainable, run_dir / _trained_part_file(config))
    evaluated = {part: split[part] for part in ("val", "test") if part in loaded}
    results = _three_mode_tables(color_model, model, config, evaluated, {part: loaded[part] for part in evaluated})
    history = experiments.read_history(run_dir / experiments.HISTORY_FILE)
    experiments.write_json(run_dir / experiments.METRICS_FILE, {
        "kept_epoch": None if keeper.best_epoch is None else keeper.best_epoch + 1, "epochs_run": len(history),
        "stopped_by": stopped_by,
        **experiments.code_changes(run_dir),
        **results,
    })
    experiments.plot_curves(history, run_dir / experiments.CURVES_FILE, keeper.best_epoch)
    if "test" in loaded and config.model == "paper":
        evaluation.write_sequence_samples(color_model, model, loaded["test"][0], run_dir / experiments.SAMPLES_DIR,
                                          "figure5_test_clip0", method=config.decoding)
    _finish(run_dir)
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


def _read_consistency_run(run_dir):
    """(config, image size, {part: clip paths}) recorded in a consistency run folder."""
    run_dir = pathlib.Path(run_dir)
    if not (run_dir / experiments.CONFIG_FILE).is_file():
        raise errors.RunRecordError(f"{run_dir} is not a run folder (no {experiments.CONFIG_FILE}).")
    recorded = experiments.read_json(run_dir / experiments.CONFIG_FILE)
    if recorded.get("kind") != "consistency":
        raise errors.RunRecordError(f"{run_dir} is not a consistency-model run.")
    experiments.check_settings(run_dir / experiments.CONFIG_FILE, recorded, ConsistencyTrainingConfig,
                               ("kind", "image_size", "num_bins"))
    recorded.pop("kind")
    image_size = recorded.pop("image_size")
    recorded.pop("num_bins")
    recorded.pop("precision_used", None)
    data = experiments.read_json(run_dir / experiments.DATA_FILE)
    split = {part: experiments.resolved_paths(record["clips"], recorded["videos"])
             for part, record in data["splits"].items()}
    return ConsistencyTrainingConfig(**recorded), image_size, split


def load_consistency_run(run_dir):
    """(color model, consistency model, config) of a finished consistency run."""
    run_dir = pathlib.Path(run_dir)
    config, _, _ = _read_consistency_run(run_dir)
    color_model, _ = load_run_model(config.color_run)
    model = _build_consistency(color_model, config)
    checkpoints.load_trained_part(model, run_dir / _trained_part_file(config))
    return color_model, model, config


def evaluate_consistency_run(run_dir, videos=None, keyframes=False, parts=("val", "test")):
    """Recomputes a consistency run's three-mode table on its `parts` clips, or on every clip under
    `videos`; `keyframes` adds the seeded mode and its baselines (`evaluation.keyframe_predictors`)."""
    color_model, model, config = load_consistency_run(run_dir)
    _, image_size, split = _read_consistency_run(run_dir)
    if videos is None:
        split = {part: split[part] for part in parts if split[part]}
    else:
        split = {"all": clips.find_clips(videos)}
    loaded = {part: _load_clips(files, image_size, config) for part, files in split.items()}
    return _three_mode_tables(color_model, model, config, split, loaded, keyframes)
