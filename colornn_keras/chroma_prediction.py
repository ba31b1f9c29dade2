"""The models' colours at their own square size: a `ChromaPredictor` turns model-size luma into (U, V).

Independent frames (photos, a video without a video model) go through the color model and its
decoding in batches, on the engine asked for (`engines`). A video's frames go free-running
through the consistency model or the recurrent one, scene cuts resetting them to the color model;
or, with a flow-guided model and no consistency model, through the color model in batches and
then, frame after frame, guided along the flow from the frame before (`rollout.roll_out`). A model
that predicts non-finite colours is a `RuntimeError` (`check_finite`): black frames are never written.
"""

import collections

import keras
import numpy as np

from colornn_keras import engines
from colornn_keras import propagation
from colornn_keras.models import consistency as consistency_models
from colornn_keras.models import decoding
from colornn_keras.models import recurrent as recurrent_models
from colornn_keras.models import rollout


def check_finite(prediction):
    """A `RuntimeError` when a model's output holds NaN or infinity: decoded and joined, it would
    write black (or one flat colour's) frames without a word. Checks the distributions too, since
    argmax decodes NaN to a finite bin."""
    arrays = prediction.values() if isinstance(prediction, dict) else [prediction]
    if not all(np.isfinite(array).all() for array in arrays):
        raise RuntimeError("The model predicted non-finite colours (NaN or infinity), so nothing is written: "
                           "its weights or its numeric precision are broken.")


def batches(items, size):
    """Lists of `size` consecutive items of an iterable (the last one shorter), read lazily: only a
    batch is held at a time."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def engine_models(color_model, consistency_model=None, method="annealed_mean"):
    """The Keras models a `Colorizer` of these models runs on its engine: the color model with its
    decoding (`decoding.ChromaModel`; the color model itself where it is not a Keras model), then,
    with a (paper) consistency model, the color model and the consistency model."""
    chroma_model = decoding.ChromaModel(color_model, method) if isinstance(color_model, keras.Model) else color_model
    if consistency_model is None or isinstance(consistency_model, recurrent_models.RecurrentModels):
        return [chroma_model]
    return [chroma_model, color_model, consistency_model]


class ChromaPredictor:
    """Model-size (U, V) (S, S, 2) of model-size luma (S, S, 1), with the models and settings of a
    `Colorizer` (see its arguments).

    The color model runs with its decoding in one graph (`chroma_predictor`: a color model that is
    not a Keras model, a wrapped one or a test double, is decoded after it by `decoding.predict_uv`);
    the (paper) consistency model's first frames go through the color model's distributions.
    """

    def __init__(self, color_model, consistency_model=None, flow_guided_model=None, method="annealed_mean",
                 batch_size=8, engine="tensorflow"):
        self.consistency_model, self.flow_guided_model = consistency_model, flow_guided_model
        self.method, self.batch_size = method, batch_size
        chroma_model, *paper_models = engine_models(color_model, consistency_model, method)
        self.chroma_predictor = engines.predictor(chroma_model, engine)
        self.color_predictor, self.consistency_predictor = None, consistency_model  # Recurrent: TensorFlow.
        if paper_models:
            self.color_predictor, self.consistency_predictor = (engines.predictor(model, engine)
                                                                for model in paper_models)

    @property
    def video_model(self):
        """True where a video's frames run free (a consistency, recurrent or flow-guided model)."""
        return self.consistency_model is not None or self.flow_guided_model is not None

    def in_batches(self, model_lumas):
        """(U, V) of each model-size luma in order, frame by frame, `batch_size` at a time."""
        for batch in batches(model_lumas, self.batch_size):
            yield from self._predict_batch(batch)

    def _predict_batch(self, model_lumas):
        uv = decoding.predict_uv(self.chroma_predictor, np.stack(model_lumas), self.method)
        check_finite(uv)
        yield from uv

    def free_running(self, model_lumas, cuts):
        """(U, V) of a video's model-size lumas in order, free-running through its video model;
        `cuts` grows with each luma read (True where one starts a new shot)."""
        if self.consistency_model is None:
            yield from self._guided(model_lumas, cuts)
            return

        def cut_stream():
            while True:
                yield cuts[-1] if cuts else False

        if isinstance(self.consistency_model, recurrent_models.RecurrentModels):
            predictions = recurrent_models.predict_recurrent_sequence(
                self.consistency_model, model_lumas, cuts=cut_stream(), method=self.method)
        else:
            predictions = consistency_models.predict_sequence(
                self.color_predictor, self.consistency_predictor, model_lumas, "free_running", cuts=cut_stream(),
                method=self.method,
            )
        for prediction in predictions:
            check_finite(prediction)
            yield prediction["uv"]

    def _guided(self, model_lumas, cuts):
        """The automatic flow-guided mode: the color model frame by frame in batches, each frame
        then guided from the previous one's colours (`propagation.guided_step`); a cut starts afresh."""
        held = collections.deque()

        def holding():
            for model_luma in model_lumas:
                held.append(model_luma)
                yield model_luma

        frames = ((held.popleft(), color_uv) for color_uv in self.in_batches(holding()))  # (luma, colours)

        def guided(frame, previous_frame, previous_uv):
            (luma, color_uv), (previous_luma, _) = frame, previous_frame
            return propagation.guided_step(self.flow_guided_model, [luma], [previous_luma], [previous_uv],
                                           [color_uv])[0]

        for uv in rollout.roll_out(lambda frame: frame[1], guided, frames, _growing(cuts)):
            check_finite(uv)
            yield uv


def _growing(values):
    """The items of a list that grows as it is read, in order, each read once it is there."""
    index = 0
    while True:
        yield values[index]
        index += 1
