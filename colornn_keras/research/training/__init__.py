"""Training runs: callbacks, the training procedures, and resuming; their settings are
`colornn_keras.runs.configs`, re-exported here since every procedure takes one.

- `callbacks.py`: what every run has: its history, its best epoch, its time and STOP-file
  limits, pausing between sittings, and the backup a killed run resumes from.
- `color.py`: `train_color_model` (`colornn train color`): the photos' selection and split,
  compiling, fitting, scoring and recording; `evaluate_run` scores a finished run again.
- `consistency.py`: `train_consistency_model` (`colornn train consistency`) over a color run, and
  its video tables; `evaluate_consistency_run`.
- `flow_guided.py`: `train_flow_guided_model` (`colornn train flow-guided`), beyond the paper.
- `resume.py`: `resume_run` continues a killed or paused run of either kind.
- `distribution.py`: a run spread over several GPUs or machines; `rebalancing.py`: class rebalancing.

A finished run's models are loaded by the library (`colornn_keras.runs.loading`). Everything a
caller of the procedures uses is importable from here: `from colornn_keras.research import
training; training.train_color_model(training.ColorTrainingConfig(data=...))`.
"""

from colornn_keras.research.training.callbacks import BACKUP_DIR
from colornn_keras.research.training.callbacks import BEST_WEIGHTS_FILE
from colornn_keras.research.training.callbacks import KEPT_WEIGHTS_FILE
from colornn_keras.research.training.callbacks import STOP_FILE
from colornn_keras.research.training.callbacks import BestEpochKeeper
from colornn_keras.research.training.callbacks import HistoryRecorder
from colornn_keras.research.training.callbacks import LearningRateLogger
from colornn_keras.research.training.callbacks import PauseAt
from colornn_keras.research.training.callbacks import RunLimits
from colornn_keras.research.training.callbacks import TrainingPaused
from colornn_keras.research.training.callbacks import remove_resume_state
from colornn_keras.research.training.callbacks import restored_epoch
from colornn_keras.research.training.callbacks import training_callbacks
from colornn_keras.research.training.color import BIN_HISTOGRAM_FILE
from colornn_keras.research.training.color import BIN_WEIGHTS_FILE
from colornn_keras.research.training.color import MAX_TRAIN_EVALUATION
from colornn_keras.research.training.color import WIDE_TEST
from colornn_keras.research.training.color import compile_color_model
from colornn_keras.research.training.color import evaluate_run
from colornn_keras.research.training.color import make_optimizer
from colornn_keras.research.training.color import read_color_run
from colornn_keras.research.training.color import record_color_metrics
from colornn_keras.research.training.color import score_parts
from colornn_keras.research.training.color import select_and_split
from colornn_keras.research.training.color import train_color_model
from colornn_keras.research.training.consistency import evaluate_consistency_run
from colornn_keras.research.training.consistency import read_consistency_run
from colornn_keras.research.training.consistency import train_consistency_model
from colornn_keras.research.training.resume import resume_run
from colornn_keras.runs.configs import CONSISTENCY_MODELS
from colornn_keras.runs.configs import OPTIMIZERS
from colornn_keras.runs.configs import SCHEDULES
from colornn_keras.runs.configs import ColorTrainingConfig
from colornn_keras.runs.configs import ConsistencyTrainingConfig
from colornn_keras.runs.configs import FlowGuidedTrainingConfig

__all__ = [
    "BACKUP_DIR", "BEST_WEIGHTS_FILE", "KEPT_WEIGHTS_FILE", "BIN_HISTOGRAM_FILE", "BIN_WEIGHTS_FILE", "CONSISTENCY_MODELS",
    "MAX_TRAIN_EVALUATION", "OPTIMIZERS", "SCHEDULES", "STOP_FILE", "WIDE_TEST", "BestEpochKeeper",
    "ColorTrainingConfig", "ConsistencyTrainingConfig", "FlowGuidedTrainingConfig", "HistoryRecorder",
    "LearningRateLogger", "PauseAt", "RunLimits", "TrainingPaused", "compile_color_model", "evaluate_consistency_run",
    "evaluate_run", "make_optimizer", "read_color_run", "read_consistency_run", "record_color_metrics",
    "remove_resume_state", "restored_epoch", "score_parts", "select_and_split", "train_color_model",
    "train_consistency_model", "training_callbacks", "resume_run",
]
