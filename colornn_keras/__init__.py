"""ColorNN-Keras: a Keras 3 reproduction of "ColorNN Book" (Gupta & Kannan, Stanford CS229)."""

import importlib

__version__ = "0.1.0"

# These import TensorFlow (seconds), so they load on first use: `colornn --help` and the light
# submodules (colornn_keras.cli, colornn_keras.defaults) do not wait for it.
_LAZY_ATTRIBUTES = {
    "ColorModel": "colornn_keras.models",
    "ConsistencyModel": "colornn_keras.models",
    "RecurrentConsistencyModel": "colornn_keras.models",
    "build_color_model": "colornn_keras.models.color",
    "build_consistency_model": "colornn_keras.models.consistency",
    "load_pretrained": "colornn_keras.pretrained",
    "colorize": "colornn_keras.api",
    "colorize_video": "colornn_keras.api",
}

__all__ = ["ColorModel", "ConsistencyModel", "RecurrentConsistencyModel", "build_color_model",
           "build_consistency_model", "colorize", "colorize_video", "load_pretrained", "__version__"]


def __getattr__(name):
    if name in _LAZY_ATTRIBUTES:
        from colornn_keras import startup

        startup.import_tensorflow()  # Quietly, unless COLORNN_VERBOSE=1.
        return getattr(importlib.import_module(_LAZY_ATTRIBUTES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def __dir__():
    return sorted([*globals(), *_LAZY_ATTRIBUTES])
