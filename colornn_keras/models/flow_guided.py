"""The flow-guided propagator: the previous frame's colours warped by optical flow, gated against
the color model's.

Beyond the paper. Its consistency model is fed the previous frame's (U', V') where they were, and
has to learn motion itself; on real footage, seeded with a keyframe's true colours, it drifts
within a few dozen frames, while simply carrying those colours along optical flow holds them
(experiments/2026-11-30_keyframe_propagation_128). Here the flow is given: the previous colours
enter already warped to the current frame (OpenCV DIS flow on the luma, outside the graph), with
the previous luma warped the same way, so that the network sees where the flow failed (the two
lumas disagree: occlusions, new content). It outputs a per-pixel gate between the warped colours
and the color model's own colours for the frame:

    uv = gate * warped_uv + (1 - gate) * color_uv

The gate starts near 1, so an untrained model is close to the optical-flow baseline; training (on
roll-outs of its own output, `research/training/flow_guided.py`) teaches it where to fall back on
the color model. The output is a mix of two valid colours, so running on its own output for hundreds of
frames cannot drift out of range: a first version that also added a learned correction to the
warped colours did, the correction summing up frame after frame (validation AuC 0.02 after one round).
"""

import keras

# sigmoid(6) = 0.9975: an untrained model keeps 47% of a keyframe's colours after 300 frames (Adam's
# steps do not shrink with the sigmoid's slope, so the gate still learns).
DEFAULT_GATE_BIAS = 6.0
INPUTS = ("luma", "warped_luma", "warped_uv", "color_uv")
# `FlowSmoothingModel`'s luma mismatch (luma in [0, 1]) that cuts the carried colours' share by e,
# chosen on validation clips (experiments/2026-11-30_flow_smoothing_block4_128).
SMOOTHING_MISMATCH_SCALE = 0.03


@keras.saving.register_keras_serializable(package="colornn_keras")
class FlowGuidedModel(keras.Model):
    """A frame's (U, V) from its luma, the previous frame's luma and colours warped to it, and the
    color model's colours for it.

    Args:
        filters: int, channels of the three convolutions (dilated 1, 2 and 4: a 15-pixel view).
            Defaults to 32.
        gate_bias: float, the gate's initial logit (large: start as the flow baseline). Defaults
            to 6.0.
        name: str, the model's name.

    Inputs {"luma", "warped_luma": (B, H, W, 1), "warped_uv", "color_uv": (B, H, W, 2)}, all
    continuous (luma in [0, 1], U and V as BT.601 analog values); output (B, H, W, 2) (U, V).

    Examples:
    >>> model = FlowGuidedModel(filters=8)
    >>> import numpy as np
    >>> inputs = {name: np.zeros((1, 16, 16, 2 if name.endswith("uv") else 1), "float32") for name in INPUTS}
    >>> tuple(model.predict_on_batch(inputs).shape)
    (1, 16, 16, 2)
    """

    def __init__(self, filters=32, gate_bias=DEFAULT_GATE_BIAS, name="flow_guided_model", **kwargs):
        # === Functional Model ===
        luma = keras.Input((None, None, 1), name="luma")
        warped_luma = keras.Input((None, None, 1), name="warped_luma")
        warped_uv = keras.Input((None, None, 2), name="warped_uv")
        color_uv = keras.Input((None, None, 2), name="color_uv")
        # Where the warped luma differs from the frame's own, the flow failed there.
        mismatch = keras.layers.Lambda(lambda pair: keras.ops.abs(pair[0] - pair[1]), name="luma_mismatch")(
            [luma, warped_luma])
        x = keras.layers.Concatenate(name="join")([luma, warped_luma, mismatch, warped_uv, color_uv])
        for index, dilation in enumerate((1, 2, 4), start=1):
            x = keras.layers.Conv2D(filters, 3, padding="same", dilation_rate=dilation, activation="relu",
                                    name=f"guide_conv{index}")(x)
        gate = keras.layers.Conv2D(1, 1, activation="sigmoid", kernel_initializer="zeros",
                                   bias_initializer=keras.initializers.Constant(gate_bias), name="gate")(x)
        uv = keras.layers.Lambda(lambda parts: parts[0] * parts[1] + (1.0 - parts[0]) * parts[2], name="uv")(
            [gate, warped_uv, color_uv])
        super().__init__(inputs={"luma": luma, "warped_luma": warped_luma, "warped_uv": warped_uv,
                                 "color_uv": color_uv}, outputs=uv, name=name, **kwargs)

        # === Config ===
        self.filters = filters
        self.gate_bias = gate_bias

    def get_config(self):
        return {"filters": self.filters, "gate_bias": self.gate_bias, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


@keras.saving.register_keras_serializable(package="colornn_keras")
class FlowSmoothingModel(keras.Model):
    """Smoothing along the flow, untrained: an exponential moving average of the colours along the
    motion, which trusts the carried colours less where the flow failed.

        w = weight * exp(-|luma - warped_luma| / mismatch_scale)
        uv = w * warped_uv + (1 - w) * color_uv

    Where the previous frame's luma, warped along the flow, does not land on this frame's
    (occlusions, new content), its colours are not this frame's either, so the color model's are
    taken instead. Takes the inputs of a `FlowGuidedModel` and runs where it does
    (`propagation.propagate_guided`, `colornn colorize --smooth-along-flow`).

    Args:
        weight: float in (0, 1), the share of the carried colours where the flow holds.
        mismatch_scale: float, the luma difference (luma in [0, 1]) that lowers the weight by a
            factor e; None: the same weight everywhere. Defaults to
            `SMOOTHING_MISMATCH_SCALE`, chosen on validation clips with the weight 0.9
            (experiments/2026-11-30_flow_smoothing_block4_128).
        name: str, the model's name.
    """

    def __init__(self, weight, mismatch_scale=SMOOTHING_MISMATCH_SCALE, name="flow_smoothing_model",
                 **kwargs):
        if not 0.0 < weight < 1.0:
            raise ValueError(f"weight must be between 0 and 1 (exclusive), got {weight!r}.")
        if mismatch_scale is not None and not mismatch_scale > 0.0:
            raise ValueError(f"mismatch_scale must be positive or None, got {mismatch_scale!r}.")

        def mix(parts):
            luma, warped_luma, warped_uv, color_uv = parts
            share = weight if mismatch_scale is None else weight * keras.ops.exp(
                -keras.ops.abs(luma - warped_luma) / mismatch_scale)
            return share * warped_uv + (1.0 - share) * color_uv

        # === Functional Model ===
        inputs = {input_name: keras.Input((None, None, 2 if input_name.endswith("uv") else 1), name=input_name)
                  for input_name in INPUTS}
        uv = keras.layers.Lambda(mix, name="uv")([inputs[input_name] for input_name in INPUTS])
        super().__init__(inputs=inputs, outputs=uv, name=name, **kwargs)

        # === Config ===
        self.weight = weight
        self.mismatch_scale = mismatch_scale

    def get_config(self):
        return {"weight": self.weight, "mismatch_scale": self.mismatch_scale, "name": self.name}

    @classmethod
    def from_config(cls, config):
        return cls(**config)
