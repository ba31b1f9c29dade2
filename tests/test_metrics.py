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


def test_within_threshold_counts_added_up_over_batches_give_the_auc_of_all_pixels_at_once():
    rng = np.random.default_rng(0)
    true_uv = rng.uniform(-0.3, 0.3, (3, 8, 8, 2))
    predicted_uv = true_uv + rng.normal(0.0, 0.08, true_uv.shape)
    first, second = metrics.WithinThresholdCounts(), metrics.WithinThresholdCounts()
    first.add(predicted_uv[:1], true_uv[:1])
    second.add(predicted_uv[1:], true_uv[1:])
    assert first.merge(second).pixels == 3 * 8 * 8
    assert first.auc() == pytest.approx(metrics.auc_uv_error(predicted_uv, true_uv), abs=1e-12)
    assert 0.0 < first.auc() < 1.0
    with pytest.raises(ValueError, match="same thresholds"):
        first.merge(metrics.WithinThresholdCounts(max_distance=0.1))


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


def _panning_video(count=6, step=2, size=(48, 64)):
    from tests.conftest import make_scene

    rng = np.random.default_rng(0)
    wide = make_scene((size[0], size[1] + step * count), seed=3).astype(np.float32) / 255.0
    wide += 0.2 * np.kron(rng.random((size[0] // 4, (size[1] + step * count) // 4 + 1, 1)), np.ones((4, 4, 1)))[
        :, : size[1] + step * count
    ]  # Texture, so the flow has something to follow.
    wide = np.clip(wide, 0, 1)
    return [wide[:, index * step : index * step + size[1]] for index in range(count)]


def test_warp_error_is_near_zero_for_pure_translation_and_positive_for_flicker():
    frames = _panning_video()
    steady = metrics.warp_error(frames, frames)
    flicker = [np.clip(frame + (0.15 if index % 2 else -0.15) * np.array([1.0, -1.0, 0.5]), 0, 1)
               for index, frame in enumerate(frames)]
    flickering = metrics.warp_error(flicker, frames)
    assert steady < 0.002
    assert flickering > 20 * steady and flickering > 0.02
    # The clip's motion, computed once, scores each colouring exactly as computing it again does.
    motion = metrics.truth_motion(frames)
    assert metrics.warp_error(flicker, frames, motion) == flickering
    with pytest.raises(ValueError, match="frame pairs"):
        metrics.warp_error(flicker[:-1], frames[:-1], motion)


def test_the_warp_errors_flow_is_computed_on_the_colour_spaces_luma():
    from colornn_keras import colorspace
    from colornn_keras import flow

    first, second = (np.round(frame * 255).astype(np.uint8) for frame in _panning_video(2))
    gray = [np.round(colorspace.rgb_to_luma(frame / 255.0)[..., 0] * 255).astype(np.uint8) for frame in (first, second)]
    np.testing.assert_array_equal(metrics.optical_flow(first, second), flow.farneback_flow(*gray))


def test_cdc_is_zero_for_identical_frames_and_grows_with_colour_change():
    frame = _panning_video(1)[0]
    assert metrics.color_distribution_consistency([frame] * 6) == pytest.approx(0.0)
    shifted = [np.clip(frame + 0.1 * index * np.array([1.0, 0.0, -1.0]), 0, 1) for index in range(6)]
    assert metrics.color_distribution_consistency(shifted) > 0.05
    assert metrics.jensen_shannon([1, 0], [0, 1]) == pytest.approx(1.0)
