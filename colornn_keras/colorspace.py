"""The paper's colour space: BT.601 YUV, U and V quantized into bins, and decoding bins back.

Every function accepts a NumPy array, a TensorFlow tensor (eager or inside a `tf.data` map) or a
tensor of another Keras backend (JAX, PyTorch: inside a model or a metric), and returns the same
kind it was given, so training, evaluation and inference share one definition of the colour space
and the bins.

Conventions (BT.601 analog YUV, as in the paper):
- RGB in [0, 1]; Y in [0, 1]; U in [-0.436, 0.436]; V in [-0.615, 0.615].
- Bins split each axis' full range into `num_bins` equal intervals. With an even `num_bins` a
  neutral (gray) pixel, U = V = 0, lies on the lower edge of bin `num_bins // 2`, and is
  assigned to that bin.
"""

import keras
import numpy as np
import tensorflow as tf

from colornn_keras import defaults

# BT.601 luma weights.
WEIGHT_RED, WEIGHT_GREEN, WEIGHT_BLUE = 0.299, 0.587, 0.114
U_MAX = 0.436
V_MAX = 0.615
# U and V are scaled colour differences; the scales map B - Y and R - Y onto [-U_MAX, U_MAX]
# and [-V_MAX, V_MAX] exactly.
U_SCALE = U_MAX / (1.0 - WEIGHT_BLUE)
V_SCALE = V_MAX / (1.0 - WEIGHT_RED)

DEFAULT_NUM_BINS = defaults.DEFAULT_NUM_BINS
DECODING_METHODS = defaults.DECODING_METHODS
# Zhang et al. (2016) pick T = 0.38 for the annealed mean.
DEFAULT_TEMPERATURE = 0.38


class _NumpyOps:
    """The few array operations the colour space needs, for NumPy arrays (fast on large frames)."""

    stack, floor, maximum, minimum = np.stack, np.floor, np.maximum, np.minimum
    clip = staticmethod(np.clip)
    reduce_min = staticmethod(lambda x, axis, keepdims=False: np.min(x, axis=axis, keepdims=keepdims))
    reduce_sum = staticmethod(lambda x, axis, keepdims=False: np.sum(x, axis=axis, keepdims=keepdims))
    argmax = staticmethod(np.argmax)
    take = staticmethod(lambda table, indices: np.take(table, indices))
    to_int32 = staticmethod(lambda x: x.astype(np.int32))
    log = np.log

    @staticmethod
    def softmax(x, axis):
        exponent = np.exp(x - x.max(axis=axis, keepdims=True))
        return exponent / exponent.sum(axis=axis, keepdims=True)

    @staticmethod
    def as_float(value):
        array = np.asarray(value)
        return array if np.issubdtype(array.dtype, np.floating) else array.astype(np.float32)


class _TensorOps:
    """The same operations for TensorFlow tensors (eager or inside a `tf.data` map)."""

    stack, floor, maximum, minimum = tf.stack, tf.floor, tf.maximum, tf.minimum
    argmax, log = tf.argmax, tf.math.log
    clip = staticmethod(tf.clip_by_value)
    reduce_min = staticmethod(lambda x, axis, keepdims=False: tf.reduce_min(x, axis=axis, keepdims=keepdims))
    reduce_sum = staticmethod(lambda x, axis, keepdims=False: tf.reduce_sum(x, axis=axis, keepdims=keepdims))
    take = staticmethod(lambda table, indices: tf.gather(tf.constant(table), indices))
    to_int32 = staticmethod(lambda x: tf.cast(x, tf.int32))
    softmax = staticmethod(lambda x, axis: tf.nn.softmax(x, axis=axis))

    @staticmethod
    def as_float(value):
        tensor = tf.convert_to_tensor(value)
        return tensor if tensor.dtype.is_floating else tf.cast(tensor, tf.float32)


class _KerasOps:
    """The same operations in `keras.ops`, for tensors of the Keras backend when it is not
    TensorFlow (a JAX array inside a metric, say), where neither NumPy nor `tf` may touch them."""

    stack, floor, maximum, minimum = keras.ops.stack, keras.ops.floor, keras.ops.maximum, keras.ops.minimum
    argmax, log, clip, softmax = keras.ops.argmax, keras.ops.log, keras.ops.clip, keras.ops.softmax
    reduce_min = staticmethod(lambda x, axis, keepdims=False: keras.ops.min(x, axis=axis, keepdims=keepdims))
    reduce_sum = staticmethod(lambda x, axis, keepdims=False: keras.ops.sum(x, axis=axis, keepdims=keepdims))
    take = staticmethod(lambda table, indices: keras.ops.take(keras.ops.convert_to_tensor(table), indices))
    to_int32 = staticmethod(lambda x: keras.ops.cast(x, "int32"))

    @staticmethod
    def as_float(value):
        tensor = keras.ops.convert_to_tensor(value)
        return tensor if "float" in keras.backend.standardize_dtype(tensor.dtype) else keras.ops.cast(tensor, "float32")


def _ops(value):
    """NumPy in, NumPy out; tensor in, tensor out (TensorFlow's in `tf.data`, whatever the backend)."""
    if tf.is_tensor(value):
        return _TensorOps
    if isinstance(value, (np.ndarray, np.generic, float, int)):
        return _NumpyOps
    return _KerasOps if keras.ops.is_tensor(value) else _NumpyOps


def rgb_to_yuv(rgb):
    """Converts RGB in [0, 1] (last axis of size 3) to BT.601 YUV (last axis Y, U, V)."""
    ops = _ops(rgb)
    rgb = ops.as_float(rgb)
    red, green, blue = rgb[..., 0], rgb[..., 1], rgb[..., 2]
    luma = WEIGHT_RED * red + WEIGHT_GREEN * green + WEIGHT_BLUE * blue
    return ops.stack([luma, U_SCALE * (blue - luma), V_SCALE * (red - luma)], axis=-1)


def yuv_to_rgb(yuv, clip=True):
    """Converts BT.601 YUV to RGB in [0, 1]; the exact inverse of `rgb_to_yuv` before clipping."""
    ops = _ops(yuv)
    yuv = ops.as_float(yuv)
    luma, u, v = yuv[..., 0], yuv[..., 1], yuv[..., 2]
    blue = luma + u / U_SCALE
    red = luma + v / V_SCALE
    green = (luma - WEIGHT_RED * red - WEIGHT_BLUE * blue) / WEIGHT_GREEN
    rgb = ops.stack([red, green, blue], axis=-1)
    return ops.clip(rgb, 0.0, 1.0) if clip else rgb


def yuv_to_rgb_keeping_luma(yuv):
    """YUV to RGB in [0, 1] with Y kept exactly: out-of-gamut colours are desaturated (U and V
    scaled toward gray) just enough to fit, rather than clipped channel by channel, which would
    change their brightness. What colorization output wants: the luma is the source's own."""
    ops = _ops(yuv)
    yuv = ops.as_float(yuv)
    luma = ops.clip(yuv[..., 0], 0.0, 1.0)
    red_shift, blue_shift = yuv[..., 2] / V_SCALE, yuv[..., 1] / U_SCALE
    shifts = (red_shift, -(WEIGHT_RED * red_shift + WEIGHT_BLUE * blue_shift) / WEIGHT_GREEN, blue_shift)
    # The largest s in [0, 1] with 0 <= Y + s * shift <= 1 in every channel; a tiny floor on the
    # divisors makes the bound of a channel that does not move in that direction huge, not inf.
    scale = 1.0
    for shift in shifts:
        room = ops.minimum((1.0 - luma) / ops.maximum(shift, 1e-12), luma / ops.maximum(-shift, 1e-12))
        scale = ops.minimum(scale, room)
    scale = ops.clip(scale, 0.0, 1.0)
    return ops.clip(ops.stack([luma + scale * shift for shift in shifts], axis=-1), 0.0, 1.0)


def rgb_to_luma(rgb):
    """Y of BT.601 for RGB in [0, 1], with the channel axis kept (shape (..., 1))."""
    rgb = _ops(rgb).as_float(rgb)
    return (WEIGHT_RED * rgb[..., 0] + WEIGHT_GREEN * rgb[..., 1] + WEIGHT_BLUE * rgb[..., 2])[..., None]


def axis_range(axis):
    """The (low, high) range of the "u" or "v" axis."""
    if axis == "u":
        return -U_MAX, U_MAX
    if axis == "v":
        return -V_MAX, V_MAX
    raise ValueError(f"axis must be 'u' or 'v', got {axis!r}.")


def _check_num_bins(num_bins):
    if int(num_bins) != num_bins or num_bins < 2:
        raise ValueError(f"num_bins must be an integer of at least 2, got {num_bins!r}.")
    return int(num_bins)


def bin_edges(axis, num_bins=DEFAULT_NUM_BINS):
    """The `num_bins + 1` edges of the bins of one axis, as a NumPy float32 array."""
    low, high = axis_range(axis)
    return np.linspace(low, high, _check_num_bins(num_bins) + 1, dtype=np.float64).astype(np.float32)


def bin_centers(axis, num_bins=DEFAULT_NUM_BINS):
    """The centre value of each bin of one axis, as a NumPy float32 array of length `num_bins`."""
    edges = bin_edges(axis, num_bins).astype(np.float64)
    return ((edges[:-1] + edges[1:]) / 2).astype(np.float32)


def quantize(values, axis, num_bins=DEFAULT_NUM_BINS):
    """Maps U or V values to bin indices (int32); values outside the range go to the end bins."""
    num_bins = _check_num_bins(num_bins)
    low, high = axis_range(axis)
    ops = _ops(values)
    values = ops.as_float(values)
    # Measured from the axis' centre so that gray (exactly 0) always lands in bin num_bins // 2,
    # whatever the float rounding of the range's ends.
    position = values * (num_bins / (high - low)) + num_bins / 2
    return ops.to_int32(ops.clip(ops.floor(position), 0, num_bins - 1))


def quantize_uv(uv, num_bins=DEFAULT_NUM_BINS):
    """The bin targets of (U, V) values (last axis of size 2): {"u": bins, "v": bins}, int32."""
    return {axis: quantize(uv[..., index], axis, num_bins) for index, axis in enumerate(("u", "v"))}


def gray_bin(axis, num_bins=DEFAULT_NUM_BINS):
    """The bin of gray (U = V = 0) on one axis: `num_bins // 2` (see the module's conventions)."""
    return int(quantize(np.zeros(1, np.float32), axis, num_bins)[0])


def dequantize(indices, axis, num_bins=DEFAULT_NUM_BINS):
    """Maps bin indices back to the bins' centre values."""
    return _ops(indices).take(bin_centers(axis, num_bins), indices)


def decode_distribution(probabilities, axis, method="annealed_mean", temperature=DEFAULT_TEMPERATURE):
    """Turns a per-pixel distribution over bins (last axis) into one U or V value per pixel.

    Args:
        probabilities: array (..., num_bins) of non-negative values summing to 1 on the last axis.
        axis: "u" or "v".
        method: "argmax" (centre of the most likely bin), "expectation" (mean of the
            distribution) or "annealed_mean" (Zhang et al. 2016: the mean of the distribution
            re-sharpened as p ** (1 / T); T -> 0 gives argmax, T = 1 gives expectation).
        temperature: T for "annealed_mean".

    Returns:
        Array (...) of decoded values.
    """
    if method not in DECODING_METHODS:
        raise ValueError(f"method must be one of {DECODING_METHODS}, got {method!r}.")
    if method == "annealed_mean" and not temperature > 0:
        raise ValueError(f"temperature must be positive, got {temperature!r}.")
    ops = _ops(probabilities)
    probabilities = ops.as_float(probabilities)
    centers = bin_centers(axis, int(probabilities.shape[-1]))
    if method == "argmax":
        return ops.take(centers, ops.argmax(probabilities, axis=-1))
    if method == "annealed_mean":
        if ops is _NumpyOps:
            return _annealed_mean(probabilities, centers, temperature)
        # softmax(log p / T) is p ** (1/T) renormalized, computed stably.
        probabilities = ops.softmax(ops.log(ops.maximum(probabilities, 1e-12)) / temperature, axis=-1)
    return ops.reduce_sum(probabilities * centers, axis=-1) / ops.reduce_sum(probabilities, axis=-1)


def _annealed_mean(probabilities, centers, temperature):
    """The annealed mean of NumPy distributions as above, in place and with one matrix product,
    about twice as fast on a video frame's distributions (colorizing decodes every frame's)."""
    weights = np.log(np.maximum(probabilities, probabilities.dtype.type(1e-12)))
    # The likeliest bin holds at least 1 / num_bins, whose weight (1 / num_bins) ** (1/T) stays far
    # above float32's smallest unless T is tiny; then (p / max p) ** (1/T) keeps it at 1.
    if np.log(len(centers)) / temperature > 60:
        weights -= weights.max(axis=-1, keepdims=True)
    weights *= weights.dtype.type(1 / temperature)
    np.exp(weights, out=weights)
    return (weights @ centers.astype(weights.dtype)) / weights.sum(axis=-1)


def decode_uv(probabilities, method="annealed_mean", temperature=DEFAULT_TEMPERATURE):
    """Both heads at once: {"u": (..., bins), "v": (..., bins)} -> decoded (U, V), shape (..., 2)."""
    ops = _ops(probabilities["u"])
    decoded = [decode_distribution(ops.as_float(probabilities[axis]), axis, method, temperature) for axis in ("u", "v")]
    return ops.stack(decoded, axis=-1)
