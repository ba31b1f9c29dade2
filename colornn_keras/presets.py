"""The shipped models by name: the table of presets (`weights.json`), as `colornn presets` lists it.

The weights ship inside the package, in `colornn_keras/weights/`: each model's trained part (the
frozen VGG16 is rebuilt from its ImageNet source) and `weights.json`, which describes every
preset. An entry holds what a person writes (kind, whether it is the default of its kind, a
description, the data in words, the file, the model's settings, the run folder it comes from and,
for a video model, the color preset it stands on) and what `colornn presets --refresh`
(`colornn_keras.research.manifest`) reads off the file and the run, never typed in: the file's
sha256 (checked at every load), the parameter counts, the split's sizes (the run's data.json) and
the test numbers (the run's metrics.json). The README's table of presets is
`colornn presets --markdown`; tests check that both agree with the runs.

Several presets of one kind can coexist; exactly one per kind is marked `"default": true`, and it
is what `load_pretrained(kind)` and the command line load.

The models load themselves from an entry (`ColorModel.from_preset`, `pretrained.load_preset`):
this module reads JSON and files only, so that `colornn presets` answers without TensorFlow, and
so that the models may import it without it importing them.
"""

import hashlib
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
# The class that loads each kind (named, not imported: the models import this module).
LOADERS = {"color": "ColorModel", "consistency": "ConsistencyModel", "recurrent": "RecurrentConsistencyModel"}
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


def preset_entry(name, folder=None, kind=None):
    """The weights.json entry of preset `name`; a `WeightsError` listing the names otherwise, or
    saying which class loads it where `kind` is given and the preset is of another kind."""
    presets = read_manifest(folder)
    if name not in presets:
        raise errors.WeightsError(f"No preset named {name!r}; the presets are {', '.join(presets)} (colornn presets).")
    entry = presets[name]
    if kind is not None and entry["kind"] != kind:
        raise errors.WeightsError(f"{name!r} is a {entry['kind']} preset; load it with "
                                  f"{LOADERS[entry['kind']]}.from_preset({name!r}).")
    return entry


def sha256_of(path):
    """Hex sha256 of a file: what weights.json records of each weights file, checked at every load."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def preset_file(name, folder=None):
    """The path of preset `name`'s weights file, its sha256 checked against weights.json."""
    folder = pathlib.Path(folder) if folder else weights_dir()
    entry = preset_entry(name, folder)
    path = folder / entry["file"]
    if not path.is_file():
        raise errors.WeightsError(f"Shipped weights file {path} is missing.")
    digest = sha256_of(path)
    if digest != entry["sha256"]:
        raise errors.WeightsError(f"{path} has sha256 {digest}, but {MANIFEST} records {entry['sha256']}: refusing a "
                                  "changed or damaged weights file.")
    return path


def settings(entry):
    """The model settings a weights.json entry holds (`SETTINGS` of its kind): the model's arguments."""
    return {setting: entry[setting] for setting in SETTINGS[entry["kind"]] if setting in entry}


def color_preset_of(name, entry):
    """The name of the color preset that video preset `name` stands on."""
    if entry.get("color_preset") is None:
        raise errors.WeightsError(f"The {entry['kind']} preset {name!r} names no color_preset to stand on.")
    return entry["color_preset"]


# --- What the presets are, as `colornn presets` lists them ----------------------------------------


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
