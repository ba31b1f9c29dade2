"""The color model's head refitted to a clip's keyframes: their colours matched by the model's features.

The color model's final features (`models.color.FEATURES_LAYER`, 64 a pixel of its square) are
what its own heads read the colours from. A ridge regression from them (with the luma and a
constant) to the keyframes' true (U, V) is a head that knows this clip's colours: given a later
frame, it colours what the keyframe showed (the same sea, hull or sky) as the keyframe did, even
where the flow cannot carry the colours there (new content entering, occlusions). This is the
`features` fill of keyframes carried along the flow (`flow_carry`), exemplar-style; measured
against the other fills in benchmarks/results/keyframe_fills.md.
"""

import keras
import numpy as np

from colornn_keras import errors
from colornn_keras.models import color as color_models

# The ridge's regularization, relative to the mean of the features' Gram diagonal: enough to keep
# the solve well-posed on one flat keyframe, too little to pull the fit off a varied one.
RIDGE = 1e-3


def _batches(items, size):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


class KeyframeHead:
    """A linear head from the color model's final features, the luma and a constant to (U, V),
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
        self.weights = None

    def features(self, model_lumas):
        """(N, S, S, F + 2): the features of model-size lumas (N, S, S, 1), then the luma and 1."""
        model_lumas = np.asarray(model_lumas, np.float32)
        features = np.asarray(self.features_model.predict_on_batch(model_lumas), np.float32)
        return np.concatenate([features, model_lumas, np.ones_like(model_lumas)], axis=-1)

    def fit(self, model_lumas, uv):
        """Fits the head to keyframes: their model-size lumas (N, S, S, 1) and true (U, V) (N, S, S, 2). Returns self."""
        inputs = self.features(model_lumas)
        inputs = inputs.reshape(-1, inputs.shape[-1]).astype(np.float64)
        targets = np.asarray(uv, np.float64).reshape(-1, 2)
        if len(inputs) != len(targets):
            raise ValueError(f"A head is fitted to one (U, V) for each pixel: {len(inputs)} pixels, {len(targets)} colours.")
        gram = inputs.T @ inputs
        gram += RIDGE * np.trace(gram) / len(gram) * np.eye(len(gram))
        self.weights = np.linalg.solve(gram, inputs.T @ targets).astype(np.float32)
        return self

    def __call__(self, model_lumas):
        """The head's (U, V) (N, S, S, 2) of model-size lumas (N, S, S, 1)."""
        if self.weights is None:
            raise RuntimeError("A KeyframeHead colours frames only once fitted to keyframes (fit).")
        return self.features(model_lumas) @ self.weights

    def beside(self, predict_in_batches, model_lumas, batch_size):
        """(S, S, 4) for each model-size luma in order: the colours `predict_in_batches` gives it
        (the color model's, from an iterable of lumas), then this head's; `batch_size` at a time."""
        for batch in _batches(model_lumas, batch_size):
            for model_uv, head_uv in zip(predict_in_batches(batch), self(np.stack(batch))):
                yield np.concatenate([np.asarray(model_uv, np.float32), head_uv], axis=-1)
