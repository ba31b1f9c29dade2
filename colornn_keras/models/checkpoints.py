"""Small weight files holding only what training changed.

The frozen VGG16 (and, inside a consistency model, the frozen color model) is rebuilt from its
own source, so a shipped or recorded model needs only its trainable layers: about 2 MB instead
of the 31 MB a full `.weights.h5` of the color model takes. The file is HDF5: one group per
layer, its weights as datasets `0, 1, ...` in `layer.weights` order (batch-norm moving
statistics included).
"""

import hashlib
import pathlib

import h5py
import keras
import numpy as np

from colornn_keras import backbone
from colornn_keras import errors
from colornn_keras import files

FORMAT = "colornn_keras.trained_part.v1"


def trained_layers(model):
    """The layers training sets: all with weights but nested models (the frozen color model inside
    a consistency model, also when a wrapper such as `TimeDistributed` holds it) and VGG16's
    convolutions, unless built trainable for fine-tuning. Decided by how the model was built, not by
    the `trainable` flags of the decoder, which freezing a color model for a consistency model turns off."""
    return [
        layer for layer in model.layers
        if layer.weights and (layer.name not in backbone.VGG16_CONV_LAYERS or layer.trainable)
        and not isinstance(layer, keras.Model) and not isinstance(getattr(layer, "layer", None), keras.Model)
    ]


class NonFiniteWeightsError(errors.WeightsError):
    """A model's weights hold NaN or infinity: they are never saved or shipped."""


def non_finite_weights(model):
    """Names (`layer/index`) of the trained weights holding NaN or infinity; empty when all are finite."""
    return [f"{layer.name}/{index}" for layer in trained_layers(model)
            for index, weight in enumerate(layer.weights) if not np.isfinite(np.asarray(weight.numpy())).all()]


def save_trained_part(model, path):
    """Writes the trained layers' weights to `path`, atomically; never non-finite ones."""
    path = pathlib.Path(path)
    broken = non_finite_weights(model)
    if broken:
        raise NonFiniteWeightsError(f"Refusing to save {path}: weights {', '.join(broken)} hold NaN or infinity.")
    with files.atomic_write(path) as temporary, h5py.File(temporary, "w") as file:
        file.attrs["format"] = FORMAT
        file.attrs["model_name"] = model.name
        for layer in trained_layers(model):
            group = file.create_group(layer.name)
            for index, weight in enumerate(layer.weights):
                group.create_dataset(str(index), data=np.asarray(weight.numpy()))
    return path


def load_trained_part(model, path, skip_missing=()):
    """Loads weights written by `save_trained_part` into a model of the same architecture.

    `skip_missing` names layers the file may lack, which keep their weights (a frozen model's
    weights starting a fine-tuned one, whose VGG16 layers are trained too).
    """
    path = pathlib.Path(path)
    if not path.is_file():
        raise errors.WeightsError(f"Weights file {path} does not exist.")
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise errors.WeightsError(f"{path} is not a ColorNN weights file: {error}") from error
    with file:
        if file.attrs.get("format") != FORMAT:
            raise errors.WeightsError(f"{path} is not a ColorNN trained-part weights file (format {FORMAT}).")
        layers = [layer for layer in trained_layers(model)
                  if layer.name in file or layer.name not in skip_missing]
        expected = {layer.name for layer in layers}
        if set(file.keys()) != expected:
            raise errors.WeightsError(
                f"{path} does not fit model {model.name!r}: the file has layers "
                f"{sorted(set(file.keys()) - expected)} the model lacks, and lacks "
                f"{sorted(expected - set(file.keys()))}."
            )
        for layer in layers:
            group = file[layer.name]
            values = [group[str(index)][()] for index in range(len(layer.weights))]
            for index, (weight, value) in enumerate(zip(layer.weights, values)):
                if not np.isfinite(value).all():
                    raise NonFiniteWeightsError(
                        f"{path}: weight {layer.name}/{index} holds NaN or infinity; these weights are broken "
                        "(a diverged run) and are not loaded.")
                if tuple(weight.shape) != value.shape:
                    raise errors.WeightsError(
                        f"{path}: layer {layer.name!r} has a weight of shape {value.shape}, "
                        f"the model expects {tuple(weight.shape)} (a different number of bins or filters?)."
                    )
            layer.set_weights(values)
    return model


def sha256_of(path):
    """Hex sha256 of a file, to record beside shipped weights and check at load."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()
