"""The paper's colour space: BT.601 YUV, U and V quantized into bins, and decoding bins back.

Every function accepts a NumPy array or a TensorFlow tensor (eager or inside a `tf.data` map)
and returns the same kind it was given, so training, evaluation and inference share one
definition of the colour space and the bins.

Conventions (BT.601 analog YUV, as in the paper):
- RGB in [0, 1]; Y in [0, 1]; U in [-0.436, 0.436]; V in [-0.615, 0.615].
- Bins split each axis' full range into `num_bins` equal intervals. With an even `num_bins` a
  neutral (gray) pixel, U = V = 0, lies on the lower edge of bin `num_bins // 2`, and is
  assigned to that bin.
"""

import numpy as np
import tensorflow as tf

# BT.601 luma weights.
WEIGHT_RED, WEIGHT_GREEN, WEIGHT_BLUE = 0.299, 0.587, 0.114
U_MAX = 0.436
V_MAX = 0.615
# U and V are scaled colour differences; the scales map B - Y and R - Y onto [-U_MAX, U_MAX]
# and [-V_MAX, V_MAX] exactly.
U_SCALE = U_MAX / (1.0 - WEIGHT_BLUE)
V_SCALE = V_MAX / (1.0 - WEIGHT_RED)

DEFAULT_NUM_BINS = 30
DECODING_METHODS = ("argmax", "expectation", "annealed_mean")
# Zhang et al. (2016) pick T = 0.38 for the annealed mean.
DEFAULT_TEMPERATURE = 0.38


def _is_numpy(value):
    return not tf.is_tensor(value)


def _as_float_tensor(value):
    tensor = tf.convert_to_tensor(value)
    if not tensor.dtype.is_floating:
        tensor = tf.cast(tensor, tf.float32)
    return tensor


def _return_like(result, original):
    return result.numpy() if _is_numpy(original) else result


def rgb_to_yuv(rgb):
    """Converts RGB in [0, 1] (last axis of size 3) to BT.601 YUV (last axis Y, U, V)."""
    rgb_tensor = _as_float_tensor(rgb)
    red, green, blue = tf.unstack(rgb_tensor, axis=-1)
    luma = WEIGHT_RED * red + WEIGHT_GREEN * green + WEIGHT_BLUE * blue
    u = U_SCALE * (blue - luma)
    v = V_SCALE * (red - luma)
    return _return_like(tf.stack([luma, u, v], axis=-1), rgb)


def yuv_to_rgb(yuv, clip=True):
    """Converts BT.601 YUV to RGB in [0, 1]; the exact inverse of `rgb_to_yuv` before clipping."""
    yuv_tensor = _as_float_tensor(yuv)
    luma, u, v = tf.unstack(yuv_tensor, axis=-1)
    blue = luma + u / U_SCALE
    red = luma + v / V_SCALE
    green = (luma - WEIGHT_RED * red - WEIGHT_BLUE * blue) / WEIGHT_GREEN
    rgb = tf.stack([red, green, blue], axis=-1)
    if clip:
        rgb = tf.clip_by_value(rgb, 0.0, 1.0)
    return _return_like(rgb, yuv)


def yuv_to_rgb_keeping_luma(yuv):
    """YUV to RGB in [0, 1] with Y kept exactly: out-of-gamut colours are desaturated (U and V
    scaled toward gray) just enough to fit, rather than clipped channel by channel, which would
    change their brightness. What colorization output wants: the luma is the source's own."""
    yuv_tensor = _as_float_tensor(yuv)
    luma = tf.clip_by_value(yuv_tensor[..., :1], 0.0, 1.0)
    deviation = yuv_to_rgb(tf.concat([tf.zeros_like(luma), yuv_tensor[..., 1:]], -1), clip=False)
    # Largest s in [0, 1] with 0 <= Y + s * deviation <= 1 for every channel.
    room = tf.where(deviation > 0, (1.0 - luma) / tf.maximum(deviation, 1e-12),
                    tf.where(deviation < 0, luma / tf.maximum(-deviation, 1e-12), tf.ones_like(deviation)))
    scale = tf.clip_by_value(tf.reduce_min(room, axis=-1, keepdims=True), 0.0, 1.0)
    return _return_like(tf.clip_by_value(luma + scale * deviation, 0.0, 1.0), yuv)


def rgb_to_luma(rgb):
    """Y of BT.601 for RGB in [0, 1], with the channel axis kept (shape (..., 1))."""
    return _return_like(rgb_to_yuv(_as_float_tensor(rgb))[..., :1], rgb)


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
    tensor = tf.cast(_as_float_tensor(values), tf.float32)
    # Measured from the axis' centre so that gray (exactly 0) always lands in bin num_bins // 2,
    # whatever the float rounding of the range's ends.
    position = tensor * (num_bins / (high - low)) + num_bins / 2
    indices = tf.clip_by_value(tf.floor(position), 0, num_bins - 1)
    return _return_like(tf.cast(indices, tf.int32), values)


def dequantize(indices, axis, num_bins=DEFAULT_NUM_BINS):
    """Maps bin indices back to the bins' centre values."""
    centers = tf.constant(bin_centers(axis, num_bins))
    return _return_like(tf.gather(centers, tf.convert_to_tensor(indices)), indices)


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
        Array (...) of decoded values, float32.
    """
    if method not in DECODING_METHODS:
        raise ValueError(f"method must be one of {DECODING_METHODS}, got {method!r}.")
    tensor = tf.cast(_as_float_tensor(probabilities), tf.float32)
    num_bins = int(tensor.shape[-1])
    centers = tf.constant(bin_centers(axis, num_bins))
    if method == "argmax":
        decoded = tf.gather(centers, tf.argmax(tensor, axis=-1))
    else:
        if method == "annealed_mean":
            if not temperature > 0:
                raise ValueError(f"temperature must be positive, got {temperature!r}.")
            # softmax(log p / T) is p ** (1/T) renormalized, computed stably.
            tensor = tf.nn.softmax(tf.math.log(tf.maximum(tensor, 1e-12)) / temperature, axis=-1)
        decoded = tf.reduce_sum(tensor * centers, axis=-1) / tf.reduce_sum(tensor, axis=-1)
    return _return_like(decoded, probabilities)
