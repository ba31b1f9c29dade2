"""A run folder's records: their names, and reading them back checked.

A run folder `experiments/<date>_<name>/` (made by `colornn_keras.research.experiments`, never
overwritten) holds:
- `config.json`: every setting after defaults were resolved (enough to rerun it);
- `environment.json`: package versions, CPU, precision, the VGG16 weights' sha256, the git commit
  and whether the code differed from it (with a hash of the difference);
- `data.json`: the split's file lists with sizes and digests, and the files left out and why;
- `history.csv`: one row per epoch;
- `metrics.json`: results at the kept epoch;
- `curves.png`: loss and accuracy curves;
- `color_model.trained.h5` (or the video model's): the trained part of the model;
- `samples/`: pictures of dataset content (git-ignored).
"""

import dataclasses
import json
import pathlib

from colornn_keras import errors

CONFIG_FILE = "config.json"
ENVIRONMENT_FILE = "environment.json"
DATA_FILE = "data.json"
HISTORY_FILE = "history.csv"
METRICS_FILE = "metrics.json"
CURVES_FILE = "curves.png"
SAMPLES_DIR = "samples"
# The trained part of each kind of run's model (`models.checkpoints.save_trained_part`).
COLOR_TRAINED_PART_FILE = "color_model.trained.h5"
CONSISTENCY_TRAINED_PART_FILE = "consistency_model.trained.h5"
RECURRENT_TRAINED_PART_FILE = "recurrent_model.trained.h5"
FLOW_GUIDED_TRAINED_PART_FILE = "flow_guided_model.trained.h5"
# What config.json records beside the settings (it is not a setting, so not read back as one).
RECORDED_BESIDE_SETTINGS = ("precision_used",)


def read_json(path):
    """A record's JSON; a `RunRecordError` naming the file if it is missing or damaged."""
    try:
        with open(path) as file:
            return json.load(file)
    except FileNotFoundError:
        raise errors.RunRecordError(f"{path} is missing.") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise errors.RunRecordError(f"{path} is not valid JSON ({error}).") from error
    except OSError as error:
        raise errors.RunRecordError(f"Cannot read {path}: {error.strerror}.") from error


def check_settings(path, recorded, settings_class, not_settings=("kind",)):
    """A `RunRecordError` naming `path` unless `recorded` (a config.json) holds exactly the
    settings `settings_class` (a dataclass) takes: a run recorded by another version of the code
    may have settings this one does not know, or lack ones it needs."""
    if not isinstance(recorded, dict):
        raise errors.RunRecordError(f"{path} does not hold a run's settings (a JSON object).")
    fields = {field.name: field for field in dataclasses.fields(settings_class)}
    unknown = sorted(set(recorded) - set(fields) - set(not_settings) - set(RECORDED_BESIDE_SETTINGS))
    if unknown:
        raise errors.RunRecordError(f"{path} records settings this version does not know: {', '.join(unknown)}.")
    missing = sorted(name for name, field in fields.items() if name not in recorded
                     and field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING)
    if missing:
        raise errors.RunRecordError(f"{path} lacks the settings {', '.join(missing)}.")


def read_run_config(run_dir, kind, settings_class, not_settings=()):
    """(settings, recorded): a run folder's config.json read back as `settings_class` (a dataclass),
    after checking that it is a run of `kind` with exactly the settings this version knows, and the
    whole recorded dict (which also holds `not_settings`, such as the model's image size)."""
    run_dir = pathlib.Path(run_dir)
    path = run_dir / CONFIG_FILE
    if not path.is_file():
        raise errors.RunRecordError(f"{run_dir} is not a run folder (no {CONFIG_FILE}).")
    recorded = read_json(path)
    if not isinstance(recorded, dict) or recorded.get("kind") != kind:
        raise errors.RunRecordError(f"{run_dir} is not a {kind.replace('_', '-')} run.")
    skipped = ("kind", *not_settings)
    check_settings(path, recorded, settings_class, skipped)
    settings = {key: value for key, value in recorded.items()
                if key not in skipped and key not in RECORDED_BESIDE_SETTINGS}
    return settings_class(**settings), recorded
