"""One step of a keyframe's run: its colours carried to the next frame along optical flow, filled where the flow fails.

A run starts at a keyframe (`at_keyframe`) and goes frame to frame (`carry_along_flow`): the
neighbour's (U, V) are sampled where the flow, computed on the luma at the flow's size and brought
to the chroma's, says each pixel was. Where the forward-backward check or the frame's edges say
the flow failed, the frame takes, in proportion, the colours the fill names (`KEYFRAME_FILLS`):
- "model": the color model's colours (errors are replaced, not carried on);
- "keyframe": the run's keyframe's own colours matched by luma (`LumaPalette`, exemplar-style);
- "flow": none: the colours carried all the same, as plain DIS flow does;
- "features": the colours carried all the same, and each frame shows them mixed with the
  keyframes' colours matched by the color model's features (`keyframe_head.KeyframeHead`), the
  more the less it trusts them (`shown`).
Whichever the fill, the confidence that the colours are the keyframe's falls there, so that two
keyframes' runs meeting between them are weighed by it (`blend_runs`).
"""

import dataclasses

import numpy as np

from colornn_keras import defaults
from colornn_keras import flow

KEYFRAME_FILLS = defaults.KEYFRAME_FILLS
DEFAULT_KEYFRAME_FILL = defaults.DEFAULT_KEYFRAME_FILL
# Bins of a keyframe's luma in its `LumaPalette` (8 codes of 8-bit luma each).
PALETTE_BINS = 32
# Added to both runs' confidences where two keyframes meet, so that where neither is trusted (both
# hold filled colours) the nearer still weighs more.
_BLEND_FLOOR = 1e-3
# With the "features" fill, the least share of the colours carried that a frame shows, where it
# trusts them least (a keyframe's head is a guess of their colours, not a fact), and how many frames
# from the keyframe it takes that trust to fall by a factor of e (carried colours drift and blur
# with every step, where the head's do not): chosen on the test clips, see keyframe_fills.md.
FEATURES_FLOOR = 0.5
FEATURES_MEMORY = 30.0


def flow_luma(luma, flow_scale):
    """A frame's luma ((H, W) or (H, W, 1) in [0, 1]) as the flow sees it: uint8, 1/`flow_scale`
    of its width and height."""
    luma = np.asarray(luma, np.float32)
    luma = luma[..., 0] if luma.ndim == 3 else luma
    height, width = luma.shape
    size = (max(1, round(width / flow_scale)), max(1, round(height / flow_scale)))
    return flow._uint8(flow.resize(luma, size))


def _luma_at(luma, size):
    """A `flow_luma` brought to `size` (width, height), in [0, 1]."""
    return flow.resize(luma, size) / np.float32(255.0)


class LumaPalette:
    """A keyframe's own colours by luma: the mean (U, V) of its pixels in each of `bins` bins of
    its luma, at their mean luma. Given a frame's luma, each pixel takes the colours of its luma,
    linear between the bins' means; a bin without pixels takes its neighbours' in between, and
    beyond the darkest (brightest) bin with pixels, that bin's.

    Args:
        luma: the keyframe's luma (h, w) in [0, 1] at its colours' size.
        uv: its (U, V) (h, w, 2).
        bins: bins over [0, 1].
    """

    def __init__(self, luma, uv, bins=PALETTE_BINS):
        luma = np.asarray(luma, np.float32).reshape(-1)
        uv = np.asarray(uv, np.float32).reshape(-1, 2)
        if luma.size != len(uv) or not luma.size:
            raise ValueError(f"A palette needs one luma for each (U, V): {luma.size} lumas, {len(uv)} colours.")
        index = np.clip((luma * bins).astype(np.int64), 0, bins - 1)
        counts = np.bincount(index, minlength=bins)
        held = counts > 0
        sums = [np.bincount(index, weights=values, minlength=bins)[held] for values in (luma, uv[:, 0], uv[:, 1])]
        self.lumas = (sums[0] / counts[held]).astype(np.float32)  # Increasing: the bins do not overlap.
        self.uv = (np.stack(sums[1:], axis=-1) / counts[held][:, None]).astype(np.float32)

    def __call__(self, luma):
        """The (U, V) (h, w, 2) of a frame's luma (h, w) in [0, 1]."""
        luma = np.asarray(luma, np.float32)
        return np.stack([np.interp(luma, self.lumas, self.uv[:, axis]) for axis in (0, 1)], axis=-1).astype(np.float32)


@dataclasses.dataclass
class Carried:
    """A run's colours at one frame: (U, V) (h, w, 2) at the chroma's size, the confidence (h, w)
    that they are the keyframe's own (1 at the keyframe, lowered wherever the flow failed since),
    the frame's `flow_luma`, and, for the "keyframe" fill, the keyframe's `LumaPalette`."""

    uv: np.ndarray
    confidence: np.ndarray
    flow_luma: np.ndarray
    palette: LumaPalette = None


def at_keyframe(uv, luma, fill=DEFAULT_KEYFRAME_FILL):
    """A run's `Carried` colours at its keyframe: its (U, V) (h, w, 2), fully trusted, its
    `flow_luma`, and with `fill="keyframe"` its `LumaPalette` (built here, once for the run)."""
    uv = np.asarray(uv, np.float32)
    palette = LumaPalette(_luma_at(luma, (uv.shape[1], uv.shape[0])), uv) if fill == "keyframe" else None
    return Carried(uv, np.ones(uv.shape[:2], np.float32), luma, palette)


def carry_along_flow(carried, luma, fill_uv=None, fill=DEFAULT_KEYFRAME_FILL):
    """The next frame's `Carried` colours, from its neighbour's (`carried`) along the flow.

    The flow from the frame to its neighbour (computed on the flow-size lumas, then brought to the
    chroma's size) says where each pixel was; the neighbour's colours are sampled there. Where the
    forward-backward check or the frame's edges say the flow failed (`flow.forward_backward_confidence`),
    the frame takes, in proportion, what `fill` names instead: `fill_uv` ("model"), the run's
    keyframe's colours for this frame's luma ("keyframe": `carried.palette`, see `at_keyframe`),
    or nothing ("flow", and "features", which mixes when the colours are shown: `shown`). The confidence in the keyframe's colours is
    carried along the same way and multiplied by that check, whatever the fill.

    Args:
        carried: the neighbour's `Carried` (the frame before, forwards; after, backwards).
        luma: this frame's `flow_luma`.
        fill_uv: (h, w, 2) the color model's colours at the chroma's size: needed by "model".
        fill: one of `KEYFRAME_FILLS`.
    """
    if fill not in KEYFRAME_FILLS:
        raise ValueError(f"fill must be one of {KEYFRAME_FILLS}, got {fill!r}.")
    if fill == "model" and fill_uv is None:
        raise ValueError("The \"model\" fill takes the color model's colours: give fill_uv.")
    if fill == "keyframe" and carried.palette is None:
        raise ValueError("The \"keyframe\" fill needs the run's palette: start the run with at_keyframe(..., fill).")
    there = flow.dis_flow(luma, carried.flow_luma)  # From this frame to the neighbour: where each pixel was.
    back = flow.dis_flow(carried.flow_luma, luma)
    size = (carried.uv.shape[1], carried.uv.shape[0])
    trust = flow.resize(flow.forward_backward_confidence(there, back), size)
    motion = flow.resize_flow(there, size)
    warped_uv = flow.warp(carried.uv, motion)
    if fill in ("flow", "features"):
        uv = warped_uv
    else:
        replacement = fill_uv if fill == "model" else carried.palette(_luma_at(luma, size))
        uv = trust[..., None] * warped_uv + (1.0 - trust[..., None]) * replacement
    confidence = trust * flow.warp(carried.confidence, motion)
    return Carried(uv.astype(np.float32), confidence.astype(np.float32), luma, carried.palette)


def shown(carried, fill_uv, fill=DEFAULT_KEYFRAME_FILL, steps=0):
    """The `Carried` a frame shows of a run `steps` frames from its keyframe: the run's own, except
    with the "features" fill, whose colours are the run's mixed with `fill_uv` (the keyframes'
    head's, (h, w, 2) at the chroma's size). The run's colours weigh their confidence times
    exp(-steps / `FEATURES_MEMORY`), and never less than `FEATURES_FLOOR`."""
    if fill != "features":
        return carried
    if fill_uv is None:
        raise ValueError("The \"features\" fill mixes in the keyframes' head's colours: give fill_uv.")
    trust = carried.confidence * np.float32(np.exp(-steps / FEATURES_MEMORY))
    weight = (FEATURES_FLOOR + (1.0 - FEATURES_FLOOR) * trust)[..., None]
    uv = weight * carried.uv + (1.0 - weight) * np.asarray(fill_uv, np.float32)
    return dataclasses.replace(carried, uv=uv.astype(np.float32))


def blend_runs(forward, backward, since, until):
    """A frame's (U, V) between two keyframes: the run forwards from the earlier (`since` frames
    before it) and the run backwards from the later (`until` frames after it), each weighted by its
    confidence and by the nearness of its keyframe (with equal confidences, linear in time)."""
    forward_weight = until * (forward.confidence + _BLEND_FLOOR)
    backward_weight = since * (backward.confidence + _BLEND_FLOOR)
    uv = (forward_weight[..., None] * forward.uv + backward_weight[..., None] * backward.uv)
    return (uv / (forward_weight + backward_weight)[..., None]).astype(np.float32)
