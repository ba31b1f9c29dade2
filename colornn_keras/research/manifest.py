"""Regenerating the shipped `weights.json` from the runs (`colornn presets --refresh`).

What a person writes in an entry (kind, default, description, data in words, file, settings, run,
color preset) is kept; what can be read off the weights file and the run is rewritten, never typed
in: the file's sha256, the parameter counts, the kept epoch, the split's sizes (the run's
data.json) and the test numbers (the run's metrics.json). `colornn_keras.presets` reads the result.
"""

import pathlib

import keras

from colornn_keras import presets
from colornn_keras import pretrained
from colornn_keras.models import checkpoints
from colornn_keras.models import color
from colornn_keras.research import experiments
from colornn_keras.runs import records


def run_numbers(run_dir, kind, scores=None):
    """What weights.json records of a preset's run, read from its records: the kept epoch, the
    split's sizes (data.json) and the test numbers (metrics.json; or, for a file shipped in another
    form than the run saved, `scores`: `colornn evaluate color --weights-file FILE --output` of it)."""
    run_dir = pathlib.Path(run_dir)
    metrics = records.read_json(run_dir / records.METRICS_FILE)
    data = records.read_json(run_dir / records.DATA_FILE)
    numbers = {"kept_epoch": metrics["kept_epoch"],
               "split": {part: record["count"] for part, record in data["splits"].items()}}
    test = records.read_json(scores)["test"] if scores else metrics["test"]
    if kind == "color":
        numbers["test"] = {key: test[key] for key in (
            "images", "loss", "u_accuracy", "v_accuracy", "gray_baseline_u_accuracy", "gray_baseline_v_accuracy")}
    else:
        overall = test["overall"]
        numbers["test"] = {
            "clips": len(test["per_clip"]),
            **{mode: {key: overall[mode][key] for key in ("loss", "u_accuracy", "v_accuracy")}
               for mode in presets.VIDEO_MODES if mode in overall},
            "gray_baseline": dict(overall["gray_baseline"]),
        }
    return numbers


def parameter_counts(name, entry, folder):
    """(all parameters, trained parameters) of preset `name`'s model, built with random weights.

    No weights file is read: `refresh_manifest` counts before it writes the new checksums, and
    loading a video model's color preset would check that file against the old one.
    """
    if entry["kind"] == "color":
        model = color.ColorModel(**presets.settings(entry), backbone_weights=None)
    else:
        color_entry = presets.preset_entry(presets.color_preset_of(name, entry), folder)
        color_model = color.ColorModel(**presets.settings(color_entry), backbone_weights=None)
        model = pretrained.MODELS[entry["kind"]](color_model, **presets.settings(entry))
    trained = sum(int(keras.ops.size(weight)) for layer in checkpoints.trained_layers(model)
                  for weight in layer.trainable_weights)
    return model.count_params(), trained


def refresh_manifest(folder=None, project_root="."):
    """Rewrites weights.json with what is read off each preset's file and run (sha256, parameter
    counts, kept epoch, split sizes, test numbers), keeping what a person wrote; returns it.

    `project_root` is where the entries' run folders (`experiments/...`) are; a preset whose run
    folder is not there keeps the numbers it had. An entry's "scores" (a JSON file of
    `colornn evaluate color --weights-file`) gives the test numbers of a file shipped in another
    form than its run saved (a fine-tuned backbone stored as its difference from ImageNet's).
    """
    folder = pathlib.Path(folder) if folder else presets.weights_dir()
    entries = presets.read_manifest(folder)
    for name, entry in entries.items():
        entry["sha256"] = presets.sha256_of(folder / entry["file"])
        run_dir = pathlib.Path(project_root) / entry.get("run", "")
        if entry.get("run") and (run_dir / records.METRICS_FILE).is_file():
            scores = entry.get("scores") and pathlib.Path(project_root) / entry["scores"]
            entry.update(run_numbers(run_dir, entry["kind"], scores))
        entry["parameters"], entry["trained_parameters"] = parameter_counts(name, entry, folder)
    experiments.write_json(folder / presets.MANIFEST, {"presets": entries})
    return entries


def write_manifest(folder, entries):
    """Writes weights.json for trained-part files in `folder`: `entries` is {name: entry}, each with
    "kind", "file" and the settings (and "default", "color_preset" where they apply). Checksums are
    added; nothing is built or read beyond the files."""
    folder = pathlib.Path(folder)
    manifest = {"presets": {name: {**entry, "sha256": presets.sha256_of(folder / entry["file"])}
                            for name, entry in entries.items()}}
    experiments.write_json(folder / presets.MANIFEST, manifest)
    return manifest
