"""Model-size colours: frame by frame in batches, none lost or repeated; non-finite ones refused."""

import numpy as np
import pytest

from colornn_keras import chroma_prediction
from colornn_keras.models import decoding

NUM_BINS = 12


class _BrightnessBins:
    """A color model that is not a Keras model: each frame's bins follow its mean luma (no network)."""

    input_shape = (None, 8, 8, 1)

    def predict_on_batch(self, luma):
        bins = np.clip((np.asarray(luma).mean(axis=(1, 2, 3)) * NUM_BINS).astype(int), 0, NUM_BINS - 1)
        distributions = np.eye(NUM_BINS, dtype=np.float32)[bins][:, None, None]
        return {axis: np.broadcast_to(distributions, (len(luma), 8, 8, NUM_BINS)) for axis in ("u", "v")}


def test_frames_in_batches_are_each_frames_own_colours_in_order():
    lumas = [np.full((8, 8, 1), index / 7, np.float32) for index in range(7)]
    predictor = chroma_prediction.ChromaPredictor(_BrightnessBins(), batch_size=3)
    assert not predictor.video_model
    got = list(predictor.in_batches(iter(lumas)))
    assert len(got) == 7
    for luma, uv in zip(lumas, got):
        np.testing.assert_array_equal(uv, decoding.predict_uv(_BrightnessBins(), luma[None])[0])
    assert len({float(uv[0, 0, 0]) for uv in got}) > 3  # Each frame its own colour.


def test_non_finite_colours_are_a_runtime_error():
    broken = np.zeros((1, 8, 8, 2), np.float32)
    broken[0, 3, 4, 1] = np.nan
    with pytest.raises(RuntimeError, match="non-finite colours"):
        chroma_prediction.check_finite(broken)
    chroma_prediction.check_finite({"uv": np.zeros((8, 8, 2), np.float32)})
