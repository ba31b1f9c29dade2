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
from colornn_keras import files

FORMAT = "colornn_keras.trained_part.v1"


def trained_layers(model):
    """The layers training sets: all with weights but VGG16's convolutions and nested models
    (the frozen color model inside a consistency model, also when a wrapper such as
    `TimeDistributed` holds it). Decided by structure, not by the `trainable` flags, which
    freezing a color model for a consistency model turns off."""
    return [
        layer for layer in model.layers
        if layer.weights and layer.name not in backbone.VGG16_CONV_LAYERS
        and not isinstance(layer, keras.Model) and not isinstance(getattr(layer, "layer", None), keras.Model)
    ]


def save_trained_part(model, path):
    """Writes the trained layers' weights to `path`, atomically."""
    path = pathlib.Path(path)
    with files.atomic_write(path) as temporary, h5py.File(temporary, "w") as file:
        file.attrs["format"] = FORMAT
        file.attrs["model_name"] = model.name
        for layer in trained_layers(model):
            group = file.create_group(layer.name)
            for index, weight in enumerate(layer.weights):
                group.create_dataset(str(index), data=np.asarray(weight.numpy()))
    return path


def load_trained_part(model, path):
    """Loads weights written by `save_trained_part` into a model of the same architecture."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise ValueError(f"Weights file {path} does not exist.")
    try:
        file = h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"{path} is not a ColorNN weights file: {error}") from error
    with file:
        if file.attrs.get("format") != FORMAT:
            raise ValueError(f"{path} is not a ColorNN trained-part weights file (format {FORMAT}).")
        expected = {layer.name for layer in trained_layers(model)}
        if set(file.keys()) != expected:
            raise ValueError(
                f"{path} does not fit model {model.name!r}: the file has layers "
                f"{sorted(set(file.keys()) - expected)} the model lacks, and lacks "
                f"{sorted(expected - set(file.keys()))}."
            )
        for layer in trained_layers(model):
            group = file[layer.name]
            values = [group[str(index)][()] for index in range(len(layer.weights))]
            for weight, value in zip(layer.weights, values):
                if tuple(weight.shape) != value.shape:
                    raise ValueError(
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
