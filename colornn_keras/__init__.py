"""ColorNN-Keras: a Keras 3 reproduction of "ColorNN Book" (Gupta & Kannan, Stanford CS229)."""

__version__ = "0.1.0"

from colornn_keras.models.color import build_color_model  # noqa: E402
from colornn_keras.models.consistency import build_consistency_model  # noqa: E402
from colornn_keras.pretrained import load_pretrained  # noqa: E402

__all__ = ["build_color_model", "build_consistency_model", "load_pretrained", "__version__"]
