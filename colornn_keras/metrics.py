"""Colour metrics as plain functions of arrays, plus the Keras bin-accuracy metric.

- `bin_accuracy`: the paper's measure, the fraction of pixels in the right U (or V) bin.
- `gray_baseline_accuracy`: the same measure for a model that predicts gray everywhere; bin
  accuracy flatters (water photos are near-neutral), so report this beside every accuracy.
- `auc_uv_error`: Zhang et al.'s AuC: the fraction of pixels whose predicted (U, V) lies within
  a distance d of the truth, averaged over thresholds d from 0 to `max_distance`.
- `psnr`: of the rebuilt RGB image against the original.
- `colorfulness`: Hasler & Suesstrunk (2003), computed on RGB 0-255.
"""

import keras
import numpy as np

from colornn_keras import colorspace

# Largest (U, V) distance of the AuC curve: about a quarter of the U-V plane's diagonal, the
# counterpart of Zhang et al.'s 0-150 range in Lab's ab plane.
DEFAULT_AUC_MAX_DISTANCE = 0.3
DEFAULT_AUC_STEPS = 100


def bin_accuracy(predicted_bins, true_bins):
    """Fraction of pixels whose predicted bin equals the true bin."""
    return float(np.mean(np.asarray(predicted_bins) == np.asarray(true_bins)))


def gray_baseline_accuracy(true_bins, axis, num_bins=colorspace.DEFAULT_NUM_BINS):
    """Bin accuracy of predicting U = V = 0 (gray) for every pixel."""
    gray_bin = int(colorspace.quantize(np.zeros(1, np.float32), axis, num_bins)[0])
    return float(np.mean(np.asarray(true_bins) == gray_bin))


def uv_error_curve(predicted_uv, true_uv, max_distance=DEFAULT_AUC_MAX_DISTANCE, steps=DEFAULT_AUC_STEPS):
    """Fraction of pixels within each distance threshold; returns (thresholds, fractions)."""
    distance = np.linalg.norm(np.asarray(predicted_uv, np.float64) - np.asarray(true_uv, np.float64), axis=-1)
    thresholds = np.linspace(0.0, max_distance, steps + 1)
    fractions = np.searchsorted(np.sort(distance.ravel()), thresholds, side="right") / distance.size
    return thresholds, fractions


def auc_uv_error(predicted_uv, true_uv, max_distance=DEFAULT_AUC_MAX_DISTANCE, steps=DEFAULT_AUC_STEPS):
    """Area under the curve of `uv_error_curve`, normalized to [0, 1] (1: every pixel exact)."""
    thresholds, fractions = uv_error_curve(predicted_uv, true_uv, max_distance, steps)
    return float(np.trapezoid(fractions, thresholds) / max_distance)


def psnr(predicted_rgb, true_rgb, peak=1.0):
    """Peak signal-to-noise ratio in dB of RGB images in [0, peak]; inf when identical."""
    error = np.mean((np.asarray(predicted_rgb, np.float64) - np.asarray(true_rgb, np.float64)) ** 2)
    return float("inf") if error == 0 else float(10.0 * np.log10(peak**2 / error))


def colorfulness(rgb):
    """Hasler & Suesstrunk's colorfulness of one RGB image in [0, 1] (computed on the 0-255 scale)."""
    pixels = np.asarray(rgb, np.float64) * 255.0
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    red_green = red - green
    yellow_blue = 0.5 * (red + green) - blue
    spread = np.hypot(red_green.std(), yellow_blue.std())
    mean = np.hypot(red_green.mean(), yellow_blue.mean())
    return float(spread + 0.3 * mean)


@keras.saving.register_keras_serializable(package="colornn_keras")
class BinAccuracy(keras.metrics.MeanMetricWrapper):
    """Bin accuracy of a regression head: the predicted value's bin against the true value's bin.

    It lets the regression variant report the same `u_accuracy` / `v_accuracy` as the
    classification model, so the two can be compared in one table.
    """

    def __init__(self, axis="u", num_bins=colorspace.DEFAULT_NUM_BINS, name="accuracy", dtype=None):
        def binned_equal(y_true, y_pred):
            true_bins = colorspace.quantize(y_true, axis, num_bins)
            return keras.ops.cast(keras.ops.equal(true_bins, colorspace.quantize(y_pred, axis, num_bins)), "float32")

        super().__init__(fn=binned_equal, name=name, dtype=dtype)
        self.axis, self.num_bins = axis, num_bins

    def get_config(self):
        return {"axis": self.axis, "num_bins": self.num_bins, "name": self.name, "dtype": self.dtype}
