"""Keyframes propagated at the models' square size: by the consistency model, the flow-guided model or a baseline.

The paper's one strong result is the consistency model fed an accurate colouring of the
previous frame. A person restoring a film can give exactly that for some frames: one frame
coloured by hand, or a colour photo of the same scene (a *keyframe*). Here the consistency model
is seeded with a keyframe's true (U, V) and runs free from there, re-seeded at every later
keyframe of the shot; a keyframe in the middle of a shot also colours the frames before it, by
running the shot backwards from it. A shot with no keyframe falls back to the automatic mode (the
color model frame by frame).

Two classical baselines make the numbers meaningful: holding the keyframe's (U, V) for every
frame, and carrying it along dense optical flow (OpenCV's DIS) computed on the luma, each frame
keeping its own luma (`flow_keyframe`, at the models' square size, as the evaluation scores it).
`propagate_guided` carries the colours along the same flow through a `FlowGuidedModel`, which
falls back on the color model where the flow fails; without a keyframe it is an automatic mode,
started from the color model's first frame.

What `colornn colorize --keyframe` runs by default, keyframes carried along the flow at the
output's own resolution, is `keyframes_along_flow`.
"""

import numpy as np

from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras import flow
from colornn_keras.models import color as color_models
from colornn_keras.models import consistency as consistency_models
from colornn_keras.models import rollout


def shots(cuts):
    """[(start, end)] frame ranges of the shots that `cuts` (True where a shot starts) delimit."""
    starts = [0] + [index for index, cut in enumerate(cuts) if cut and index > 0]
    return list(zip(starts, starts[1:] + [len(cuts)]))


def _check_keyframes(keyframes, count):
    for index in keyframes:
        if not 0 <= index < count:
            raise errors.InputError(f"Keyframe {index} is outside the clip's {count} frames (0 to {count - 1}).")


def _runs_from_keyframes(start, end, seeds):
    """How a shot (frames start..end-1) is reached from its sorted keyframes `seeds`: [(keyframe,
    the frames it colours in the order they are reached)], forwards from each keyframe to the next
    one (or the shot's end), then backwards from the first keyframe to the shot's start."""
    runs = [(seed, list(range(seed + 1, stop))) for seed, stop in zip(seeds, seeds[1:] + [end])]
    return runs + [(seeds[0], list(range(seeds[0] - 1, start - 1, -1)))]


def _run(consistency_model, luma_frames, seed_uv, method):
    """Free-running predictions from the frame before `luma_frames`, whose colours are `seed_uv`."""
    def step(luma, previous_luma, previous_output):
        return consistency_models.predict_frame(
            consistency_model, consistency_models.context_inputs(luma, previous_output["uv"]), method)

    return rollout.roll_out(None, step, luma_frames, seed=(None, {"uv": np.asarray(seed_uv, np.float32)}))


def _seed_output(uv, num_bins):
    """A keyframe's own frame: its true colours, as a (certain) distribution over their bins."""
    bins = colorspace.quantize_uv(np.asarray(uv, np.float32), num_bins)
    return {"uv": np.asarray(uv, np.float32), **{axis: np.eye(num_bins, dtype=np.float32)[bins[axis]] for axis in bins}}


def propagate(color_model, consistency_model, luma_frames, keyframes, cuts=None, method="annealed_mean",
              num_bins=None, distributions=True, on_frame=None):
    """Colours a clip from keyframes; returns a list of {"u", "v", "uv"} per frame.

    Args:
        color_model, consistency_model: a trained color model and the consistency model on it.
        luma_frames: (H, W, 1) luma arrays at the models' size, the whole clip (the shot is also
            run backwards, so it is held in memory at model size).
        keyframes: {frame index: (H, W, 2) true (U, V) at the models' size}.
        cuts: booleans, True where a frame starts a new shot; None: one shot.
        method: decoding of each distribution into the (U, V) fed to the next frame.
        num_bins: bins per axis (default: the color model's).
        distributions: keep each frame's "u" and "v" distributions (for scoring). False keeps
            only "uv": a whole clip's distributions take `num_bins` times the memory of its colours.
        on_frame: optional callable given each frame's prediction as it is made (in the order
            they are made, not the frames' order), before `distributions=False` drops them: for
            progress, or to check them.
    """
    luma_frames = [np.asarray(luma, np.float32) for luma in luma_frames]
    _check_keyframes(keyframes, len(luma_frames))
    num_bins = num_bins or color_models.num_bins_of(color_model)
    cuts = list(cuts) if cuts is not None else [False] * len(luma_frames)

    def kept(predictions):
        for prediction in predictions:
            if on_frame is not None:
                on_frame(prediction)
            yield prediction if distributions else {"uv": prediction["uv"]}

    outputs = [None] * len(luma_frames)
    for start, end in shots(cuts):
        seeds = sorted(index for index in keyframes if start <= index < end)
        if not seeds:  # No keyframe in this shot: the automatic mode, frame by frame.
            automatic = consistency_models.predict_sequence(color_model, None, luma_frames[start:end], "per_frame",
                                                            method=method)
            outputs[start:end] = list(kept(automatic))
            continue
        outputs_of_seeds = (_seed_output(keyframes[seed], num_bins) if distributions
                            else {"uv": np.asarray(keyframes[seed], np.float32)} for seed in seeds)
        for seed, output in zip(seeds, kept(outputs_of_seeds)):
            outputs[seed] = output
        for seed, reached in _runs_from_keyframes(start, end, seeds):
            run = _run(consistency_model, [luma_frames[index] for index in reached], keyframes[seed], method)
            for index, output in zip(reached, kept(run)):
                outputs[index] = output
    return outputs


def hold_keyframe(luma_frames, keyframes):
    """Baseline: every frame takes the (U, V) of the nearest keyframe at or before it (else the first)."""
    luma_frames = list(luma_frames)
    _check_keyframes(keyframes, len(luma_frames))
    seeds = sorted(keyframes)
    uv_frames = []
    for index in range(len(luma_frames)):
        earlier = [seed for seed in seeds if seed <= index]
        uv_frames.append(np.asarray(keyframes[earlier[-1] if earlier else seeds[0]], np.float32))
    return [{"uv": uv} for uv in uv_frames]


def _count(on_step, frames=1):
    if on_step is not None:
        on_step(frames)


def flow_keyframe(luma_frames, keyframes, on_step=None):
    """Baseline: keyframe colours carried frame to frame along DIS optical flow, both ways.

    For frame t after a keyframe, the flow from t to t-1 says where each pixel of t was; the
    colours of t-1 are sampled there. Frames before the first keyframe are reached backwards.
    `on_step`, if given, is called with 1 as each frame's colours are settled.
    """
    luma_frames = list(luma_frames)
    _check_keyframes(keyframes, len(luma_frames))
    uv_frames = [None] * len(luma_frames)
    for seed, uv in keyframes.items():
        uv_frames[seed] = np.asarray(uv, np.float32)
        _count(on_step)
    for seed, reached in _runs_from_keyframes(0, len(luma_frames), sorted(keyframes)):
        previous = seed
        for index in reached:
            motion = flow.dis_flow(luma_frames[index], luma_frames[previous])
            uv_frames[index] = flow.warp(uv_frames[previous], motion)
            previous = index
            _count(on_step)
    return [{"uv": uv} for uv in uv_frames]


def _warp_luma(luma, motion):
    return flow.warp(luma, motion)[..., None]


def guide_inputs(luma, previous_luma, previous_uv, color_uv):
    """A `FlowGuidedModel`'s inputs for a batch of frames: the previous frames' luma and colours
    warped to them along DIS flow (from each frame to the one before it), beside their own luma
    and the color model's colours. All arrays are batches (B, H, W, C) at model size."""
    flows = [flow.dis_flow(now, before) for now, before in zip(luma, previous_luma)]
    return {
        "luma": np.asarray(luma, np.float32),
        "warped_luma": np.stack([_warp_luma(before, motion) for before, motion in zip(previous_luma, flows)]),
        "warped_uv": np.stack([flow.warp(uv, motion) for uv, motion in zip(previous_uv, flows)]),
        "color_uv": np.asarray(color_uv, np.float32),
    }


def guided_step(model, luma, previous_luma, previous_uv, color_uv):
    """One step of a `FlowGuidedModel` on a batch (see `guide_inputs`); returns (B, H, W, 2)."""
    return np.asarray(model.predict_on_batch(guide_inputs(luma, previous_luma, previous_uv, color_uv)), np.float32)


def _guided_run(model, luma_frames, color_uv_frames, seed_luma, seed_uv):
    """(U, V) of `luma_frames` in order, from the frame before them (`seed_luma`, `seed_uv`)."""
    def step(frame, previous_frame, previous_uv):
        (luma, color_uv), (previous_luma, _) = frame, previous_frame
        return guided_step(model, [luma], [previous_luma], [previous_uv], [color_uv])[0]

    return rollout.roll_out(None, step, zip(luma_frames, color_uv_frames),
                            seed=((seed_luma, None), np.asarray(seed_uv, np.float32)))


def propagate_guided(model, luma_frames, color_uv_frames, keyframes=None, cuts=None, both_ways=False, on_step=None):
    """Colours a clip with a `FlowGuidedModel`; returns a list of {"uv"} per frame.

    A shot with keyframes is coloured from them as in `propagate` (forward from each, backwards
    from the first); a shot without is coloured automatically: its first frame takes the color
    model's colours, and each later frame is guided from the one before.

    Args:
        model: a trained `FlowGuidedModel` or a `FlowSmoothingModel`.
        luma_frames: (H, W, 1) luma arrays at the color model's size, the whole clip.
        color_uv_frames: the color model's decoded (H, W, 2) colours of each frame.
        keyframes: {frame index: (H, W, 2) true (U, V)}; None or {}: the automatic mode.
        cuts: booleans, True where a frame starts a new shot; None: one shot.
        both_ways: bool; True: a shot without keyframes is also run backwards, from its last frame's
            colours by the color model, and each frame takes the mean of the two runs (the whole
            shot is at hand offline, so each frame is smoothed by its past and its future alike).
        on_step: optional callable given 1 for each frame of each run (forwards, and backwards
            with `both_ways`) as it is done; `guided_steps` says how many calls a clip makes.
    """
    luma_frames = [np.asarray(luma, np.float32) for luma in luma_frames]
    color_uv_frames = [np.asarray(uv, np.float32) for uv in color_uv_frames]
    if len(color_uv_frames) != len(luma_frames):
        raise ValueError(f"{len(luma_frames)} frames of luma but {len(color_uv_frames)} of the color model's colours.")
    keyframes = keyframes or {}
    _check_keyframes(keyframes, len(luma_frames))
    cuts = list(cuts) if cuts is not None else [False] * len(luma_frames)
    uv_frames = [None] * len(luma_frames)
    for start, end in shots(cuts):
        keyed = {index: uv for index, uv in keyframes.items() if start <= index < end}
        # Without a keyframe (the automatic mode), from the color model's colours of its first frame.
        seeds = keyed or {start: color_uv_frames[start]}
        for seed, uv in seeds.items():
            uv_frames[seed] = np.asarray(uv, np.float32)
            _count(on_step)
        for seed, reached in _runs_from_keyframes(start, end, sorted(seeds)):
            run = _guided_run(model, [luma_frames[index] for index in reached],
                              [color_uv_frames[index] for index in reached], luma_frames[seed], seeds[seed])
            for index, uv in zip(reached, run):
                uv_frames[index] = uv
                _count(on_step)
        if both_ways and not keyed:
            # And back from its last frame's, folded into the forward run's frames as it goes.
            last, reached = end - 1, list(range(end - 2, start - 1, -1))
            run = _guided_run(model, [luma_frames[index] for index in reached],
                              [color_uv_frames[index] for index in reached], luma_frames[last], color_uv_frames[last])
            uv_frames[last] = 0.5 * (uv_frames[last] + color_uv_frames[last])
            _count(on_step)
            for index, uv in zip(reached, run):
                uv_frames[index] = 0.5 * (uv_frames[index] + uv)
                _count(on_step)
    return [{"uv": uv} for uv in uv_frames]
