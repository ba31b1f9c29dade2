"""The color model's head refitted to keyframes: the `features` fill's colours (issue #29, item 2)."""

import keras
import numpy as np
import pytest

from colornn_keras import errors
from colornn_keras import keyframe_head

RED, BLUE = np.array([-0.1, 0.3], np.float32), np.array([0.3, -0.1], np.float32)


def _halves(left, right, size=32):
    """A model-size luma (1, S, S, 1) whose halves have lumas `left` and `right`."""
    luma = np.full((1, size, size, 1), left, np.float32)
    luma[:, :, size // 2:] = right
    return luma


def _patches(seed, size=32, block=8):
    """A model-size luma (1, S, S, 1) of dark and bright blocks placed at random, and its true
    (U, V): red where dark, blue where bright."""
    bright = np.random.default_rng(seed).random((size // block, size // block)) < 0.5
    bright = np.kron(bright, np.ones((block, block), bool))[None, ..., None]
    return np.where(bright, 0.8, 0.2).astype(np.float32), np.where(bright, BLUE, RED).astype(np.float32)


def test_a_head_fitted_to_a_keyframe_colours_what_it_showed_wherever_it_is_now(colorizer):
    # The keyframe: dark red and bright blue blocks. A later frame places them elsewhere: the head
    # colours each by what it is, not where it was.
    keyframe, keyframe_uv = _patches(seed=0)
    head = keyframe_head.KeyframeHead(colorizer.color_model).fit(keyframe, keyframe_uv)
    later, later_uv = _patches(seed=1)
    assert np.abs(later_uv - keyframe_uv).mean() > 0.1  # Elsewhere indeed.
    coloured = head(later)
    assert coloured.shape == (1, 32, 32, 2)
    error = np.abs(coloured - later_uv).mean()
    held = np.abs(keyframe_uv.mean(axis=(0, 1, 2)) - later_uv).mean()  # The keyframe's mean colour everywhere.
    assert error < 0.25 * held, (error, held)


def test_beside_gives_the_color_models_colours_then_the_heads(colorizer):
    head = keyframe_head.KeyframeHead(colorizer.color_model).fit(*_patches(seed=0))
    lumas = [_halves(0.1 * index, 0.9)[0] for index in range(5)]
    model_uv = list(colorizer._predictor.in_batches(lumas))
    both = list(head.beside(colorizer._predictor.in_batches, iter(lumas), batch_size=2))
    assert len(both) == 5 and {uv.shape for uv in both} == {(32, 32, 4)}
    for together, alone, luma in zip(both, model_uv, lumas):
        np.testing.assert_allclose(together[..., :2], alone, atol=1e-6)
        np.testing.assert_allclose(together[..., 2:], head(luma[None])[0], atol=1e-6)


def test_a_head_needs_the_color_models_features_and_a_fit(colorizer):
    plain = keras.Sequential([keras.Input((8, 8, 1)), keras.layers.Conv2D(2, 1)])
    with pytest.raises(errors.ColorNNError, match="lacks"):
        keyframe_head.KeyframeHead(plain)
    with pytest.raises(RuntimeError, match="once fitted"):
        keyframe_head.KeyframeHead(colorizer.color_model)(_halves(0.2, 0.8))
    with pytest.raises(ValueError, match="one \\(U, V\\) for each pixel"):
        keyframe_head.KeyframeHead(colorizer.color_model).fit(_halves(0.2, 0.8), np.zeros((1, 16, 16, 2)))
