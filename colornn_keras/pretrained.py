"""Loading a shipped model as a user asks for it: by name (`load_preset`), by kind
(`load_pretrained("color")`, the kind's default preset) or by what `--weights` names
(`load_shipped`: a preset, or the color preset whose video model is wanted).

The weights, their checksums and their presets are described in `colornn_keras/presets.py` and
`colornn_keras/weights/MODEL_CARD.md`.
"""

from colornn_keras import errors
from colornn_keras import presets
from colornn_keras.models import color
from colornn_keras.models import consistency
from colornn_keras.models import recurrent

# The class of each kind of preset; each loads its own presets (`from_preset`).
MODELS = {"color": color.ColorModel, "consistency": consistency.ConsistencyModel,
          "recurrent": recurrent.RecurrentConsistencyModel}


def load_preset(name, kind=None, dtype=None, folder=None):
    """Builds preset `name` and loads its checked weights, offline.

    Args:
        name: str, a preset of `colornn presets`, such as "colornn_water_128".
        kind: None, or the kind the caller expects ("color", "consistency", "recurrent"); a
            preset of another kind is refused, saying which class loads it.
        dtype: a Keras dtype policy for the model (and its color model), such as "mixed_bfloat16".
        folder: a weights folder; default `presets.weights_dir()`.

    Returns:
        A `ColorModel`, `ConsistencyModel` or `RecurrentConsistencyModel` (the last two reach
        their color model as `.color_model`).
    """
    if kind is not None and kind not in MODELS:
        raise errors.ColorNNError(f"kind must be one of {presets.KINDS}, got {kind!r}.")
    kind = kind or presets.preset_entry(name, folder)["kind"]
    return MODELS[kind].from_preset(name, dtype=dtype, folder=folder)


def load_pretrained(kind="color", folder=None, dtype=None):
    """Builds the default shipped model of `kind` and loads its checked weights, offline.

    Args:
        kind: "color", "consistency" or "recurrent".
        folder: a weights folder; default the package's own (`presets.weights_dir()`).
        dtype: a Keras dtype policy such as "mixed_bfloat16"; None uses the global policy.

    Returns:
        For "color", a `ColorModel`; for "consistency" and "recurrent", (color_model, model):
        the color model is the one frozen inside the model (`model.color_model`).
    """
    if kind not in presets.KINDS:
        raise errors.ColorNNError(f"kind must be one of {presets.KINDS}, got {kind!r}.")
    model = load_preset(presets.default_preset(kind, folder), kind=kind, dtype=dtype, folder=folder)
    return model if kind == "color" else (model.color_model, model)


# Names a user may give for a preset, beside the presets' own.
PRESET_ALIASES = {"paper": "colornn_water_128"}


def load_shipped(kind="color", preset=None, folder=None, dtype=None):
    """`load_pretrained(kind)`, or the shipped model of `kind` that stands on preset `preset`.

    `preset` may name a preset of that kind, or (for the video kinds) a color preset, whose
    video model of that kind is then used; "paper" is the paper-protocol color model.
    """
    if preset is None:
        return load_pretrained(kind, folder=folder, dtype=dtype)
    name = PRESET_ALIASES.get(preset, preset)
    entry = presets.preset_entry(name, folder)
    if entry["kind"] == kind:
        model = load_preset(name, kind=kind, dtype=dtype, folder=folder)
        return model if kind == "color" else (model.color_model, model)
    if entry["kind"] == "color":
        on_it = [other for other in presets.names(kind, folder)
                 if presets.preset_entry(other, folder).get("color_preset") == name]
        if on_it:
            model = load_preset(on_it[0], kind=kind, dtype=dtype, folder=folder)
            return model.color_model, model
        raise errors.WeightsError(f"No shipped {kind} model stands on the color preset {name!r}; "
                                  f"the {kind} presets are: {', '.join(presets.names(kind, folder)) or 'none'}.")
    raise errors.WeightsError(f"{name!r} is a {entry['kind']} preset, not a {kind} one (colornn presets lists them).")
