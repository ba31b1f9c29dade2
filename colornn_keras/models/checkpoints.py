"""Small weight files holding only what training changed.

The frozen VGG16 (and, inside a consistency model, the frozen color model) is rebuilt from its
own source, so a shipped or recorded model needs only its trainable layers: about 2 MB instead
of the 31 MB a full `.weights.h5` of the color model takes. The file is HDF5: one group per
layer, its weights as datasets `0, 1, ...` in `layer.weights` order (batch-norm moving
statistics included). A fine-tuned VGG16 layer may instead hold its difference from ImageNet's
weights in int8 (`DIFFERENCE_FROM_IMAGENET`: the group's "stored_as" attribute says so), which
loading adds back to ImageNet's.
"""

import functools
import pathlib

import h5py
import keras
import numpy as np

from colornn_keras import backbone
from colornn_keras import errors
from colornn_keras import files

FORMAT = "colornn_keras.trained_part.v1"
# How a fine-tuned VGG16 layer may be stored (`save_trained_part(..., backbone_as_difference=True)`):
# its weights less ImageNet's, as int8 codes with one float32 scale per output channel (gzipped).
# The fine-tuned color model's trained part is 26 MB in float32, 7.7 MB so (2.4 MB of it the
# decoder); the rounding, at most half a code (1/254 of a channel's largest change), is far
# below what fine-tuning changed.
DIFFERENCE_FROM_IMAGENET = "int8_difference_from_imagenet"


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


def save_trained_part(model, path, backbone_as_difference=False):
    """Writes the trained layers' weights to `path`, atomically; never non-finite ones.

    With `backbone_as_difference`, fine-tuned VGG16 layers are stored as their difference from
    ImageNet's weights in int8 (`DIFFERENCE_FROM_IMAGENET`): a file small enough to ship, whose
    weights are what `load_trained_part` then gives, not exactly the model's; score those.
    """
    path = pathlib.Path(path)
    broken = non_finite_weights(model)
    if broken:
        raise NonFiniteWeightsError(f"Refusing to save {path}: weights {', '.join(broken)} hold NaN or infinity.")
    layers = trained_layers(model)
    imagenet = (backbone.load_vgg16_weights() if backbone_as_difference
                and any(layer.name in backbone.VGG16_CONV_LAYERS for layer in layers) else None)
    with files.atomic_write(path) as temporary, h5py.File(temporary, "w") as file:
        file.attrs["format"] = FORMAT
        file.attrs["model_name"] = model.name
        for layer in layers:
            group = file.create_group(layer.name)
            if imagenet is not None and layer.name in backbone.VGG16_CONV_LAYERS:
                group.attrs["stored_as"] = DIFFERENCE_FROM_IMAGENET
                for index, (weight, reference) in enumerate(zip(layer.weights, imagenet[layer.name])):
                    codes, scale = _to_int8(np.asarray(weight.numpy(), np.float32) - reference)
                    group.create_dataset(str(index), data=codes, compression="gzip")
                    group.create_dataset(f"{index}_scale", data=scale)
                continue
            for index, weight in enumerate(layer.weights):
                group.create_dataset(str(index), data=np.asarray(weight.numpy()))
    return path


def _to_int8(values):
    """int8 codes and a float32 scale per last-axis channel (a kernel's output channel) such that
    codes * scale is `values` to within half a scale."""
    largest = np.abs(values).reshape(-1, values.shape[-1]).max(axis=0)
    scale = np.where(largest > 0, largest / 127, 1).astype(np.float32)
    return np.clip(np.round(values / scale), -127, 127).astype(np.int8), scale


def _stored_values(group, layer, imagenet):
    """A layer's weights as a trained-part file's group holds them, in `layer.weights` order."""
    if group.attrs.get("stored_as") != DIFFERENCE_FROM_IMAGENET:
        return [group[str(index)][()] for index in range(len(layer.weights))]
    references = imagenet()[layer.name]
    return [reference + group[str(index)][()].astype(np.float32) * group[f"{index}_scale"][()]
            for index, reference in enumerate(references)]


def load_trained_part(model, path, skip_missing=(), imagenet_weights=None):
    """Loads weights written by `save_trained_part` into a model of the same architecture.

    `skip_missing` names layers the file may lack, which keep their weights (a frozen model's
    weights starting a fine-tuned one, whose VGG16 layers are trained too). `imagenet_weights`
    (from `backbone.load_vgg16_weights`) are what layers stored as differences are added to;
    read here when not given, and only for a file that has such layers.
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
        imagenet = ((lambda: imagenet_weights) if imagenet_weights is not None
                    else functools.cache(backbone.load_vgg16_weights))
        for layer in layers:
            group = file[layer.name]
            values = _stored_values(group, layer, imagenet)
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

