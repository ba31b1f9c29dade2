"""The consistency model: a frame's colours from its luma and the previous frame's colours.

Gupta & Kannan (ColorNN Book, section 3.2): a frozen, pre-trained color model runs on frame t;
its final convolutional features are concatenated with a convolution of the previous frame's
(U', V'); two convolutions follow, then the same binned softmax heads. Only the new layers train.
"""

import itertools

import keras
import numpy as np

from colornn_keras.models import color as color_models
from colornn_keras.models import decoding
from colornn_keras.models import rollout

CONTEXT_INPUT = "previous_uv"


@keras.saving.register_keras_serializable(package="colornn_keras")
class ConsistencyModel(color_models.VideoModel):
    """The consistency model: a frame's U and V bins from its luma and the previous frame's colours.

    Gupta & Kannan, ColorNN Book (Stanford CS229), section 3.2. A trained color model supplies
    its final features, frozen; only the layers added here train. The color model's layers are
    frozen in place (their `trainable` flags turn off), so train or save it before building a
    consistency model on it; it stays reachable as `color_model` (frame 0 of a clip needs it).

    Args:
        color_model: a classification `ColorModel` (trained).
        context_filters: int, channels of the convolution of the previous frame's (U', V').
            Defaults to 32.
        filters: int, channels of the two convolutions after the concatenation. Defaults to 64.
        residual: bool. If True (beyond the paper), the heads add a learned correction to the color
            model's own logits (its frozen heads on the same features), initialised to zero, so the
            untrained model colours exactly as the color model alone. Defaults to False.
        name: str, the model's name.

    Inputs {"luma": (B, H, W, 1), "previous_uv": (B, H, W, 2)}, `previous_uv` holding continuous
    U and V values; outputs {"u": (B, H, W, num_bins), "v": ...}.

    Examples:
    >>> color_model = color_models.ColorModel(image_size=32, num_bins=12, backbone_weights=None)
    >>> model = ConsistencyModel(color_model)
    >>> tuple(model.get_layer("v").output.shape)
    (None, 32, 32, 12)
    """

    preset_kind = "consistency"

    def __init__(self, color_model, context_filters=32, filters=64, residual=False, name="consistency_model",
                 **kwargs):
        # The color model up to its final convolution, frozen: it is a fixed feature extractor here.
        features_model = color_models.frozen_features_model(color_model, "consistency model")
        num_bins = color_models.num_bins_of(color_model)
        height, width = color_model.input_shape[1:3]
        dtype = color_model.get_layer(color_models.FEATURES_LAYER).dtype_policy

        # === Functional Model ===
        luma = keras.Input((height, width, 1), name="luma")
        previous_uv = keras.Input((height, width, 2), name=CONTEXT_INPUT)
        features = features_model(luma)
        context = keras.layers.Conv2D(
            context_filters, 3, padding="same", activation="relu", dtype=dtype, name="context_conv"
        )(previous_uv)
        x = keras.layers.Concatenate(dtype=dtype, name="join_context")([features, context])
        for index in (1, 2):
            x = keras.layers.Conv2D(filters, 3, padding="same", activation="relu", dtype=dtype,
                                    name=f"consistency_conv{index}")(x)
        if residual:
            color_heads = frozen_color_heads(color_model, features_model.output.shape[1:])
            outputs = _residual_heads(x, color_heads(features), num_bins)
        else:
            outputs = color_models.apply_output_heads(x, num_bins, "classification")
        super().__init__(inputs={"luma": luma, CONTEXT_INPUT: previous_uv}, outputs=outputs, name=name, **kwargs)

        # === Config ===
        self._keep_color_model(color_model, num_bins)
        self.context_filters = context_filters
        self.filters = filters
        self.residual = residual

    def context_head(self):
        """The layers this model trains, as a model of the frozen color model's features instead of
        the luma: {"features": (B, H, W, C), "previous_uv": (B, H, W, 2)} -> {"u", "v"}.

        The layers are this model's own (shared weights), so training the head trains the model.
        Training uses it on features computed once, since the color model before them never changes.
        """
        features_model = self.get_layer(color_models.FEATURES_MODEL)
        features = keras.Input(features_model.output.shape[1:], name="features")
        previous_uv = keras.Input(self.get_layer("context_conv").input.shape[1:], name=CONTEXT_INPUT)
        context = self.get_layer("context_conv")(previous_uv)
        x = self.get_layer("join_context")([features, context])
        for index in (1, 2):
            x = self.get_layer(f"consistency_conv{index}")(x)
        if self.residual:
            color_logits = self.get_layer(COLOR_HEADS_MODEL)(features)
            outputs = {axis: self.get_layer(axis)(self.get_layer(f"{axis}_with_color")(
                [color_logits[axis], self.get_layer(f"{axis}_logits")(x)])) for axis in ("u", "v")}
        else:
            outputs = {axis: self.get_layer(axis)(self.get_layer(f"{axis}_logits")(x)) for axis in ("u", "v")}
        return keras.Model({"features": features, CONTEXT_INPUT: previous_uv}, outputs, name=f"{self.name}_head")

    def get_config(self):
        return {
            **super().get_config(),
            "context_filters": self.context_filters,
            "filters": self.filters,
            "residual": self.residual,
        }


COLOR_HEADS_MODEL = "color_heads_model"


def frozen_color_heads(color_model, features_shape):
    """The color model's own logits layers, as a frozen model of its features: a nested model, so
    their weights stay the color model's and out of the consistency model's trained part."""
    features = keras.Input(features_shape, name="color_features")
    logits = {axis: color_model.get_layer(f"{axis}_logits")(features) for axis in ("u", "v")}
    heads = keras.Model(features, logits, name=COLOR_HEADS_MODEL)
    heads.trainable = False
    return heads


def _residual_heads(x, color_logits, num_bins):
    """Softmax of the color model's logits plus a correction from `x` that starts at zero."""
    outputs = {}
    for axis in ("u", "v"):
        correction = keras.layers.Conv2D(num_bins, 1, kernel_initializer="zeros", dtype="float32",
                                         name=f"{axis}_logits")(x)
        logits = keras.layers.Add(dtype="float32", name=f"{axis}_with_color")([color_logits[axis], correction])
        outputs[axis] = keras.layers.Activation("softmax", dtype="float32", name=axis)(logits)
    return outputs


def build_consistency_model(color_model, context_filters=32, filters=64, residual=False, name="consistency_model"):
    """Builds a `ConsistencyModel` on a trained color model, which is frozen in place (see the class)."""
    return ConsistencyModel(color_model, context_filters=context_filters, filters=filters, residual=residual,
                            name=name)


SEQUENCE_MODES = ("per_frame", "teacher_forced", "free_running")


def predict_frame(model, inputs, method="annealed_mean"):
    """One frame's {"u", "v": (H, W, bins), "uv": (H, W, 2)}: `model` (the color model on a luma
    batch, or the consistency model on {"luma", "previous_uv"}) run on a batch of one frame, its
    distributions decoded as `method` names (`decoding.decode`)."""
    outputs = model.predict_on_batch(inputs)
    probabilities = {axis: np.asarray(outputs[axis][0], np.float32) for axis in ("u", "v")}
    return {**probabilities, "uv": decoding.decode(probabilities, method)}


def context_inputs(luma, previous_uv):
    """The consistency model's inputs for one frame: its (H, W, 1) luma and the (H, W, 2) colours
    of the frame before, as batches of one."""
    return {"luma": np.asarray(luma, np.float32)[None], CONTEXT_INPUT: np.asarray(previous_uv, np.float32)[None]}


def predict_sequence(color_model, consistency_model, luma_frames, mode="free_running", true_uv_frames=None,
                     cuts=None, method="annealed_mean"):
    """Colours a sequence of frames in order, one at a time; yields {"u", "v", "uv"} per frame.

    Modes (the three of the evaluation):
    - "per_frame": the color model alone on every frame;
    - "teacher_forced": the consistency model fed the ground truth (U, V) of the previous frame
      (`true_uv_frames`), as in the paper's table;
    - "free_running": how it is used on a real black-and-white film: frame 0 (and the first
      frame after each scene cut) from the color model, every later frame from the consistency
      model fed its own previous decoded (U, V) (`rollout.roll_out`).

    Args:
        luma_frames: iterable of (H, W, 1) luma arrays at the models' size.
        true_uv_frames: iterable of (H, W, 2) ground-truth (U, V), needed for "teacher_forced".
        cuts: iterable of booleans, True where a frame starts a new shot (context is reset).
        method: decoding of the distributions into (U, V) values, see `decoding.decode`.

    Yields:
        {"u": (H, W, bins), "v": (H, W, bins)} probabilities and "uv": (H, W, 2) decoded values.
    """
    if mode not in SEQUENCE_MODES:
        raise ValueError(f"mode must be one of {SEQUENCE_MODES}, got {mode!r}.")
    if mode != "per_frame" and consistency_model is None:
        raise ValueError(f"Mode {mode!r} needs a consistency model.")
    if mode == "teacher_forced" and true_uv_frames is None:
        raise ValueError("Mode 'teacher_forced' needs the ground-truth colours (true_uv_frames).")
    true_uv_iterator = iter(true_uv_frames) if true_uv_frames is not None else itertools.repeat(None)
    starts = cuts if cuts is not None else itertools.repeat(False)
    if mode != "free_running":  # Still read as the frames are: per frame, each starts afresh; teacher-forced, none.
        starts = (mode == "per_frame" for _ in starts)

    def first(frame):
        return predict_frame(color_model, np.asarray(frame[0], np.float32)[None], method)

    def step(frame, previous_frame, previous_output):
        # Teacher-forced, the previous frame's true colours; free-running, the model's own.
        context = previous_frame[1] if mode == "teacher_forced" else previous_output["uv"]
        return predict_frame(consistency_model, context_inputs(frame[0], context), method)

    yield from rollout.roll_out(first, step, zip(luma_frames, true_uv_iterator), starts)
