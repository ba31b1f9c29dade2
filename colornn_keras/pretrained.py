"""The shipped weights by kind: `load_pretrained("color")`, a shorthand for the default preset.

The weights, their checksums and their presets are described in `colornn_keras/presets.py` and
`colornn_keras/weights/MODEL_CARD.md`; the names here are kept for the code that used them
before presets had names.
"""

from colornn_keras import errors
from colornn_keras import presets
from colornn_keras.presets import KINDS  # noqa: F401
from colornn_keras.presets import MANIFEST  # noqa: F401
from colornn_keras.presets import WEIGHTS_DIR_ENV_VARIABLE  # noqa: F401
from colornn_keras.presets import read_manifest  # noqa: F401
from colornn_keras.presets import weights_dir  # noqa: F401
from colornn_keras.presets import write_manifest  # noqa: F401


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
    if kind not in KINDS:
        raise errors.ColorNNError(f"kind must be one of {KINDS}, got {kind!r}.")
    model = presets.load_preset(presets.default_preset(kind, folder), kind=kind, dtype=dtype, folder=folder)
    return model if kind == "color" else (model.color_model, model)

