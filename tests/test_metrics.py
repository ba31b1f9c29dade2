import numpy as np
import pytest

from colornn_keras import metrics


def test_bin_accuracy_and_gray_baseline():
    true_bins = np.array([[15, 15, 3, 15]])
    assert metrics.bin_accuracy(np.array([[15, 0, 3, 15]]), true_bins) == pytest.approx(0.75)
    assert metrics.gray_baseline_accuracy(true_bins, "u", 30) == pytest.approx(0.75)


def test_auc_is_one_for_exact_colours_and_falls_with_error():
    true_uv = np.zeros((8, 8, 2))
    assert metrics.auc_uv_error(true_uv, true_uv) == pytest.approx(1.0, abs=1e-2)
    near = metrics.auc_uv_error(true_uv + 0.02, true_uv)
    far = metrics.auc_uv_error(true_uv + 0.2, true_uv)
    assert 1.0 > near > far > 0.0
    assert metrics.auc_uv_error(true_uv + 1.0, true_uv) == 0.0


def test_psnr_of_identical_and_known_error():
    image = np.full((4, 4, 3), 0.5)
    assert metrics.psnr(image, image) == float("inf")
    assert metrics.psnr(image + 0.1, image) == pytest.approx(20.0)


def test_colorfulness_is_zero_for_gray_and_larger_for_saturated():
    gray = np.full((8, 8, 3), 0.4)
    assert metrics.colorfulness(gray) == pytest.approx(0.0)
    stripes = np.zeros((8, 8, 3))
    stripes[::2, :, 0] = 1.0
    stripes[1::2, :, 2] = 1.0
    muted = 0.5 + 0.1 * (stripes - 0.5)
    assert metrics.colorfulness(stripes) > metrics.colorfulness(muted) > 0


def test_bin_accuracy_metric_of_regression_heads_counts_same_bin_values():
    metric = metrics.BinAccuracy(axis="u", num_bins=30)
    true = np.array([[0.0], [0.1], [-0.42]], np.float32)
    metric.update_state(true, np.array([[0.001], [0.2], [-0.43]], np.float32))
    assert float(metric.result()) == pytest.approx(2 / 3)
    assert metrics.BinAccuracy.from_config(metric.get_config()).num_bins == 30
