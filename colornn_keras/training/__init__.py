"""Training runs: settings, callbacks, the two training procedures, and resuming.

- `configs.py`: `ColorTrainingConfig`, `ConsistencyTrainingConfig` and
  `FlowGuidedTrainingConfig`, every setting of a run (the defaults are the paper's protocol).
- `callbacks.py`: what every run has: its history, its best epoch, its time and STOP-file
  limits, pausing between sittings, and the backup a killed run resumes from.
- `color.py`: `train_color_model` (`colornn train color`): the photos' selection and split,
  compiling, fitting, scoring and recording; `load_run_model` and `evaluate_run` read a run back.
- `consistency.py`: `train_consistency_model` (`colornn train consistency`) over a color run, and
  its video tables; `load_consistency_run` and `evaluate_consistency_run`.
- `resume.py`: `resume_run` continues a killed or paused run of either kind.

Everything a caller uses is importable from here: `from colornn_keras import training;
training.train_color_model(...)`.
"""

from colornn_keras.training.callbacks import BACKUP_DIR
from colornn_keras.training.callbacks import BEST_WEIGHTS_FILE
from colornn_keras.training.callbacks import KEPT_WEIGHTS_FILE
from colornn_keras.training.callbacks import STOP_FILE
from colornn_keras.training.callbacks import BestEpochKeeper
from colornn_keras.training.callbacks import HistoryRecorder
from colornn_keras.training.callbacks import LearningRateLogger
from colornn_keras.training.callbacks import PauseAt
from colornn_keras.training.callbacks import RunLimits
from colornn_keras.training.callbacks import TrainingPaused
from colornn_keras.training.callbacks import remove_resume_state
from colornn_keras.training.callbacks import restored_epoch
from colornn_keras.training.callbacks import training_callbacks
from colornn_keras.training.color import BIN_HISTOGRAM_FILE
from colornn_keras.training.color import BIN_WEIGHTS_FILE
from colornn_keras.training.color import MAX_TRAIN_EVALUATION
from colornn_keras.training.color import TRAINED_PART_FILE
from colornn_keras.training.color import WIDE_TEST
from colornn_keras.training.color import compile_color_model
from colornn_keras.training.color import evaluate_run
from colornn_keras.training.color import load_run_model
from colornn_keras.training.color import make_optimizer
from colornn_keras.training.color import read_color_run
from colornn_keras.training.color import record_color_metrics
from colornn_keras.training.color import score_parts
from colornn_keras.training.color import select_and_split
from colornn_keras.training.color import train_color_model
from colornn_keras.training.configs import CONSISTENCY_MODELS
from colornn_keras.training.configs import OPTIMIZERS
from colornn_keras.training.configs import SCHEDULES
from colornn_keras.training.configs import ColorTrainingConfig
from colornn_keras.training.configs import ConsistencyTrainingConfig
from colornn_keras.training.configs import FlowGuidedTrainingConfig
from colornn_keras.training.consistency import CONSISTENCY_TRAINED_PART_FILE
from colornn_keras.training.consistency import RECURRENT_TRAINED_PART_FILE
from colornn_keras.training.consistency import evaluate_consistency_run
from colornn_keras.training.consistency import load_consistency_run
from colornn_keras.training.consistency import read_consistency_run
from colornn_keras.training.consistency import train_consistency_model
from colornn_keras.training.resume import resume_run

__all__ = [
    "BACKUP_DIR", "BEST_WEIGHTS_FILE", "KEPT_WEIGHTS_FILE", "BIN_HISTOGRAM_FILE", "BIN_WEIGHTS_FILE", "CONSISTENCY_MODELS",
    "CONSISTENCY_TRAINED_PART_FILE", "MAX_TRAIN_EVALUATION", "OPTIMIZERS", "RECURRENT_TRAINED_PART_FILE",
    "SCHEDULES", "STOP_FILE", "TRAINED_PART_FILE", "WIDE_TEST", "BestEpochKeeper", "ColorTrainingConfig",
    "ConsistencyTrainingConfig", "FlowGuidedTrainingConfig", "HistoryRecorder", "LearningRateLogger", "PauseAt", "RunLimits", "TrainingPaused",
    "compile_color_model", "evaluate_consistency_run", "evaluate_run", "load_consistency_run", "load_run_model",
    "make_optimizer", "read_color_run", "read_consistency_run", "record_color_metrics", "remove_resume_state",
    "restored_epoch", "score_parts", "select_and_split", "train_color_model", "train_consistency_model",
    "training_callbacks", "resume_run",
]
