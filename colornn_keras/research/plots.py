"""Plots of runs as PNG files: training curves, accuracy by distance from a keyframe, and the
colour bins' frequencies and weights.

Each draws on a bare matplotlib `Figure`, without pyplot, so it neither needs a display nor
changes the backend of a notebook that trains.
"""

import numpy as np


def plot_curves(history_rows, path, best_epoch=None):
    """Loss and U/V accuracy per epoch, train and validation, as a PNG."""
    from matplotlib.figure import Figure

    epochs = [row["epoch"] + 1 for row in history_rows]
    figure = Figure(figsize=(10, 4))
    loss_axes, accuracy_axes = figure.subplots(1, 2)
    for key, style in (("loss", "-"), ("val_loss", "--")):
        if all(key in row for row in history_rows):
            loss_axes.plot(epochs, [row[key] for row in history_rows], style, label=key)
    for key, style in (("u_accuracy", "-"), ("v_accuracy", "-"), ("val_u_accuracy", "--"), ("val_v_accuracy", "--")):
        if all(key in row for row in history_rows):
            accuracy_axes.plot(epochs, [row[key] for row in history_rows], style, label=key)
    for axes, title in ((loss_axes, "loss (sum of U and V cross-entropy)"), (accuracy_axes, "bin accuracy")):
        if best_epoch is not None:
            axes.axvline(best_epoch + 1, color="gray", linestyle=":", label="kept epoch")
        axes.set_xlabel("epoch")
        axes.set_title(title)
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def plot_accuracy_by_distance(per_clip, path, modes=None):
    """V and U accuracy against the distance (in frames) from the keyframe at frame 0, averaged
    over clips, one line per way of colouring; `per_clip` as in a video evaluation's results."""
    from matplotlib.figure import Figure

    clips = list(per_clip.values())
    modes = modes or [mode for mode, record in clips[0].items() if isinstance(record, dict) and "v_accuracy_by_frame" in record]
    figure = Figure(figsize=(10, 4))
    for axes, axis in zip(figure.subplots(1, 2), ("v", "u")):
        for mode in modes:
            length = min(len(clip[mode][f"{axis}_accuracy_by_frame"]) for clip in clips)
            curve = np.mean([clip[mode][f"{axis}_accuracy_by_frame"][:length] for clip in clips], axis=0)
            axes.plot(np.arange(length), curve, label=mode.replace("_", "-"))
        axes.set_xlabel("frames from the keyframe (frame 0)")
        axes.set_title(f"{axis.upper()} bin accuracy, mean over clips")
        axes.legend()
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def plot_bin_histogram(counts, weights, path):
    """Each axis' bin frequencies (log scale) and rebalancing weights, as a PNG."""
    from matplotlib.figure import Figure

    figure = Figure(figsize=(10, 4))
    for axes, axis in zip(figure.subplots(1, 2), ("u", "v")):
        frequencies = [count / max(sum(counts[axis]), 1) for count in counts[axis]]
        axes.bar(range(len(frequencies)), frequencies, color="tab:blue", label="pixel frequency")
        axes.set_yscale("log")
        axes.set_xlabel(f"{axis.upper()} bin")
        weight_axes = axes.twinx()
        weight_axes.plot(range(len(weights[axis])), weights[axis], "r.-", label="loss weight")
        axes.set_title(f"{axis.upper()}: frequency (bars, log) and weight (red)")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
