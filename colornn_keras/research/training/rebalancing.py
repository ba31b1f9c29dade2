"""Class rebalancing (Zhang et al., "Colorful Image Colorization", 2016, section 2.2).

Most pixels of most photos are nearly gray, so a plain cross-entropy is won by predicting the
middle bins: accurate, and dull. Zhang et al. weight each pixel's loss by its true bin's rarity:

    w = 1 / ((1 - mix) * p_smoothed + mix / Q),   normalized so that  sum_q p_smoothed[q] w[q] = 1,

where p_smoothed is the training set's bin distribution smoothed with a Gaussian, Q the number of
bins and `mix` (their lambda, 0.5) blends it with the uniform distribution: mix = 1 is no
rebalancing, mix = 0 full inverse frequency. Our two heads are separate 1-D distributions over U
and V bins, so each axis gets its own weights.
"""

import keras
import numpy as np

from colornn_keras import colorspace
from colornn_keras.data import images

DEFAULT_MIX = 0.5
# Zhang et al. smooth with sigma = 5 on a grid of 10: half a bin.
DEFAULT_SMOOTHING_BINS = 0.5
HISTOGRAM_SIDE = 64  # Bin frequencies hardly depend on resolution; thumbnails keep the count quick.


def bin_counts(files, num_bins=colorspace.DEFAULT_NUM_BINS, max_images=500, seed=0):
    """Pixel counts of each U and V bin over (a seeded sample of at most `max_images` of) `files`."""
    files = sorted(map(str, files))
    if len(files) > max_images:
        files = sorted(np.random.default_rng(seed).choice(files, size=max_images, replace=False))
    counts = {"u": np.zeros(num_bins, np.int64), "v": np.zeros(num_bins, np.int64)}
    for path in files:
        rgb = images.load_resized(path, HISTOGRAM_SIDE)
        bins = colorspace.quantize_uv(colorspace.rgb_to_yuv(rgb.astype(np.float32) / 255.0)[..., 1:], num_bins)
        for axis in ("u", "v"):
            counts[axis] += np.bincount(bins[axis].ravel(), minlength=num_bins)
    return counts


def rebalancing_weights(counts, mix=DEFAULT_MIX, smoothing=DEFAULT_SMOOTHING_BINS):
    """Per-bin loss weights of one axis from its bin counts (see the module's formula)."""
    if not 0.0 <= mix <= 1.0:
        raise ValueError(f"The rebalancing mix (Zhang's lambda) is in [0, 1], got {mix!r}.")
    counts = np.asarray(counts, np.float64)
    if counts.sum() <= 0:
        raise ValueError("Cannot rebalance from empty bin counts.")
    probabilities = counts / counts.sum()
    if smoothing > 0:
        radius = min(int(np.ceil(4 * smoothing)), len(probabilities) - 1)
        kernel = np.exp(-0.5 * (np.arange(-radius, radius + 1) / smoothing) ** 2)
        # Mirrored at the ends, so that the end bins lose no mass to outside the axis.
        padded = np.pad(probabilities, radius, mode="symmetric")
        probabilities = np.convolve(padded, kernel / kernel.sum(), mode="valid")
        probabilities /= probabilities.sum()
    weights = 1.0 / ((1.0 - mix) * probabilities + mix / len(probabilities))
    return (weights / np.sum(probabilities * weights)).astype(np.float32)


@keras.saving.register_keras_serializable(package="colornn_keras")
class RebalancedCrossentropy(keras.losses.Loss):
    """Sparse categorical cross-entropy with each pixel weighted by its true bin's weight."""

    def __init__(self, bin_weights, name="rebalanced_crossentropy", **kwargs):
        super().__init__(name=name, **kwargs)
        self.bin_weights = [float(weight) for weight in bin_weights]

    def call(self, y_true, y_pred):
        bins = keras.ops.cast(y_true, "int32")
        if len(bins.shape) == len(y_pred.shape):  # Targets may carry a trailing axis of 1.
            bins = keras.ops.squeeze(bins, axis=-1)
        losses = keras.losses.sparse_categorical_crossentropy(bins, y_pred)
        weights = keras.ops.take(keras.ops.convert_to_tensor(self.bin_weights, dtype=losses.dtype), bins)
        return losses * weights

    def get_config(self):
        return {**super().get_config(), "bin_weights": self.bin_weights}
