"""The shipped models by name: `ColorModel.from_preset("colornn_water_128")`, `colornn presets`.

The weights ship inside the package, in `colornn_keras/weights/`: each model's trained part (the
frozen VGG16 is rebuilt from its ImageNet source) and `weights.json`, which describes every
preset. An entry holds what a person writes (kind, whether it is the default of its kind, a
description, the data in words, the file, the model's settings, the run folder it comes from and,
for a video model, the color preset it stands on) and what `refresh_manifest` reads off the file
and the run, never typed in: the file's sha256 (checked at every load), the parameter counts,
the split's sizes (the run's data.json) and the test numbers (the run's metrics.json). The
README's table of presets is `colornn presets --markdown`; tests check that both agree with
the runs.

Several presets of one kind can coexist; exactly one per kind is marked `"default": true`, and it
is what `load_pretrained(kind)` and the command line load.

This module reads JSON only at import, so that `colornn presets` answers without TensorFlow;
the models are imported when one is loaded.
"""

import json
import os
import pathlib

from colornn_keras import errors

WEIGHTS_DIR_ENV_VARIABLE = "COLORNN_WEIGHTS_DIR"
MANIFEST = "weights.json"
KINDS = ("color", "consistency", "recurrent")
# The settings each kind's model is built with, as weights.json names them.
SETTINGS = {
    "color": ("image_size", "num_bins", "variant", "fine_tune_from", "deepest_tap"),
    "consistency": ("context_filters", "filters", "residual"),
    "recurrent": ("window", "hidden_filters", "filters"),
}
# The modes of a video model's test table worth listing, in this order.
VIDEO_MODES = ("teacher_forced", "free_running", "recurrent", "per_frame")


def weights_dir():
    """`$COLORNN_WEIGHTS_DIR`, else the `weights/` folder inside the installed package."""
    default = pathlib.Path(__file__).resolve().parent / "weights"
    return pathlib.Path(os.environ.get(WEIGHTS_DIR_ENV_VARIABLE, default))


def read_manifest(folder=None):
    """{preset name: entry} of a weights folder (default: `weights_dir()`), checked for one default
    per kind; a `WeightsError` naming the file if it is missing or does not hold presets."""
    folder = pathlib.Path(folder) if folder else weights_dir()
    path = folder / MANIFEST
    if not path.is_file():
        raise errors.WeightsError(
            f"No shipped weights: {path} is missing (set {WEIGHTS_DIR_ENV_VARIABLE} to a weights folder).")
    try:
        manifest = json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise errors.WeightsError(f"{path} is not valid JSON ({error}).") from error
    if isinstance(manifest, dict) and manifest and set(manifest) <= set(KINDS):
        # weights.json as it was before presets had names; no shipped folder has used it since.
        raise errors.WeightsError(
            f"{path} lists models by kind, the format from before presets had names; rewrite it as "
            '{"presets": {NAME: ENTRY}}, each entry with its "kind" and "default": true, and a video model\'s '
            'with "color_preset": the name of its color entry.')
    if isinstance(manifest, dict) and isinstance(manifest.get("presets"), dict):
        presets = manifest["presets"]
    else:
        raise errors.WeightsError(f"{path} does not list presets (a \"presets\" object).")
    for name, entry in presets.items():
        if entry.get("kind") not in KINDS:
            raise errors.WeightsError(f"{path}: preset {name!r} has kind {entry.get('kind')!r}, not one of {KINDS}.")
    for kind in KINDS:
        defaults = [name for name, entry in presets.items() if entry["kind"] == kind and entry.get("default")]
        if len(defaults) > 1:
            raise errors.WeightsError(f"{path} marks several {kind} presets as the default: {', '.join(defaults)}.")
    return presets


def names(kind=None, folder=None):
    """The preset names of a weights folder, of one kind or all."""
    return [name for name, entry in read_manifest(folder).items() if kind is None or entry["kind"] == kind]


def default_preset(kind, folder=None):
    """The name of the default preset of `kind` (the only one, where a kind has one preset)."""
    if kind not in KINDS:
        raise errors.ColorNNError(f"kind must be one of {KINDS}, got {kind!r}.")
    presets = read_manifest(folder)
    of_kind = [name for name, entry in presets.items() if entry["kind"] == kind]
    defaults = [name for name in of_kind if presets[name].get("default")]
    if defaults or len(of_kind) == 1:
        return (defaults or of_kind)[0]
    folder = pathlib.Path(folder) if folder else weights_dir()
    if not of_kind:
        raise errors.WeightsError(
            f"{folder / MANIFEST} ships no {kind} model; train one (colornn train consistency"
            f"{' --model recurrent' if kind == 'recurrent' else ''}) and pass its run with --consistency-run.")
    raise errors.WeightsError(f"{folder / MANIFEST} lists {kind} presets {', '.join(of_kind)} but marks none as the default.")


def preset_entry(name, folder=None):
    """The weights.json entry of preset `name`; a `WeightsError` listing the names otherwise."""
    presets = read_manifest(folder)
    if name not in presets:
        raise errors.WeightsError(f"No preset named {name!r}; the presets are {', '.join(presets)} (colornn presets).")
    return presets[name]


def preset_file(name, folder=None):
    """The path of preset `name`'s weights file, its sha256 checked against weights.json."""
    from colornn_keras.models import checkpoints

    folder = pathlib.Path(folder) if folder else weights_dir()
    entry = preset_entry(name, folder)
    path = folder / entry["file"]
    if not path.is_file():
        raise errors.WeightsError(f"Shipped weights file {path} is missing.")
    digest = checkpoints.sha256_of(path)
    if digest != entry["sha256"]:
        raise errors.WeightsError(f"{path} has sha256 {digest}, but {MANIFEST} records {entry['sha256']}: refusing a "
                                  "changed or damaged weights file.")
    return path


def _settings(entry):
    """The model settings a weights.json entry holds (`SETTINGS` of its kind)."""
    return {setting: entry[setting] for setting in SETTINGS[entry["kind"]] if setting in entry}


def _color_preset_of(name, entry):
    """The name of the color preset that video preset `name` stands on."""
    if entry.get("color_preset") is None:
        raise errors.WeightsError(f"The {entry['kind']} preset {name!r} names no color_preset to stand on.")
    return entry["color_preset"]


def _video_model(entry, color_model):
    """A video preset's model, its trained parts random, on `color_model`."""
    from colornn_keras.models import consistency, recurrent

    if entry["kind"] == "consistency":
        return consistency.ConsistencyModel(color_model, **_settings(entry))
    return recurrent.RecurrentConsistencyModel(color_model, **_settings(entry))


def _build(name, entry, dtype, folder, imagenet_weights="imagenet"):
    """Preset `name`'s model with random trained parts (and, for a color model, VGG16's ImageNet
    weights, `imagenet_weights` where they have been read); a video model's color model is its
    color preset, loaded."""
    from colornn_keras.models import color

    if entry["kind"] == "color":
        return color.ColorModel(**_settings(entry), backbone_weights=imagenet_weights, dtype=dtype)
    color_model = load_preset(_color_preset_of(name, entry), kind="color", dtype=dtype, folder=folder)
    return _video_model(entry, color_model)


def load_preset(name, kind=None, dtype=None, folder=None):
    """Builds preset `name` and loads its checked weights, offline.

    Args:
        name: str, a preset of `colornn presets`, such as "colornn_water_128".
        kind: None, or the kind the caller expects ("color", "consistency", "recurrent"); a
            preset of another kind is refused, saying which class loads it.
        dtype: a Keras dtype policy for the model (and its color model), such as "mixed_bfloat16".
        folder: a weights folder; default `weights_dir()`.

    Returns:
        A `ColorModel`, `ConsistencyModel` or `RecurrentConsistencyModel` (the last two reach
        their color model as `.color_model`).
    """
    from colornn_keras import backbone
    from colornn_keras.models import checkpoints

    folder = pathlib.Path(folder) if folder else weights_dir()
    entry = preset_entry(name, folder)
    if kind is not None and entry["kind"] != kind:
        loader = {"color": "ColorModel", "consistency": "ConsistencyModel", "recurrent": "RecurrentConsistencyModel"}
        raise errors.WeightsError(f"{name!r} is a {entry['kind']} preset; load it with "
                                  f"{loader[entry['kind']]}.from_preset({name!r}).")
    path = preset_file(name, folder)
    # Read once: VGG16 is built with them, and a fine-tuned block stored as differences adds to them.
    imagenet = backbone.load_vgg16_weights() if entry["kind"] == "color" else None
    model = _build(name, entry, dtype, folder, imagenet)
    return checkpoints.load_trained_part(model, path, imagenet_weights=imagenet)


# --- What the presets are: generated from the runs, listed by `colornn presets` -----------------


def run_numbers(run_dir, kind, scores=None):
    """What weights.json records of a preset's run, read from its records: the kept epoch, the
    split's sizes (data.json) and the test numbers (metrics.json; or, for a file shipped in another
    form than the run saved, `scores`: `colornn evaluate color --weights-file FILE --output` of it)."""
    run_dir = pathlib.Path(run_dir)
    metrics = json.loads((run_dir / "metrics.json").read_text())
    data = json.loads((run_dir / "data.json").read_text())
    numbers = {"kept_epoch": metrics["kept_epoch"],
               "split": {part: record["count"] for part, record in data["splits"].items()}}
    test = json.loads(pathlib.Path(scores).read_text())["test"] if scores else metrics["test"]
    if kind == "color":
        numbers["test"] = {key: test[key] for key in (
            "images", "loss", "u_accuracy", "v_accuracy", "gray_baseline_u_accuracy", "gray_baseline_v_accuracy")}
    else:
        overall = test["overall"]
        numbers["test"] = {
            "clips": len(test["per_clip"]),
            **{mode: {key: overall[mode][key] for key in ("loss", "u_accuracy", "v_accuracy")}
               for mode in VIDEO_MODES if mode in overall},
            "gray_baseline": dict(overall["gray_baseline"]),
        }
    return numbers


def _parameter_counts(name, entry, folder):
    """(all parameters, trained parameters) of preset `name`'s model, built with random weights.

    No weights file is read: `refresh_manifest` counts before it writes the new checksums, and
    loading a video model's color preset would check that file against the old one.
    """
    import keras

    from colornn_keras.models import checkpoints, color

    if entry["kind"] == "color":
        model = color.ColorModel(**_settings(entry), backbone_weights=None)
    else:
        color_entry = preset_entry(_color_preset_of(name, entry), folder)
        model = _video_model(entry, color.ColorModel(**_settings(color_entry), backbone_weights=None))
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
    from colornn_keras import experiments
    from colornn_keras.models import checkpoints

    folder = pathlib.Path(folder) if folder else weights_dir()
    presets = read_manifest(folder)
    for name, entry in presets.items():
        entry["sha256"] = checkpoints.sha256_of(folder / entry["file"])
        run_dir = pathlib.Path(project_root) / entry.get("run", "")
        if entry.get("run") and (run_dir / "metrics.json").is_file():
            scores = entry.get("scores") and pathlib.Path(project_root) / entry["scores"]
            entry.update(run_numbers(run_dir, entry["kind"], scores))
        entry["parameters"], entry["trained_parameters"] = _parameter_counts(name, entry, folder)
    experiments.write_json(folder / MANIFEST, {"presets": presets})
    return presets


def write_manifest(folder, entries):
    """Writes weights.json for trained-part files in `folder`: `entries` is {name: entry}, each with
    "kind", "file" and the settings (and "default", "color_preset" where they apply). Checksums are
    added; nothing is built or read beyond the files."""
    from colornn_keras import experiments
    from colornn_keras.models import checkpoints

    folder = pathlib.Path(folder)
    presets = {name: {**entry, "sha256": checkpoints.sha256_of(folder / entry["file"])}
               for name, entry in entries.items()}
    manifest = {"presets": presets}
    experiments.write_json(folder / MANIFEST, manifest)
    return manifest


def _percent(value):
    return f"{100 * value:.1f}%"


def _test_summary(entry):
    test = entry.get("test")
    if not test:
        return "not recorded"
    if entry["kind"] == "color":
        return (f"loss {test['loss']:.3f}; U {_percent(test['u_accuracy'])}, V {_percent(test['v_accuracy'])} "
                f"(gray everywhere: U {_percent(test['gray_baseline_u_accuracy'])}, "
                f"V {_percent(test['gray_baseline_v_accuracy'])}; {test['images']} photos)")
    parts = [f"{mode.replace('_', '-')}: U {_percent(test[mode]['u_accuracy'])}, V {_percent(test[mode]['v_accuracy'])}"
             for mode in VIDEO_MODES if mode in test and mode != "per_frame"]
    if "per_frame" in test:
        parts.append(f"color model alone: U {_percent(test['per_frame']['u_accuracy'])}, "
                     f"V {_percent(test['per_frame']['v_accuracy'])}")
    parts.append(f"gray everywhere: U {_percent(test['gray_baseline']['u_accuracy'])}, "
                 f"V {_percent(test['gray_baseline']['v_accuracy'])}")
    return "; ".join(parts) + f" ({test['clips']} clips)"


def _data_summary(entry):
    split = entry.get("split")
    counts = f"; {'/'.join(split)} {'/'.join(str(count) for count in split.values())}" if split else ""
    return entry.get("data", "not recorded") + counts


def preset_rows(folder=None):
    """One dict per preset, in weights.json's order: what `colornn presets` and the README show."""
    presets = read_manifest(folder)
    rows = []
    for name, entry in presets.items():
        image_size = entry.get("image_size") or presets.get(entry.get("color_preset"), {}).get("image_size")
        rows.append({
            "name": name,
            "kind": entry["kind"] + (" (default)" if entry.get("default") else ""),
            "image_size": f"{image_size}×{image_size}" if image_size else "—",
            "parameters": (f"{entry['parameters']:,} ({entry['trained_parameters']:,} trained)"
                           if "parameters" in entry else "—"),
            "data": _data_summary(entry),
            "test": _test_summary(entry),
            "description": entry.get("description", ""),
            "run": entry.get("run", ""),
        })
    return rows


MARKDOWN_COLUMNS = (("preset", "name"), ("kind", "kind"), ("input", "image_size"), ("parameters", "parameters"),
                    ("data", "data"), ("test", "test"), ("description", "description"))


def markdown_table(folder=None):
    """The README's table of presets (`colornn presets --markdown`)."""
    lines = ["| " + " | ".join(title for title, _ in MARKDOWN_COLUMNS) + " |",
             "|" + "---|" * len(MARKDOWN_COLUMNS)]
    for row in preset_rows(folder):
        cells = [f"`{row['name']}`" if key == "name" else row[key].replace("|", "/") for _, key in MARKDOWN_COLUMNS]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def text_listing(folder=None):
    """`colornn presets`: each preset as a short block of lines."""
    blocks = []
    for row in preset_rows(folder):
        blocks.append("\n".join([
            f"{row['name']}  [{row['kind']}]",
            f"  {row['description']}",
            f"  input {row['image_size']}; {row['parameters']} parameters",
            f"  data: {row['data']}",
            f"  test: {row['test']}",
            f"  run: {row['run']}",
        ]))
    return "\n\n".join(blocks) + "\n"
