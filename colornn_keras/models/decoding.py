"""Decoding a model's bins to (U, V): in its own graph (what colorizing runs), or after it.

`colorspace.decode_uv` decodes NumPy distributions after the model, in the thread that feeds the
model (a few percent of the model's own time on a CPU), and copying the distributions out of the
model moved 60 floats a pixel. As a layer, the same decoding
runs inside the model's graph, on every engine that runs the model, and 2 floats a pixel come out.

After the model, `predict_uv` predicts and decodes, written once for every caller: a decoding is
named as a method of `colorspace.DECODING_METHODS`, or "annealed_mean@T" for the annealed mean at
temperature T (`annealed_mean_at`), and NaN stays visible there as it does in the graph.
"""

import keras
import numpy as np

from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras.models import color as color_models


def annealed_mean_at(temperature):
    """The name of the annealed-mean decoding at another temperature, e.g. "annealed_mean@0.2"."""
    return f"annealed_mean@{temperature:g}"


def parse_decoding(decoding):
    """(method, temperature) that a decoding's name says: "argmax", "expectation" or "annealed_mean"
    (at `colorspace.DEFAULT_TEMPERATURE`), or "annealed_mean@T" (`annealed_mean_at`)."""
    method, at, temperature = str(decoding).partition("@")
    if method not in colorspace.DECODING_METHODS or (at and method != "annealed_mean"):
        raise errors.ColorNNError(f"decoding must be one of {colorspace.DECODING_METHODS} or annealed_mean@T (a "
                                  f"temperature T), got {decoding!r}.")
    try:
        return method, float(temperature) if at else colorspace.DEFAULT_TEMPERATURE
    except ValueError:
        raise errors.ColorNNError(f"The temperature of {decoding!r} is not a number.") from None


def decode(outputs, decoding="annealed_mean"):
    """(U, V) (..., 2) float32 of a model's NumPy outputs: their "uv" as they are (a `ChromaModel`'s),
    a regression model's "u" and "v" values (..., 1), or "u" and "v" distributions over bins decoded
    as `decoding` names (see `parse_decoding`). As in `ChromaDecoder`, a pixel whose distributions
    hold NaN or infinity decodes to NaN whatever the method."""
    if "uv" in outputs:
        return np.asarray(outputs["uv"], np.float32)
    u, v = (np.asarray(outputs[axis], np.float32) for axis in ("u", "v"))
    if u.shape[-1] == 1:  # A regression model's values.
        return np.concatenate([u, v], axis=-1)
    method, temperature = parse_decoding(decoding)
    uv = colorspace.decode_uv({"u": u, "v": v}, method, temperature)
    finite = np.isfinite(u.sum(axis=-1) + v.sum(axis=-1))
    return uv if finite.all() else np.where(finite[..., None], uv, np.float32(np.nan))


def predict_uv(model, inputs, decoding="annealed_mean"):
    """(U, V) (B, H, W, 2) float32 that `model` (a Keras model, or a predictor of `engines`)
    predicts for a batch of `inputs`, decoded as `decoding` names (`decode`)."""
    return decode(model.predict_on_batch(inputs), decoding)


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
