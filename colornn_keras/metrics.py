"""Colour metrics as plain functions of arrays, plus the Keras bin-accuracy metric.

- `bin_accuracy`: the paper's measure, the fraction of pixels in the right U (or V) bin.
- `gray_baseline_accuracy`: the same measure for a model that predicts gray everywhere; bin
  accuracy flatters (water photos are near-neutral), so report this beside every accuracy.
- `auc_uv_error`: Zhang et al.'s AuC: the fraction of pixels whose predicted (U, V) lies within
  a distance d of the truth, averaged over thresholds d from 0 to `max_distance`;
  `WithinThresholdCounts` adds the counts up over many images or frames.
- `psnr`: of the rebuilt RGB image against the original.
- `colorfulness`: Hasler & Suesstrunk (2003), computed on RGB 0-255.
- `warp_error`: temporal consistency after Lai et al. (2018): frame t+1 of a colorized video
  warped onto frame t with the optical flow of the ground truth, mean squared difference over
  pixels that the flow's forward-backward check does not mark occluded.
- `color_distribution_consistency` (CDC, after Liu et al.'s TCVC): Jensen-Shannon divergence of
  per-channel colour histograms between frames t and t+1, t+2, t+4, averaged.
"""

import keras
import numpy as np

from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras import flow

# Largest (U, V) distance of the AuC curve: about a quarter of the U-V plane's diagonal, the
# counterpart of Zhang et al.'s 0-150 range in Lab's ab plane.
DEFAULT_AUC_MAX_DISTANCE = 0.3
DEFAULT_AUC_STEPS = 100


def bin_accuracy(predicted_bins, true_bins):
    """Fraction of pixels whose predicted bin equals the true bin."""
    return float(np.mean(np.asarray(predicted_bins) == np.asarray(true_bins)))


def gray_baseline_accuracy(true_bins, axis, num_bins=colorspace.DEFAULT_NUM_BINS):
    """Bin accuracy of predicting U = V = 0 (gray) for every pixel."""
    return float(np.mean(np.asarray(true_bins) == colorspace.gray_bin(axis, num_bins)))


class WithinThresholdCounts:
    """The AuC's counts: how many pixels' predicted (U, V) lie within each distance threshold of
    the truth, added up over images, batches, frames or clips; `auc()` scores all of them at once.

    Args:
        max_distance: the largest threshold. Defaults to `DEFAULT_AUC_MAX_DISTANCE`.
        steps: the thresholds are `steps + 1` evenly spaced values from 0 to `max_distance`.

    Example:
    >>> counts = WithinThresholdCounts()
    >>> counts.add(np.zeros((4, 4, 2)), np.zeros((4, 4, 2))).auc()
    1.0
    """

    def __init__(self, max_distance=DEFAULT_AUC_MAX_DISTANCE, steps=DEFAULT_AUC_STEPS):
        self.thresholds = np.linspace(0.0, max_distance, steps + 1)
        self.counts = np.zeros_like(self.thresholds)
        self.pixels = 0

    def add(self, predicted_uv, true_uv):
        """Counts the pixels of (..., 2) arrays of (U, V); returns self."""
        difference = np.asarray(predicted_uv, np.float64) - np.asarray(true_uv, np.float64)
        distance = np.linalg.norm(difference, axis=-1).ravel()
        self.counts += np.searchsorted(np.sort(distance), self.thresholds, side="right")
        self.pixels += distance.size
        return self

    def merge(self, other):
        """Adds another's counts (over the same thresholds) to these; returns self."""
        if not np.array_equal(self.thresholds, other.thresholds):
            raise ValueError("Only counts over the same thresholds can be merged.")
        self.counts += other.counts
        self.pixels += other.pixels
        return self

    def fractions(self):
        """The within-threshold curve: the fraction of pixels within each threshold."""
        if self.pixels == 0:
            raise ValueError("No pixels were counted.")
        return self.counts / self.pixels

    def auc(self):
        """Area under the curve, normalized to [0, 1] (1: every pixel exact)."""
        return area_under_curve(self.thresholds, self.fractions())


def uv_error_curve(predicted_uv, true_uv, max_distance=DEFAULT_AUC_MAX_DISTANCE, steps=DEFAULT_AUC_STEPS):
    """Fraction of pixels within each distance threshold; returns (thresholds, fractions)."""
    counts = WithinThresholdCounts(max_distance, steps).add(predicted_uv, true_uv)
    return counts.thresholds, counts.fractions()


def auc_uv_error(predicted_uv, true_uv, max_distance=DEFAULT_AUC_MAX_DISTANCE, steps=DEFAULT_AUC_STEPS):
    """Area under the curve of `uv_error_curve`, normalized to [0, 1] (1: every pixel exact)."""
    return WithinThresholdCounts(max_distance, steps).add(predicted_uv, true_uv).auc()


def area_under_curve(thresholds, fractions):
    """Normalized area under a within-threshold curve (thresholds from 0)."""
    return float(np.trapezoid(fractions, thresholds) / thresholds[-1])


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
            # colorspace computes on the backend's tensors too (keras.ops), so this runs on any backend.
            true_bins = colorspace.quantize(y_true, axis, num_bins)
            return keras.ops.cast(keras.ops.equal(true_bins, colorspace.quantize(y_pred, axis, num_bins)), "float32")

        super().__init__(fn=binned_equal, name=name, dtype=dtype)
        self.axis, self.num_bins = axis, num_bins

    def get_config(self):
        return {"axis": self.axis, "num_bins": self.num_bins, "name": self.name, "dtype": self.dtype}


def optical_flow(first_rgb, second_rgb):
    """Dense optical flow (H, W, 2) from `first` to `second` (uint8 RGB): Farneback on their BT.601
    luma (`colorspace.rgb_to_luma`, rounded to uint8; `flow.farneback_flow`: not the DIS flow the
    video modes carry colours along, see `flow`)."""
    first, second = (_luma_codes(rgb) for rgb in (first_rgb, second_rgb))
    return flow.farneback_flow(first, second)


def _luma_codes(rgb):
    luma = colorspace.rgb_to_luma(np.asarray(rgb, np.float32) / np.float32(255.0))[..., 0]
    return np.round(luma * np.float32(255.0)).astype(np.uint8)


def truth_motion(truth_frames):
    """For each pair of consecutive ground-truth frames (uint8 RGB or [0, 1] floats): the flow from
    the first to the second, and where it holds by the forward-backward consistency check
    (Sundaram et al.'s rule, as Lai et al. use). Computed once, it scores every colouring of a clip
    (`warp_error(..., motion=...)`)."""
    motion = []
    for index in range(len(truth_frames) - 1):
        truth_now, truth_next = (_as_uint8(truth_frames[index + offset]) for offset in (0, 1))
        forward = optical_flow(truth_now, truth_next)
        backward = optical_flow(truth_next, truth_now)
        backward_at_target = flow.warp(backward, forward)
        mismatch = np.sum((forward + backward_at_target) ** 2, axis=-1)
        magnitude = np.sum(forward**2, axis=-1) + np.sum(backward_at_target**2, axis=-1)
        motion.append((forward, mismatch < 0.01 * magnitude + 0.5))
    return motion


def warp_error(output_frames, truth_frames, motion=None):
    """Mean warp error of a colorized video (RGB frames in [0, 1]) against ground-truth motion.

    Flow is computed on the ground-truth frames (uint8 RGB or [0, 1] floats); pixels failing the
    forward-backward consistency check are left out (`truth_motion`, which `motion` is when given).
    """
    if len(output_frames) != len(truth_frames) or len(output_frames) < 2:
        raise errors.InputError("warp_error needs two equally long videos of at least 2 frames.")
    motion = truth_motion(truth_frames) if motion is None else motion
    if len(motion) != len(output_frames) - 1:
        raise ValueError(f"motion has {len(motion)} frame pairs for {len(output_frames)} frames.")
    frame_errors = []
    for index, (forward, visible) in enumerate(motion):
        warped = flow.warp(np.asarray(output_frames[index + 1], np.float32), forward)
        squared = np.sum((warped - np.asarray(output_frames[index], np.float32)) ** 2, axis=-1)
        if visible.any():
            frame_errors.append(float(squared[visible].mean()))
    return float(np.mean(frame_errors)) if frame_errors else 0.0


def _as_uint8(frame):
    frame = np.asarray(frame)
    return frame if frame.dtype == np.uint8 else np.clip(np.round(frame * 255), 0, 255).astype(np.uint8)


def _channel_histograms(frame, bins):
    pixels = np.asarray(frame, np.float64).reshape(-1, 3)
    return [np.histogram(pixels[:, channel], bins=bins, range=(0.0, 1.0))[0] / len(pixels) for channel in range(3)]


def jensen_shannon(first, second):
    """Jensen-Shannon divergence (base 2, in [0, 1]) of two histograms."""
    first, second = np.asarray(first, np.float64), np.asarray(second, np.float64)
    middle = 0.5 * (first + second)

    def kullback_leibler(p, q):
        mask = p > 0
        return float(np.sum(p[mask] * np.log2(p[mask] / q[mask])))

    return 0.5 * kullback_leibler(first, middle) + 0.5 * kullback_leibler(second, middle)


def color_distribution_consistency(frames, steps=(1, 2, 4), bins=64):
    """CDC of RGB frames in [0, 1]: mean JS divergence of channel histograms t vs t+k, over k."""
    histograms = [_channel_histograms(frame, bins) for frame in frames]
    per_step = []
    for step in steps:
        pairs = [
            np.mean([jensen_shannon(a, b) for a, b in zip(histograms[index], histograms[index + step])])
            for index in range(len(frames) - step)
        ]
        if pairs:
            per_step.append(np.mean(pairs))
    if not per_step:
        raise errors.InputError(f"CDC needs more than {min(steps)} frames.")
    return float(np.mean(per_step))
