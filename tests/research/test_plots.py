"""Plots of runs (`plots`): training curves written as a PNG."""

from colornn_keras.research import plots


def test_curves_are_plotted(tmp_path):
    rows = [{"epoch": e, "loss": 3 - e, "val_loss": 3.1 - e, "u_accuracy": 0.1 * e, "val_u_accuracy": 0.1} for e in range(3)]
    plots.plot_curves(rows, tmp_path / "curves.png", best_epoch=1)
    assert (tmp_path / "curves.png").read_bytes()[:4] == b"\x89PNG"
