"""A truly recurrent consistency model: a ConvLSTM memory over the frozen color model's features.

The paper's consistency model remembers one thing, the previous frame's colours, and the paper
ends by asking for "truly recurrent architectures for temporal consistency". Here a `ConvLSTM2D`
carries a hidden state from frame to frame over the frozen color model's features; the features
and the memory are joined, two convolutions follow, and the result is a *correction* added to the
color model's own logits, frame by frame. It never sees a colour it did not predict, so it has no
teacher-forced mode: it runs on luma alone, as it will on black-and-white footage.

Why this shape (the first recorded run, `experiments/2026-11-27_recurrent_128`, diverged): the
correction starts at zero, so the untrained model colours exactly as the color model alone and
training can only move it from there; the memory runs in float32 at half the features' resolution
(chroma is smooth, and it is 4x cheaper); gradients are clipped in training.

It trains on windows of k frames of features computed once, with the state starting at zero
(truncated back-propagation through time), and colours a clip one frame at a time, carrying the
state, which is reset to zero at scene cuts.
"""

import keras
import numpy as np

from colornn_keras.models import color as color_models
from colornn_keras.models import consistency as consistency_models
from colornn_keras.models import decoding
from colornn_keras.models import rollout

MEMORY_LAYER = "memory"
AXES = ("u", "v")


@keras.saving.register_keras_serializable(package="colornn_keras")
class RecurrentConsistencyModel(color_models.VideoModel):
    """The recurrent consistency model: a ConvLSTM memory over a frozen color model's features.

    Beyond the paper (its closing call for "truly recurrent architectures", ColorNN Book,
    Stanford CS229). The model itself is the *sequence* graph, luma (B, T, H, W, 1) to
    {"u", "v"}: (B, T, H, W, num_bins) with the state starting at zero, T = `window` frames
    (fixed: Keras' `TimeDistributed` mis-shapes a retraced variable T under `predict_on_batch`, so
    a wrong length fails loudly instead). Two more graphs share its layers (so its weights):
    `features_head()`, what training runs on features computed once, and `step`, which colours
    one frame and carries the state: {"luma": (B, 1, H, W, 1), "hidden", "cell":
    (B, H / s, W / s, hidden_filters)} to {"u", "v", "hidden", "cell"}, s = `memory_scale`.
    The color model's layers are frozen in place; it stays reachable as `color_model`.

    Args:
        color_model: a classification `ColorModel` (trained).
        window: int, frames per training window (T). Defaults to 8.
        hidden_filters: int, channels of the ConvLSTM's hidden state. Defaults to 32.
        filters: int, channels of the two convolutions after the join. Defaults to 64.
        memory_scale: int, how many times smaller than the features the memory runs (their sides
            must divide by it). Defaults to 2.
        name: str, the model's name (the step graph is `<name>_step`).

    Examples:
    >>> color_model = color_models.ColorModel(image_size=32, num_bins=12, backbone_weights=None)
    >>> model = RecurrentConsistencyModel(color_model, window=3, hidden_filters=8, filters=16)
    >>> tuple(model.output["u"].shape), tuple(model.step.output["hidden"].shape)
    ((None, 3, 32, 32, 12), (None, 16, 16, 8))
    """

    preset_kind = "recurrent"

    def __init__(self, color_model, window=8, hidden_filters=32, filters=64, memory_scale=2,
                 name="recurrent_model", **kwargs):
        features_model = color_models.frozen_features_model(color_model, "recurrent model")
        num_bins = color_models.num_bins_of(color_model)
        height, width = color_model.input_shape[1:3]
        if height % memory_scale or width % memory_scale:
            raise ValueError(f"memory_scale {memory_scale} does not divide the model's {height}x{width} input.")
        dtype = color_model.get_layer(color_models.FEATURES_LAYER).dtype_policy
        color_heads = consistency_models.frozen_color_heads(color_model, features_model.output.shape[1:])

        # The layers, made once and called on all three graphs.
        per_frame_features = keras.layers.TimeDistributed(features_model, name="color_features_sequence")
        # One frozen model per axis: `TimeDistributed` wraps a layer of one output.
        per_frame_color_logits = {axis: keras.layers.TimeDistributed(
            _frozen(keras.Model(color_heads.input, color_heads.output[axis], name=f"color_{axis}_logits")),
            name=f"color_{axis}_logits_sequence") for axis in AXES}
        shrink = keras.layers.TimeDistributed(keras.layers.AveragePooling2D(memory_scale, dtype=dtype),
                                              name="shrink_features")
        # The memory runs in float32 whatever the model's precision: a cell state summed over many
        # frames in bfloat16 loses precision and, in the first recorded run, diverged to NaN.
        memory = keras.layers.ConvLSTM2D(hidden_filters, 3, padding="same", return_sequences=True, return_state=True,
                                         dtype="float32", name=MEMORY_LAYER)
        join = keras.layers.Concatenate(dtype=dtype, name="join_memory")
        # A (1, 3, 3) Conv3D is a 3x3 convolution of each frame on its own.
        convolutions = [keras.layers.Conv3D(filters, (1, 3, 3), padding="same", activation="relu", dtype=dtype,
                                            name=f"recurrent_conv{index}") for index in (1, 2)]
        heads = {axis: (
            keras.layers.Conv3D(num_bins, 1, kernel_initializer="zeros", dtype="float32", name=f"{axis}_logits"),
            keras.layers.TimeDistributed(keras.layers.UpSampling2D(memory_scale, interpolation="bilinear",
                                                                   dtype="float32"), name=f"{axis}_correction"),
            keras.layers.Add(dtype="float32", name=f"{axis}_with_color"),
            keras.layers.Activation("softmax", dtype="float32", name=axis),
        ) for axis in AXES}

        def colour(features, initial_state=None):
            color_logits = {axis: logits(features) for axis, logits in per_frame_color_logits.items()}
            small = shrink(features)
            hidden_sequence, hidden, cell = memory(small, initial_state=initial_state)
            x = join([small, hidden_sequence])
            for convolution in convolutions:
                x = convolution(x)
            outputs = {axis: activation(add([color_logits[axis], upsample(logits(x))]))
                       for axis, (logits, upsample, add, activation) in heads.items()}
            return outputs, hidden, cell

        # === Functional Model ===
        luma_sequence = keras.Input((window, height, width, 1), name="luma")
        outputs, _, _ = colour(per_frame_features(luma_sequence))
        super().__init__(inputs=luma_sequence, outputs=outputs, name=name, **kwargs)

        state_shape = (height // memory_scale, width // memory_scale, hidden_filters)
        luma_frame = keras.Input((1, height, width, 1), name="luma")
        state = [keras.Input(state_shape, name=state_name) for state_name in ("hidden", "cell")]
        outputs, hidden, cell = colour(per_frame_features(luma_frame), initial_state=state)
        step = keras.Model({"luma": luma_frame, "hidden": state[0], "cell": state[1]},
                           {**outputs, "hidden": hidden, "cell": cell}, name=f"{name}_step")

        features_sequence = keras.Input((window, *features_model.output.shape[1:]), name="features")
        outputs, _, _ = colour(features_sequence)
        head = keras.Model(features_sequence, outputs, name=f"{name}_head")

        # === Config ===
        # None is tracked as a layer: the step graph's and the head's layers are this model's own,
        # and the color model's heads are not in this graph (tracked, they would count among its weights).
        object.__setattr__(self, "step", step)
        object.__setattr__(self, "_features_head", head)
        self._keep_color_model(color_model, num_bins)
        self.window = window
        self.hidden_filters = hidden_filters
        self.filters = filters
        self.memory_scale = memory_scale

    def features_head(self):
        """The layers this model trains, as a model of windows of the frozen color model's features
        instead of luma: (B, T, H, W, C) -> {"u", "v"}. Its layers are this model's own (shared
        weights), so training the head trains the model; training runs it on features computed once."""
        return self._features_head

    def get_config(self):
        return {
            **super().get_config(),
            "window": self.window,
            "hidden_filters": self.hidden_filters,
            "filters": self.filters,
            "memory_scale": self.memory_scale,
        }


def _frozen(model):
    model.trainable = False
    return model


# The earlier name, when the two graphs were a dataclass of two models (`.sequence` is now the
# model itself): `isinstance` checks and `.step` / `.hidden_filters` keep working.
RecurrentModels = RecurrentConsistencyModel


def predict_recurrent_sequence(model, luma_frames, cuts=None, method="annealed_mean"):
    """Colours frames in order with a `RecurrentConsistencyModel`'s step graph, carrying the
    state (`rollout.roll_out`); zero state at cuts.

    Yields {"u": (H, W, bins), "v": ..., "uv": (H, W, 2)} per frame, like
    `consistency.predict_sequence`.
    """
    def colour(luma, state):
        """(the frame's {"u", "v", "uv"}, the state after it) of one frame from the state before it."""
        outputs = model.step.predict_on_batch({"luma": luma[None, None], **state})
        probabilities = {axis: np.asarray(outputs[axis][0, 0], np.float32) for axis in ("u", "v")}
        state = {key: np.asarray(outputs[key], np.float32) for key in ("hidden", "cell")}
        return {**probabilities, "uv": decoding.decode(probabilities, method)}, state

    def first(luma):  # From zero state: a clip's first frame, and each one a cut starts.
        zeros = np.zeros((1, *model.step.input["hidden"].shape[1:]), np.float32)
        return colour(luma, {"hidden": zeros, "cell": zeros})

    def step(luma, previous_luma, previous_output):
        return colour(luma, previous_output[1])

    lumas = (np.asarray(luma, np.float32) for luma in luma_frames)
    for prediction, _ in rollout.roll_out(first, step, lumas, cuts):
        yield prediction
