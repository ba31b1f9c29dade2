"""Evaluating models: the color model on image files, the consistency model on clips.

One pass over the data computes, at once:
- the paper's: total loss (sum of the U and V losses), U and V bin accuracy;
- the gray baseline: bin accuracy of predicting U = V = 0 everywhere;
- per decoding method (argmax, expectation, annealed mean): AuC of the (U, V) error,
  PSNR of the rebuilt RGB, and the output's colorfulness beside the ground truth's.

Clips are evaluated frame to frame in three modes (`evaluate_consistency`): the color model
alone, the consistency model teacher-forced (the paper's table) and free-running (real use),
each with loss, accuracy, AuC, warp error and CDC, beside the ground truth's own warp error and
CDC (the floor).
"""

import keras
import numpy as np
from PIL import Image

from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras import metrics
from colornn_keras import propagation
from colornn_keras.data import clips
from colornn_keras.data import images
from colornn_keras.data import scene_cuts
from colornn_keras.models import color as color_models
from colornn_keras.models import consistency as consistency_models
from colornn_keras.models import decoding


# The name of the annealed-mean decoding at another temperature, e.g. "annealed_mean@0.2".
annealed_mean_at = decoding.annealed_mean_at


# Annealed-mean temperatures tried on the validation photos, and the rule that picks one, stated
# before any run used it: the best AuC among those at least this colourful relative to the
# ground truth; if none is, the most colourful.
TEMPERATURE_CANDIDATES = (0.1, 0.2, 0.3, 0.38, 0.5, 0.7, 1.0)
MIN_RELATIVE_COLORFULNESS = 0.8


def choose_temperature(validation):
    """The temperature `TEMPERATURE_CANDIDATES` and the rule pick from validation metrics."""
    truth = validation["ground_truth_colorfulness"]
    scores = {temperature: validation[annealed_mean_at(temperature)] for temperature in TEMPERATURE_CANDIDATES}
    vivid = [t for t, score in scores.items() if score["colorfulness"] >= MIN_RELATIVE_COLORFULNESS * truth]
    if vivid:
        return max(vivid, key=lambda t: scores[t]["auc"])
    return max(scores, key=lambda t: scores[t]["colorfulness"])


def _pixel_losses(outputs, targets, variant):
    """Per-pixel sum of the U and V losses, exactly as Keras computes them in training.

    For classification the loss comes from the logits (log-sum-exp minus the true logit), as
    Keras does for a softmax output, so no probability clipping changes it.
    """
    if variant == "regression":
        return sum((outputs[axis] - targets[axis]) ** 2 for axis in ("u", "v"))[..., 0]
    total = 0.0
    for axis in ("u", "v"):
        logits = outputs[f"{axis}_logits"].astype(np.float64)
        peak = logits.max(axis=-1, keepdims=True)
        log_normalizer = peak[..., 0] + np.log(np.exp(logits - peak).sum(axis=-1))
        true_logit = np.take_along_axis(logits, targets[axis][..., None].astype(np.int64), axis=-1)[..., 0]
        total = total + (log_normalizer - true_logit)
    return total


def _with_logits(model):
    """The model with its heads' logits as extra outputs (classification), for exact losses."""
    if color_models.variant_of(model) == "regression":
        return model
    outputs = dict(zip(model.output_names, model.outputs)) if isinstance(model.outputs, list) else dict(model.outputs)
    for axis in ("u", "v"):
        outputs[f"{axis}_logits"] = model.get_layer(f"{axis}_logits").output
    return keras.Model(model.inputs, outputs)


class _Accumulator:
    def __init__(self, methods):
        self.methods = methods
        self.pixels = self.images = 0
        self.sums = {"loss": 0.0, "u_correct": 0.0, "v_correct": 0.0, "u_gray": 0.0, "v_gray": 0.0}
        self.within = {method: metrics.WithinThresholdCounts() for method in methods}
        self.psnr = {method: [] for method in methods}
        self.colorfulness = {method: [] for method in methods}
        self.true_colorfulness = []

    def summary(self):
        result = {
            "images": self.images,
            "loss": self.sums["loss"] / self.pixels,
            "u_accuracy": self.sums["u_correct"] / self.pixels,
            "v_accuracy": self.sums["v_correct"] / self.pixels,
            "gray_baseline_u_accuracy": self.sums["u_gray"] / self.pixels,
            "gray_baseline_v_accuracy": self.sums["v_gray"] / self.pixels,
            "ground_truth_colorfulness": float(np.mean(self.true_colorfulness)),
        }
        for method in self.methods:
            result[method] = {
                "auc": self.within[method].auc(),
                "psnr": float(np.mean(self.psnr[method])),
                "colorfulness": float(np.mean(self.colorfulness[method])),
            }
        return result


def evaluate_color_model(
    model, files, image_size, batch_size=15, methods=colorspace.DECODING_METHODS, failures=None
):
    """Evaluates `model` on image `files` (centre crops); returns a dict of metrics."""
    variant = color_models.variant_of(model)
    num_bins = color_models.num_bins_of(model)
    if variant == "regression":
        methods = ("regression",)
    dataset = images.make_dataset(
        files, image_size, batch_size, num_bins=num_bins, variant="regression", cache=False,
        failures=failures,
    )
    scorer = _with_logits(model)
    totals = _Accumulator(methods)
    for luma, true_uv in dataset.as_numpy_iterator():
        predictions = {key: np.asarray(value, np.float32) for key, value in scorer.predict_on_batch(luma).items()}
        true_u, true_v = true_uv["u"][..., 0], true_uv["v"][..., 0]
        true_pixels = np.stack([true_u, true_v], axis=-1)
        true_bins = colorspace.quantize_uv(true_pixels, num_bins)
        targets = true_bins if variant == "classification" else true_uv
        totals.pixels += true_u.size
        totals.images += len(luma)
        totals.sums["loss"] += float(_pixel_losses(predictions, targets, variant).sum())
        for axis in ("u", "v"):
            if variant == "classification":
                predicted_bins = np.argmax(predictions[axis], axis=-1)
            else:
                predicted_bins = colorspace.quantize(predictions[axis][..., 0], axis, num_bins)
            totals.sums[f"{axis}_correct"] += float(np.sum(predicted_bins == true_bins[axis]))
            totals.sums[f"{axis}_gray"] += float(np.sum(true_bins[axis] == colorspace.gray_bin(axis, num_bins)))
        true_rgb = colorspace.yuv_to_rgb(np.concatenate([luma, true_uv["u"], true_uv["v"]], axis=-1))
        totals.true_colorfulness.extend(metrics.colorfulness(image) for image in true_rgb)
        for method in methods:
            predicted_uv = decoding.decode(predictions, method)
            totals.within[method].add(predicted_uv, true_pixels)
            rgb = colorspace.yuv_to_rgb(np.concatenate([luma, predicted_uv], axis=-1))
            totals.psnr[method].extend(metrics.psnr(out, truth) for out, truth in zip(rgb, true_rgb))
            totals.colorfulness[method].extend(metrics.colorfulness(image) for image in rgb)
    if totals.pixels == 0:
        raise errors.InputError("None of the evaluation images could be read.")
    return totals.summary()


def colorize_batch(model, luma, method="annealed_mean"):
    """RGB in [0, 1] for a batch of luma (B, H, W, 1) at the model's size."""
    return colorspace.yuv_to_rgb(np.concatenate([luma, decoding.predict_uv(model, luma, method)], axis=-1))


def write_samples(model, files, image_size, folder, count=8, method="annealed_mean"):
    """Writes ground truth | grayscale | colorized strips (as the paper's Figures 2-3) as PNGs."""
    folder.mkdir(parents=True, exist_ok=True)
    dataset = images.make_dataset(files[:count], image_size, count, variant="regression", cache=False)
    written = []
    for luma, true_uv in dataset.as_numpy_iterator():
        truth = colorspace.yuv_to_rgb(np.concatenate([luma, true_uv["u"], true_uv["v"]], axis=-1))
        output = colorize_batch(model, luma, method)
        for index in range(len(luma)):
            gray = np.repeat(luma[index], 3, axis=-1)
            strip = np.concatenate([truth[index], gray, output[index]], axis=1)
            path = folder / f"sample_{len(written):02d}.png"
            Image.fromarray(np.round(strip * 255).astype(np.uint8)).save(path)
            written.append(path)
    return written


SEQUENCE_MODES = consistency_models.SEQUENCE_MODES


# Keyframe propagation is also scored over each clip's first frames, where it matters most.
FIRST_FRAMES = 50


def _sequence_scores(predictions, clip, num_bins):
    """Loss, accuracy and AuC counts (`metrics.WithinThresholdCounts`, of the whole clip and of its
    first `FIRST_FRAMES`), per-frame accuracy and the rebuilt RGB frames of one clip's predictions.
    Predictions without distributions (the propagation baselines give only "uv") have no loss,
    and their bins are those of their (U, V)."""
    luma, true_uv = clips.split_yuv(clip)
    sums = {"loss": 0.0, "u_correct": 0.0, "v_correct": 0.0, "pixels": 0, "u_by_frame": [], "v_by_frame": []}
    within, within_first = metrics.WithinThresholdCounts(), metrics.WithinThresholdCounts()
    rgb_frames = []
    for frame_index, (frame_luma, frame_uv, output) in enumerate(zip(luma, true_uv, predictions)):
        frame_bins = colorspace.quantize_uv(frame_uv, num_bins)
        for index, axis in enumerate(("u", "v")):
            true_bins = frame_bins[axis]
            if axis in output:
                chosen = np.take_along_axis(output[axis], true_bins[..., None].astype(np.int64), -1)[..., 0]
                # Softmax outputs are float32; the floor only guards log(0) for an underflowed probability.
                sums["loss"] += float(-np.log(np.maximum(chosen, np.finfo(np.float32).tiny)).sum())
                predicted_bins = np.argmax(output[axis], -1)
            else:
                sums["loss"] = float("nan")
                predicted_bins = colorspace.quantize(output["uv"][..., index], axis, num_bins)
            correct = float(np.sum(predicted_bins == true_bins))
            sums[f"{axis}_correct"] += correct
            sums[f"{axis}_by_frame"].append(correct / true_bins.size)
        sums["pixels"] += frame_luma.size
        frame_within = metrics.WithinThresholdCounts().add(output["uv"], frame_uv)
        within.merge(frame_within)
        if frame_index < FIRST_FRAMES:
            within_first.merge(frame_within)
        rgb_frames.append(colorspace.yuv_to_rgb(np.concatenate([frame_luma, output["uv"]], -1)))
    sums["within_first"] = within_first
    return sums, within, rgb_frames


def _finite_or_none(value):
    return float(value) if np.isfinite(value) else None


def consistency_predictors(color_model, consistency_model, method="annealed_mean", modes=SEQUENCE_MODES):
    """{mode: predictor} for `evaluate_sequences`, from `consistency.predict_sequence`'s modes."""
    def predictor(mode):
        return lambda luma, true_uv, cuts: consistency_models.predict_sequence(
            color_model, consistency_model, luma, mode, true_uv_frames=true_uv, cuts=cuts, method=method)

    return {mode: predictor(mode) for mode in modes}


KEYFRAME_MODES = ("seeded", "hold_keyframe", "flow_keyframe")


def keyframe_predictors(color_model, consistency_model, method="annealed_mean", modes=KEYFRAME_MODES):
    """{mode: predictor} for `evaluate_sequences` given the true colours of each clip's first frame:
    "seeded" (the consistency model seeded with them, then free-running; shots after a cut with no
    keyframe in the automatic mode) and the two baselines, holding them and carrying them along
    optical flow (`colornn_keras.propagation`)."""
    def seeded(luma, true_uv, cuts):
        return propagation.propagate(color_model, consistency_model, luma, {0: true_uv[0]}, cuts, method)

    def hold(luma, true_uv, cuts):
        return propagation.hold_keyframe(luma, {0: true_uv[0]})

    def flow(luma, true_uv, cuts):
        return propagation.flow_keyframe(luma, {0: true_uv[0]})

    predictors = {"seeded": seeded, "hold_keyframe": hold, "flow_keyframe": flow}
    return {mode: predictors[mode] for mode in modes}


def evaluate_consistency(color_model, consistency_model, clip_frames, clip_names, method="annealed_mean",
                         modes=SEQUENCE_MODES, scene_cut_threshold=scene_cuts.DEFAULT_SCENE_CUT_THRESHOLD):
    """`evaluate_sequences` of the paper's consistency model in its three modes."""
    results = evaluate_sequences(consistency_predictors(color_model, consistency_model, method, modes), clip_frames,
                                 clip_names, color_models.num_bins_of(color_model), scene_cut_threshold)
    return {**results, "decoding": method}


def evaluate_sequences(predictors, clip_frames, clip_names, num_bins=colorspace.DEFAULT_NUM_BINS,
                       scene_cut_threshold=scene_cuts.DEFAULT_SCENE_CUT_THRESHOLD):
    """Per clip and overall, for each way of colouring a clip: loss, U/V accuracy, AuC, warp error
    and CDC; plus the gray baseline (its accuracy, and the warp error and CDC of the clip's luma as a
    gray video, about as low as any colouring's can go) and the ground truth's own warp error and CDC.

    Args:
        predictors: {mode name: callable(luma_frames, true_uv_frames, cuts)} yielding per frame
            {"u": (H, W, bins), "v": ..., "uv": (H, W, 2)}, like `consistency.predict_sequence`.
    """
    modes = list(predictors)
    per_clip, totals = {}, {mode: {"loss": 0.0, "u_correct": 0.0, "v_correct": 0.0, "pixels": 0,
                                   "within": metrics.WithinThresholdCounts(), "warp": [], "cdc": []} for mode in modes}
    floor = {"warp": [], "cdc": [], "gray_warp": [], "gray_cdc": [], "u_gray": 0.0, "v_gray": 0.0, "pixels": 0}
    for name, clip in zip(clip_names, clip_frames):
        detector = scene_cuts.SceneCutDetector(scene_cut_threshold)
        cuts = [detector.is_cut(frame) for frame in clip]
        truth = [frame.astype(np.float32) / 255.0 for frame in clip]
        luma, true_uv = clips.split_yuv(clip)
        # The clip's own luma as a gray video: any colouring keeps this luma, so its warp error and
        # CDC are about as low as a colouring's can go (the colours only add to them).
        gray = [np.repeat(np.asarray(frame_luma, np.float32), 3, axis=-1) for frame_luma in luma]
        motion = metrics.truth_motion(clip)  # The clip's flow, once for every colouring scored on it.
        clip_record = {"frames": len(clip), "scene_cuts": int(sum(cuts)),
                       "ground_truth": {"warp_error": metrics.warp_error(truth, clip, motion),
                                        "cdc": metrics.color_distribution_consistency(truth)},
                       "gray_video": {"warp_error": metrics.warp_error(gray, clip, motion),
                                      "cdc": metrics.color_distribution_consistency(gray)}}
        true_bins = colorspace.quantize_uv(true_uv, num_bins)
        for axis in ("u", "v"):
            floor[f"{axis}_gray"] += metrics.gray_baseline_accuracy(true_bins[axis], axis, num_bins) * true_bins[axis].size
        floor["pixels"] += true_uv[..., 0].size
        floor["warp"].append(clip_record["ground_truth"]["warp_error"])
        floor["cdc"].append(clip_record["ground_truth"]["cdc"])
        floor["gray_warp"].append(clip_record["gray_video"]["warp_error"])
        floor["gray_cdc"].append(clip_record["gray_video"]["cdc"])
        for mode in modes:
            sums, within, rgb_frames = _sequence_scores(predictors[mode](luma, true_uv, cuts), clip, num_bins)
            warp, cdc = metrics.warp_error(rgb_frames, clip, motion), metrics.color_distribution_consistency(rgb_frames)
            first = min(FIRST_FRAMES, len(clip))
            clip_record[mode] = {
                "loss": _finite_or_none(sums["loss"] / sums["pixels"]),
                "u_accuracy": sums["u_correct"] / sums["pixels"],
                "v_accuracy": sums["v_correct"] / sums["pixels"],
                "auc": within.auc(),
                "warp_error": warp, "cdc": cdc,
                f"first_{FIRST_FRAMES}_frames": {
                    "u_accuracy": float(np.mean(sums["u_by_frame"][:first])),
                    "v_accuracy": float(np.mean(sums["v_by_frame"][:first])),
                    "auc": sums["within_first"].auc(),
                },
                "u_accuracy_by_frame": [round(value, 5) for value in sums["u_by_frame"]],
                "v_accuracy_by_frame": [round(value, 5) for value in sums["v_by_frame"]],
            }
            total = totals[mode]
            for key in ("loss", "u_correct", "v_correct", "pixels"):
                total[key] += sums[key]
            total["within"].merge(within)
            total["warp"].append(warp)
            total["cdc"].append(cdc)
        per_clip[name] = clip_record
    overall = {
        mode: {
            "loss": _finite_or_none(total["loss"] / total["pixels"]), "u_accuracy": total["u_correct"] / total["pixels"],
            "v_accuracy": total["v_correct"] / total["pixels"],
            "auc": total["within"].auc(),
            "warp_error": float(np.mean(total["warp"])), "cdc": float(np.mean(total["cdc"])),
        }
        for mode, total in totals.items()
    }
    overall["ground_truth"] = {"warp_error": float(np.mean(floor["warp"])), "cdc": float(np.mean(floor["cdc"]))}
    overall["gray_baseline"] = {"u_accuracy": floor["u_gray"] / floor["pixels"], "v_accuracy": floor["v_gray"] / floor["pixels"],
                                "warp_error": float(np.mean(floor["gray_warp"])), "cdc": float(np.mean(floor["gray_cdc"]))}
    return {"overall": overall, "per_clip": per_clip}


def write_sequence_samples(color_model, consistency_model, clip, folder, name, frame_indices=(0, 10, 20, 30),
                           method="annealed_mean"):
    """The paper's Figure 5 as strips: grayscale | color model | consistency model | ground truth."""
    folder.mkdir(parents=True, exist_ok=True)
    luma, _ = clips.split_yuv(clip)
    per_frame = list(consistency_models.predict_sequence(color_model, None, luma, "per_frame", method=method))
    free = list(consistency_models.predict_sequence(color_model, consistency_model, luma, "free_running", method=method))
    rows = []
    for index in [index for index in frame_indices if index < len(clip)]:
        gray = np.repeat(luma[index], 3, -1)
        color_only = colorspace.yuv_to_rgb(np.concatenate([luma[index], per_frame[index]["uv"]], -1))
        consistent = colorspace.yuv_to_rgb(np.concatenate([luma[index], free[index]["uv"]], -1))
        rows.append(np.concatenate([gray, color_only, consistent, clip[index] / 255.0], axis=1))
    path = folder / f"{name}.png"
    Image.fromarray(np.round(np.concatenate(rows, axis=0) * 255).astype(np.uint8)).save(path)
    return path
