"""The shipped weights: the trained parts of the best recorded color and consistency models.

`weights/` holds each trained part (the frozen VGG16 is rebuilt from its ImageNet source) and
`weights/weights.json`, which records for each: the file, its sha256 (checked at load), the
model's settings and the run folder it comes from. See `weights/MODEL_CARD.md`.
"""

import json
import os
import pathlib

from colornn_keras.models import checkpoints
from colornn_keras.models import color as color_models
from colornn_keras.models import consistency as consistency_models
from colornn_keras.models import recurrent as recurrent_models

WEIGHTS_DIR_ENV_VARIABLE = "COLORNN_WEIGHTS_DIR"
MANIFEST = "weights.json"
KINDS = ("color", "consistency", "recurrent")


def weights_dir():
    """`$COLORNN_WEIGHTS_DIR`, else the project's `weights/` folder."""
    default = pathlib.Path(__file__).resolve().parents[1] / "weights"
    return pathlib.Path(os.environ.get(WEIGHTS_DIR_ENV_VARIABLE, default))


def read_manifest(folder=None):
    folder = pathlib.Path(folder) if folder else weights_dir()
    path = folder / MANIFEST
    if not path.is_file():
        raise ValueError(f"No shipped weights: {path} is missing (set {WEIGHTS_DIR_ENV_VARIABLE} to a weights folder).")
    return json.loads(path.read_text())


def _checked_file(entry, folder):
    path = folder / entry["file"]
    if not path.is_file():
        raise ValueError(f"Shipped weights file {path} is missing.")
    digest = checkpoints.sha256_of(path)
    if digest != entry["sha256"]:
        raise ValueError(f"{path} has sha256 {digest}, but {MANIFEST} records {entry['sha256']}: refusing a "
                         "changed or damaged weights file.")
    return path


def load_pretrained(kind="color", folder=None, dtype=None):
    """Builds the shipped model ("color" or "consistency") and loads its checked weights, offline.

    For "consistency", returns (color_model, consistency_model): the first is frozen inside the
    second; for "recurrent", (color_model, `RecurrentModels`).
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}.")
    folder = pathlib.Path(folder) if folder else weights_dir()
    manifest = read_manifest(folder)
    settings = manifest["color"]
    color_model = color_models.build_color_model(
        image_size=settings["image_size"], num_bins=settings["num_bins"], dtype=dtype
    )
    checkpoints.load_trained_part(color_model, _checked_file(settings, folder))
    if kind == "color":
        return color_model
    if kind not in manifest:
        raise ValueError(f"{folder / MANIFEST} ships no {kind} model; train one (colornn train consistency"
                         f"{' --model recurrent' if kind == 'recurrent' else ''}) and pass its run with --consistency-run.")
    settings = manifest[kind]
    if kind == "recurrent":
        models = recurrent_models.build_recurrent_model(
            color_model, settings["window"], settings["hidden_filters"], settings["filters"])
        checkpoints.load_trained_part(models.sequence, _checked_file(settings, folder))
        return color_model, models
    model = consistency_models.build_consistency_model(color_model, settings["context_filters"], settings["filters"])
    checkpoints.load_trained_part(model, _checked_file(settings, folder))
    return color_model, model


def write_manifest(folder, entries):
    """Writes weights.json for trained-part files: entries {kind: {"file", settings..., "run"}}."""
    from colornn_keras import experiments

    folder = pathlib.Path(folder)
    manifest = {kind: {**entry, "sha256": checkpoints.sha256_of(folder / entry["file"])} for kind, entry in entries.items()}
    experiments.write_json(folder / MANIFEST, manifest)
    return manifest
