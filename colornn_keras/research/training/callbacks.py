"""The callbacks every training run has: its history, its best epoch, its limits, its backup.

Together they make a run that can be killed at any point and resumed (`keras.callbacks.BackupAndRestore`)
with each epoch recorded once, and that ends cleanly, with its best epoch kept, when a time budget
or a STOP file says so.
"""

import contextlib
import json
import os
import pathlib
import shutil
import time

import keras

from colornn_keras.models import checkpoints
from colornn_keras.research import experiments
from colornn_keras.runs import records

BEST_WEIGHTS_FILE = "best.trained.h5"  # In checkpoints/, for runs recorded before KEPT_WEIGHTS_FILE.
# The kept epoch's trained part, in the run folder beside its records: it outlives the cache
# that holds the resume backup, and can be committed.
KEPT_WEIGHTS_FILE = "kept.trained.h5"
BACKUP_DIR = "backup"
STOP_FILE = "STOP"
# Other processes using more than this many cores on average during an epoch shared the machine.
SHARED_CORES_THRESHOLD = 0.25
# history.csv's throughput columns: colour runs count photos, video runs frames.
PHOTOS_PER_SECOND, FRAMES_PER_SECOND = "photos_per_second", "frames_per_second"


class LearningRateLogger(keras.callbacks.Callback):
    """Adds the optimizer's current rate to each epoch's logs (so history.csv has it)."""

    def on_epoch_end(self, epoch, logs=None):
        if logs is not None:
            logs["learning_rate"] = float(keras.ops.convert_to_numpy(self.model.optimizer.learning_rate))


def _machine_busy_seconds():
    """CPU seconds every process on the machine has spent so far (/proc/stat), or None."""
    try:
        fields = pathlib.Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    except (OSError, IndexError):
        return None
    user, nice, system, _idle, _iowait, irq, softirq = (int(value) for value in fields[:7])
    return (user + nice + system + irq + softirq) / os.sysconf("SC_CLK_TCK")


class ThroughputLogger(keras.callbacks.Callback):
    """Adds to each epoch's logs its training photos (or video frames: `column`) per second,
    validation excluded, and the cores other processes kept busy meanwhile (`other_processes_cores`,
    from /proc/stat less this process's own CPU time), so that history.csv says whether the run had
    the machine to itself. `batch_size` counts the photos or frames of one step."""

    def __init__(self, batch_size, column=PHOTOS_PER_SECOND):
        super().__init__()
        self.batch_size, self.column = batch_size, column

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()
        self.machine_start, self.own_start = _machine_busy_seconds(), _own_cpu_seconds()
        self.steps, self.training_seconds = 0, None

    def on_train_batch_end(self, batch, logs=None):
        self.steps += 1

    def on_test_begin(self, logs=None):
        if self.training_seconds is None:  # Validation within fit: the training part has ended.
            self.training_seconds = time.perf_counter() - self.start

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        elapsed = time.perf_counter() - self.start
        logs[self.column] = self.steps * self.batch_size / (self.training_seconds or elapsed)
        machine = _machine_busy_seconds()
        if machine is not None and self.machine_start is not None:
            others = (machine - self.machine_start) - (_own_cpu_seconds() - self.own_start)
            logs["other_processes_cores"] = max(0.0, others / elapsed)


def _own_cpu_seconds():
    times = os.times()
    return times.user + times.system


def machine_share(history, column=PHOTOS_PER_SECOND):
    """metrics.json's summary of `ThroughputLogger`'s columns: photos (or frames: `column`) per
    second per epoch and whether other processes shared the cores (None where the history does not
    have them)."""
    rows = [row for row in history if column in row]
    if not rows:
        return None
    others = [row.get("other_processes_cores", 0.0) for row in rows]
    return {f"{column}_per_epoch": [round(row[column], 2) for row in rows],
            "other_processes_cores_max": round(max(others), 2),
            "cores_shared": max(others) > SHARED_CORES_THRESHOLD,
            "shared_means": f"other processes kept more than {SHARED_CORES_THRESHOLD} of a core busy in an epoch"}


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
        # After the fit's last epoch no other would run: the epoch limit ended it, not the budget.
        last = epoch + 1 >= self.params.get("epochs", float("inf"))
        if self.stop_file.exists():
            self.reason = "stop file"
        elif not last and self.max_seconds is not None and now - self.start + (now - self.epoch_start) > self.max_seconds:
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


def kept_weights_path(run_dir):
    """The kept epoch's trained part: in the run folder (in checkpoints/ for older runs)."""
    run_dir = pathlib.Path(run_dir)
    legacy = run_dir / experiments.CHECKPOINTS_DIR
    if experiments.checkpoint_dir(run_dir) == legacy:
        return legacy / BEST_WEIGHTS_FILE
    return run_dir / KEPT_WEIGHTS_FILE


def backup_dir(run_dir):
    return experiments.checkpoint_dir(run_dir) / BACKUP_DIR


def resume_point(run_dir, monitor="val_loss"):
    """Where a run goes on from: ("backup", epoch) where its resume backup is there, ("kept
    weights", epoch after the kept one) where the backup is gone but the kept weights and history
    remain, or ("start", 0)."""
    epoch = restored_epoch(backup_dir(run_dir))
    if epoch:
        return "backup", epoch
    history = [row for row in experiments.read_history(pathlib.Path(run_dir) / records.HISTORY_FILE)
               if monitor in row]
    if history and kept_weights_path(run_dir).is_file():
        return "kept weights", 1 + min(history, key=lambda row: row[monitor])["epoch"]
    return "start", 0


def restore_kept_weights(model, run_dir, epoch, steps_per_epoch):
    """Loads the kept weights into a compiled model and sets its optimizer's step count to the
    start of `epoch`, so that a learning-rate schedule goes on where it was (Adam's moments
    start afresh: they were in the lost backup)."""
    checkpoints.load_trained_part(model, kept_weights_path(run_dir))
    model.optimizer.iterations.assign(epoch * steps_per_epoch)


def training_callbacks(run_dir, patience, max_minutes=None, monitor="val_loss", initial_epoch=None, batch_size=None,
                       throughput_column=PHOTOS_PER_SECOND):
    """The callbacks of every run: throughput, history, best epoch, limits, backup.

    `initial_epoch` defaults to the backup's; `batch_size` (global, in photos or frames a step)
    turns on `ThroughputLogger`, which logs `throughput_column`.
    The backup comes last so that it saves an epoch only once that epoch is recorded.
    """
    if initial_epoch is None:
        initial_epoch = restored_epoch(backup_dir(run_dir))
    history_path = pathlib.Path(run_dir) / records.HISTORY_FILE
    return [
        *([ThroughputLogger(batch_size, throughput_column)] if batch_size else []),
        HistoryRecorder(history_path, initial_epoch),
        BestEpochKeeper(kept_weights_path(run_dir), history_path, monitor, patience, initial_epoch),
        RunLimits(run_dir, max_minutes),
        keras.callbacks.BackupAndRestore(str(backup_dir(run_dir)), save_freq="epoch", delete_checkpoint=False),
    ]


def keeper_and_limits(callbacks):
    """The `BestEpochKeeper` and `RunLimits` among `training_callbacks`' list, for what ended the run."""
    return tuple(next(callback for callback in callbacks if isinstance(callback, kind))
                 for kind in (BestEpochKeeper, RunLimits))


def remove_resume_state(run_dir):
    """The run is complete and recorded: its resume backup (30-60 MB, in the cache), its kept
    weights (now the run's trained part) and any STOP file have done their job."""
    run_dir = pathlib.Path(run_dir)
    checkpoint_dir = experiments.checkpoint_dir(run_dir)
    shutil.rmtree(checkpoint_dir / BACKUP_DIR, ignore_errors=True)
    if checkpoint_dir != run_dir / experiments.CHECKPOINTS_DIR:
        kept_weights_path(run_dir).unlink(missing_ok=True)
        with contextlib.suppress(OSError):
            checkpoint_dir.rmdir()  # Only if nothing else (a features cache) is left in it.
    (run_dir / STOP_FILE).unlink(missing_ok=True)
