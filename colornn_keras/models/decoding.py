"""The color model with its bins decoded to (U, V) in its own graph: what colorizing runs.

`colorspace.decode_uv` decodes NumPy distributions after the model, in the thread that feeds the
model (a few percent of the model's own time on a CPU), and copying the distributions out of the
model moved 60 floats a pixel. As a layer, the same decoding
runs inside the model's graph, on every engine that runs the model, and 2 floats a pixel come out.
"""

import keras

from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras.models import color as color_models


@keras.saving.register_keras_serializable(package="colornn_keras")
class ChromaDecoder(keras.layers.Layer):
    """{"u": (..., bins), "v": (..., bins)} distributions to decoded (U, V), shape (..., 2).

    Decodes as `colorspace.decode_uv`. A pixel whose distributions hold NaN or infinity decodes
    to NaN whatever the method (argmax alone would pick a finite bin), so that broken weights
    show as non-finite colours, which the colorizer refuses, rather than as plausible ones.

    Args:
        method: "argmax", "expectation" or "annealed_mean" (`colorspace.DECODING_METHODS`).
        temperature: the annealed mean's T.
    """

    def __init__(self, method="annealed_mean", temperature=colorspace.DEFAULT_TEMPERATURE, **kwargs):
        super().__init__(**kwargs)
        if method not in colorspace.DECODING_METHODS:
            raise errors.ColorNNError(f"method must be one of {colorspace.DECODING_METHODS}, got {method!r}.")
        if not temperature > 0:
            raise errors.ColorNNError(f"temperature must be positive, got {temperature!r}.")
        self.method = method
        self.temperature = float(temperature)

    def call(self, probabilities):
        uv = colorspace.decode_uv(probabilities, self.method, self.temperature)
        total = keras.ops.sum(probabilities["u"], axis=-1) + keras.ops.sum(probabilities["v"], axis=-1)
        return keras.ops.where(keras.ops.isfinite(total)[..., None], uv, float("nan"))

    def compute_output_shape(self, input_shape):
        return (*input_shape["u"][:-1], 2)

    def get_config(self):
        return {**super().get_config(), "method": self.method, "temperature": self.temperature}


@keras.saving.register_keras_serializable(package="colornn_keras")
class ChromaModel(keras.Model):
    """A classification color model and its decoding: luma (B, H, W, 1) to {"uv": (B, H, W, 2)}.

    The model `Colorizer` runs frame by frame (exported as one graph for the other engines).

    Args:
        color_model: a classification `ColorModel` (trained); it is a layer of this model.
        method: decoding, one of `colorspace.DECODING_METHODS`. Defaults to "annealed_mean".
        temperature: the annealed mean's T. Defaults to `colorspace.DEFAULT_TEMPERATURE`.
        name: str; defaults to the color model's name and the decoding's.

    Example:
    >>> color_model = color_models.ColorModel(image_size=32, backbone_weights=None)
    >>> tuple(ChromaModel(color_model).output["uv"].shape)
    (None, 32, 32, 2)
    """

    def __init__(self, color_model, method="annealed_mean", temperature=colorspace.DEFAULT_TEMPERATURE, name=None,
                 **kwargs):
        if color_models.variant_of(color_model) != "classification":
            raise errors.ColorNNError("Only a classification color model has bins to decode.")
        # === Functional Model ===
        luma = keras.Input(color_model.input_shape[1:], name="luma")
        decoder = ChromaDecoder(method, temperature, dtype="float32", name="decode_uv")
        uv = decoder(color_model(luma))
        super().__init__(inputs=luma, outputs={"uv": uv}, name=name or f"{color_model.name}_{method}", **kwargs)

        # === Config ===
        self.color_model = color_model
        self.method = decoder.method
        self.temperature = decoder.temperature

    def get_config(self):
        return {"color_model": keras.saving.serialize_keras_object(self.color_model), "method": self.method,
                "temperature": self.temperature, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**{**config, "color_model": keras.saving.deserialize_keras_object(config["color_model"])})
