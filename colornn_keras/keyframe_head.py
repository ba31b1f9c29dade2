"""The color model's head refitted to a clip's keyframes: their colours matched by the model's features.

The color model's final features (`models.color.FEATURES_LAYER`, 64 a pixel of its square) are
what its own heads read the colours from. A ridge regression from them and the luma to the
keyframes' true (U, V) is a head that knows this clip's colours: given a later
frame, it colours what the keyframe showed (the same sea, hull or sky) as the keyframe did, even
where the flow cannot carry the colours there (new content entering, occlusions). This is the
`features` fill of keyframes carried along the flow (`flow_carry`), exemplar-style; measured
against the other fills in benchmarks/results/keyframe_fills.md.
"""

import keras
import numpy as np

from colornn_keras import chroma_prediction
from colornn_keras import errors
from colornn_keras.models import color as color_models

# The ridge's regularization, on the standardized inputs (each of unit variance over the keyframes'
# pixels): enough to keep the solve well-posed on a flat keyframe, too little to pull a varied
# one's fit off.
RIDGE = 1e-3


class KeyframeHead:
    """A linear head from the color model's final features and the luma to (U, V),
    fitted to keyframes (`fit`); `__call__` colours model-size lumas with it.

    Args:
        color_model: the Keras color model whose features the head reads (either variant).
    """

    def __init__(self, color_model):
        try:
            features = color_model.get_layer(color_models.FEATURES_LAYER).output
        except (AttributeError, ValueError) as error:
            raise errors.ColorNNError(f"The features fill reads the Keras color model's "
                                      f"{color_models.FEATURES_LAYER!r} layer, which this color model lacks.") from error
        self.features_model = keras.Model(color_model.inputs, features, name="keyframe_head_features")
        self.weights = self.bias = None

    def features(self, model_lumas):
        """(N, S, S, F + 1): the features of model-size lumas (N, S, S, 1), then the luma."""
        model_lumas = np.asarray(model_lumas, np.float32)
        features = np.asarray(self.features_model.predict_on_batch(model_lumas), np.float32)
        return np.concatenate([features, model_lumas], axis=-1)

    def fit(self, model_lumas, uv):
        """Fits the head to keyframes: their model-size lumas (N, S, S, 1) and true (U, V) (N, S, S, 2). Returns self.

        A ridge regression on the inputs standardized over the keyframes' pixels, so that the
        regularization weighs each alike (the features' scales differ by orders of magnitude from
        the luma's), with an intercept it leaves alone.
        """
        inputs = self.features(model_lumas)
        inputs = inputs.reshape(-1, inputs.shape[-1]).astype(np.float64)
        targets = np.asarray(uv, np.float64).reshape(-1, 2)
        if len(inputs) != len(targets):
            raise ValueError(f"A head is fitted to one (U, V) for each pixel: {len(inputs)} pixels, {len(targets)} colours.")
        mean, scale = inputs.mean(axis=0), inputs.std(axis=0)
        scale[scale < 1e-6] = 1.0  # A feature constant over the keyframes says nothing: it stays 0 after centring.
        standardized = (inputs - mean) / scale
        target_mean = targets.mean(axis=0)
        gram = standardized.T @ standardized + RIDGE * len(inputs) * np.eye(inputs.shape[1])
        slopes = np.linalg.solve(gram, standardized.T @ (targets - target_mean)) / scale[:, None]
        self.weights = slopes.astype(np.float32)
        self.bias = (target_mean - mean @ slopes).astype(np.float32)
        return self

    def __call__(self, model_lumas):
        """The head's (U, V) (N, S, S, 2) of model-size lumas (N, S, S, 1)."""
        if self.weights is None:
            raise RuntimeError("A KeyframeHead colours frames only once fitted to keyframes (fit).")
        return self.features(model_lumas) @ self.weights + self.bias

    def beside(self, predict_in_batches, model_lumas, batch_size):
        """(S, S, 4) for each model-size luma in order: the colours `predict_in_batches` gives it
        (the color model's, from an iterable of lumas), then this head's; `batch_size` at a time."""
        for batch in chroma_prediction.batches(model_lumas, batch_size):
            for model_uv, head_uv in zip(predict_in_batches(batch), self(np.stack(batch))):
                yield np.concatenate([np.asarray(model_uv, np.float32), head_uv], axis=-1)
