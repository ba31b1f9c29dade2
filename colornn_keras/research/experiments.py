"""Run folders: one per run, never overwritten, with the same record files every time
(`colornn_keras.runs.records` names them and reads them back): where a run's resume state lives,
its JSON records, its history of epochs and the data paths it records.

What ran is `provenance.py`; plots of runs `plots.py`; tables of runs `tables.py`.
"""

import csv
import datetime
import hashlib
import json
import pathlib

from colornn_keras import backbone
from colornn_keras import errors
from colornn_keras import files
from colornn_keras.runs import records

CHECKPOINTS_DIR = "checkpoints"  # Inside the run folder: runs recorded before checkpoint_dir existed.
# Resume state (30-60 MB an epoch) lives outside the work tree, under the cache folder, so that a
# run folder holds only its records and its kept weights.
CHECKPOINTS_CACHE = "checkpoints"


def create_run_dir(root, name, date=None):
    """Creates `root/<date>_<name>` (or `..._<name>_2`, `_3`, ... if taken); never reuses a folder."""
    if not name or any(character in name for character in "/\\") or name.startswith("."):
        raise errors.ColorNNError(f"Run name {name!r} must be a plain folder name (no slashes, no leading dot).")
    root = pathlib.Path(root)
    root.mkdir(parents=True, exist_ok=True)
    stem = f"{date or datetime.date.today().isoformat()}_{name}"
    for attempt in range(1, 1000):
        candidate = root / (stem if attempt == 1 else f"{stem}_{attempt}")
        try:
            candidate.mkdir()  # Atomic: fails if another run took the name first.
        except FileExistsError:
            continue
        return candidate
    raise errors.OutputError(f"Too many runs named {stem} in {root}.")


def new_checkpoint_dir(run_dir):
    """A cache folder outside the work tree for a new run's resume state: named after the run
    folder and a digest of its full path, so two work trees' runs of one name never share it."""
    run_dir = pathlib.Path(run_dir).resolve()
    digest = hashlib.sha256(str(run_dir).encode()).hexdigest()[:12]
    return backbone.cache_dir() / CHECKPOINTS_CACHE / f"{run_dir.name}-{digest}"


def checkpoint_dir(run_dir):
    """Where a run's resume state lives: the folder its environment.json records, or its own
    checkpoints/ for a run recorded before that was recorded."""
    run_dir = pathlib.Path(run_dir)
    environment = run_dir / records.ENVIRONMENT_FILE  # A worker's temporary folder has none.
    recorded = records.read_json(environment).get("checkpoint_dir") if environment.is_file() else None
    return pathlib.Path(recorded) if recorded else run_dir / CHECKPOINTS_DIR


def write_json(path, data):
    """Writes JSON atomically (temporary file beside it, then rename)."""
    with files.atomic_write(path) as temporary, open(temporary, "w") as file:
        json.dump(data, file, indent=2, sort_keys=False, default=str)
        file.write("\n")


def relative_paths(paths, root):
    """Data paths as a record keeps them: relative to the data folder `root` where they lie in it
    (the record then holds wherever the data is copied), else as they are."""
    recorded = []
    for path in paths:
        try:
            recorded.append(str(pathlib.Path(path).relative_to(root)))
        except ValueError:
            recorded.append(str(path))
    return recorded


def resolved_paths(recorded, root):
    """Recorded data paths made usable again (`relative_paths` undone): relative ones joined to
    `root`, absolute ones as they are."""
    return [str(pathlib.Path(root) / path) for path in recorded]


def read_history(path):
    """history.csv as a list of dicts with float values ("epoch" as int)."""
    path = pathlib.Path(path)
    if not path.is_file():
        return []
    with open(path, newline="") as file:
        rows = list(csv.DictReader(file))
    return [
        {key: (int(value) if key == "epoch" else float(value)) for key, value in row.items() if value != ""}
        for row in rows
    ]


def write_history(path, rows):
    """Writes per-epoch rows (dicts) to history.csv atomically, sorted by epoch."""
    rows = sorted(rows, key=lambda row: row["epoch"])
    columns = ["epoch"] + sorted({key for row in rows for key in row if key != "epoch"})
    with files.atomic_write(path) as temporary, open(temporary, "w", newline="") as file:
        writer = csv.DictWriter(file, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)

