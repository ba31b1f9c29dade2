"""Class rebalancing: the weights' formula, the weighted loss, and a rebalanced run's record."""

import keras
import numpy as np
import pytest

from colornn_keras.research import training
from colornn_keras.research.training import rebalancing
from colornn_keras.runs import records
from tests.research.training.test_training import _config


def test_weights_follow_zhangs_formula():
    counts = np.array([1, 10, 1000, 10, 1], np.float64)
    weights = rebalancing.rebalancing_weights(counts, mix=0.5, smoothing=0)
    probabilities = counts / counts.sum()
    expected = 1 / (0.5 * probabilities + 0.5 / 5)
    np.testing.assert_allclose(weights, expected / np.sum(probabilities * expected), rtol=1e-5)
    assert np.isclose(np.sum(probabilities * weights), 1.0)  # Normalized: the expected weight is 1.
    assert weights[0] > weights[1] > weights[2]  # Rarer bins weigh more.
    np.testing.assert_allclose(rebalancing.rebalancing_weights(counts, mix=1.0, smoothing=0), 1.0, rtol=1e-6)
    np.testing.assert_allclose(rebalancing.rebalancing_weights(np.ones(30), mix=0.0), 1.0, rtol=1e-6)
    smoothed = rebalancing.rebalancing_weights(counts, mix=0.5, smoothing=0.5)
    assert smoothed[1] < weights[1]  # Smoothing lends the rare neighbour of the peak some of its mass.


def test_bad_mix_and_empty_counts_are_refused():
    with pytest.raises(ValueError, match="lambda"):
        rebalancing.rebalancing_weights(np.ones(30), mix=1.5)
    with pytest.raises(ValueError, match="empty"):
        rebalancing.rebalancing_weights(np.zeros(30))


def test_rebalanced_crossentropy_weights_each_pixel_by_its_true_bin():
    rng = np.random.default_rng(0)
    probabilities = rng.dirichlet(np.ones(4), size=(2, 3, 3)).astype(np.float32)
    bins = rng.integers(0, 4, size=(2, 3, 3))
    plain = keras.losses.sparse_categorical_crossentropy(bins, probabilities)
    bin_weights = [1.0, 2.0, 0.5, 3.0]
    loss = rebalancing.RebalancedCrossentropy(bin_weights, reduction=None)
    np.testing.assert_allclose(loss(bins, probabilities), np.asarray(plain) * np.take(bin_weights, bins), rtol=1e-5)
    np.testing.assert_allclose(loss(bins[..., None], probabilities), loss(bins, probabilities), rtol=1e-6)
    restored = keras.losses.deserialize(keras.losses.serialize(loss))
    assert isinstance(restored, rebalancing.RebalancedCrossentropy) and restored.bin_weights == bin_weights


class _LossSpy(keras.callbacks.Callback):
    """Keeps the losses the run's model was compiled with."""

    def on_train_begin(self, logs=None):
        self.losses = self.model.loss


@pytest.mark.large
def test_a_rebalanced_run_records_its_bin_counts_weights_and_histogram(image_folder, tmp_path):
    spy = _LossSpy()
    run_dir = training.train_color_model(_config(image_folder, tmp_path, rebalance=0.5, epochs=1), verbose=0,
                                         callbacks=[spy])
    record = records.read_json(run_dir / training.BIN_WEIGHTS_FILE)
    # The run trains on the rebalanced loss, weighted by exactly the recorded weights.
    for axis in ("u", "v"):
        assert isinstance(spy.losses[axis], rebalancing.RebalancedCrossentropy)
        np.testing.assert_allclose(spy.losses[axis].bin_weights, record["weights"][axis])
    assert record["mix"] == 0.5 and len(record["weights"]["u"]) == 30
    assert sum(record["counts"]["v"]) > 0 and (run_dir / training.BIN_HISTOGRAM_FILE).is_file()
    assert (run_dir / records.METRICS_FILE).is_file()
    with pytest.raises(ValueError, match="regression"):
        _config(image_folder, tmp_path, rebalance=0.5, variant="regression")
