"""Colour propagation from keyframes: the paper's consistency model given true colours.

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

`propagate_keyframes_along_flow` is what `colornn colorize --keyframe` runs: the flow baseline
at the output's own resolution (the frames' size, or their 4:2:0 chroma planes'), the flow
computed at full, half or quarter size, the color model's colours where the flow fails, two
keyframes of a shot blended by confidence, in memory that does not grow with the clip.
"""

import collections
import dataclasses
import tempfile

import numpy as np

from colornn_keras import colorspace
from colornn_keras import defaults
from colornn_keras import errors
from colornn_keras import flow
from colornn_keras.data import video
from colornn_keras.models import color as color_models
from colornn_keras.models import consistency as consistency_models


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
    previous_uv = np.asarray(seed_uv, np.float32)
    for luma in luma_frames:
        outputs = consistency_model.predict_on_batch(
            {"luma": np.asarray(luma, np.float32)[None], consistency_models.CONTEXT_INPUT: previous_uv[None]})
        probabilities = {axis: np.asarray(outputs[axis][0], np.float32) for axis in ("u", "v")}
        previous_uv = colorspace.decode_uv(probabilities, method)
        yield {**probabilities, "uv": previous_uv}


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


# Keyframes carried along optical flow at the output's own resolution.
#
# Each frame's colours are carried from its neighbour along DIS flow, computed on the luma at
# 1/`flow_scale` of the frame's size and brought to the chroma's size; where the flow fails the
# frame takes the color model's colours instead (`carry_along_flow`). A run forwards from a
# keyframe streams. A run backwards cannot read a video backwards: the frames it needs are read
# ahead once (a second read of the clip, in step with the first) into a temporary file, which the
# run then reads back chunk by chunk, from the keyframe down, writing its colours beside them for
# the frames to take when they are given back in order. So memory holds a few frames whatever the
# clip's length; the file holds the frames between two keyframes (`_Spill`).

FLOW_SCALES = defaults.FLOW_SCALES
DEFAULT_FLOW_SCALE = defaults.DEFAULT_FLOW_SCALE
KEYFRAME_BLENDS = defaults.KEYFRAME_BLENDS
# Frames a backward run reads back from its temporary file at a time.
BACKWARD_CHUNK_FRAMES = 16
# Added to both runs' confidences where two keyframes meet, so that where neither is trusted (both
# hold the color model's colours) the nearer still weighs more.
_BLEND_FLOOR = 1e-3


def flow_luma(luma, flow_scale):
    """A frame's luma ((H, W) or (H, W, 1) in [0, 1]) as the flow sees it: uint8, 1/`flow_scale`
    of its width and height."""
    luma = np.asarray(luma, np.float32)
    luma = luma[..., 0] if luma.ndim == 3 else luma
    height, width = luma.shape
    size = (max(1, round(width / flow_scale)), max(1, round(height / flow_scale)))
    return flow._uint8(flow.resize(luma, size))


@dataclasses.dataclass
class Carried:
    """A run's colours at one frame: (U, V) (h, w, 2) at the chroma's size, the confidence (h, w)
    that they are the keyframe's own (1 at the keyframe, lowered wherever the flow failed since),
    and the frame's `flow_luma`."""

    uv: np.ndarray
    confidence: np.ndarray
    flow_luma: np.ndarray


def carry_along_flow(carried, luma, fill_uv):
    """The next frame's `Carried` colours, from its neighbour's (`carried`) along the flow.

    The flow from the frame to its neighbour (computed on the flow-size lumas, then brought to the
    chroma's size) says where each pixel was; the neighbour's colours are sampled there. Where the
    forward-backward check or the frame's edges say the flow failed (`flow.forward_backward_confidence`),
    the frame takes `fill_uv` (the color model's colours at the chroma's size) instead, in
    proportion: errors are replaced, not carried on. The confidence in the keyframe's colours is
    carried along the same way and multiplied by that check.

    Args:
        carried: the neighbour's `Carried` (the frame before, forwards; after, backwards).
        luma: this frame's `flow_luma`.
        fill_uv: (h, w, 2) colours for where the flow fails, at the chroma's size.
    """
    there = flow.dis_flow(luma, carried.flow_luma)  # From this frame to the neighbour: where each pixel was.
    back = flow.dis_flow(carried.flow_luma, luma)
    size = (fill_uv.shape[1], fill_uv.shape[0])
    trust = flow.resize(flow.forward_backward_confidence(there, back), size)
    motion = flow.resize_flow(there, size)
    warped_uv = flow.warp(carried.uv, motion)
    uv = trust[..., None] * warped_uv + (1.0 - trust[..., None]) * fill_uv
    return Carried(uv.astype(np.float32), (trust * flow.warp(carried.confidence, motion)).astype(np.float32), luma)


def blend_runs(forward, backward, since, until):
    """A frame's (U, V) between two keyframes: the run forwards from the earlier (`since` frames
    before it) and the run backwards from the later (`until` frames after it), each weighted by its
    confidence and by the nearness of its keyframe (with equal confidences, linear in time)."""
    forward_weight = until * (forward.confidence + _BLEND_FLOOR)
    backward_weight = since * (backward.confidence + _BLEND_FLOOR)
    uv = (forward_weight[..., None] * forward.uv + backward_weight[..., None] * backward.uv)
    return (uv / (forward_weight + backward_weight)[..., None]).astype(np.float32)


def _gaps(keyframes):
    """[(first, keyframe)]: the frames before each keyframe back to the one before it, where any."""
    seeds = sorted(keyframes)
    return [(first, seed) for first, seed in zip([0] + [seed + 1 for seed in seeds[:-1]], seeds) if seed > first]


def steps_along_flow(keyframes):
    """How many times `propagate_keyframes_along_flow` calls its `on_step` for `keyframes` (any
    collection of frame indices): each frame up to the last keyframe with frames before it, read
    ahead; and each frame before a keyframe (back to the one before it), once, for the run
    backwards."""
    gaps = _gaps(keyframes)
    if not gaps:
        return 0
    return gaps[-1][1] + 1 + sum(seed - first for first, seed in gaps)


class _Spill:
    """Per-frame arrays of one backward run in a temporary file of fixed-size records, written and
    read in any order, so that memory does not grow with the run's length.

    Args:
        first_index: the frame index of the first record.
        fields: {name: (shape, dtype)} of each record's arrays.
    """

    def __init__(self, first_index, fields):
        self.first_index, self._fields, self._record_bytes = first_index, {}, 0
        for name, (shape, dtype) in fields.items():
            dtype = np.dtype(dtype)
            self._fields[name] = (self._record_bytes, tuple(shape), dtype)
            self._record_bytes += int(np.prod(shape)) * dtype.itemsize
        self._file = tempfile.TemporaryFile(prefix="colornn_keyframes_")

    def write(self, index, **arrays):
        try:
            for name, array in arrays.items():
                offset, shape, dtype = self._fields[name]
                self._file.seek((index - self.first_index) * self._record_bytes + offset)
                self._file.write(np.ascontiguousarray(array, dtype).reshape(shape).tobytes())
        except OSError as error:
            raise errors.OutputError(
                f"Cannot hold the frames before a keyframe in a temporary file in {tempfile.gettempdir()}: "
                f"{error.strerror or error}; free space there or point TMPDIR elsewhere.") from error

    def read(self, index, name):
        offset, shape, dtype = self._fields[name]
        self._file.seek((index - self.first_index) * self._record_bytes + offset)
        return np.frombuffer(self._file.read(int(np.prod(shape)) * dtype.itemsize), dtype).reshape(shape)

    def close(self):
        self._file.close()


class _Reading:
    """One reading of a clip, in order: each frame's index, item, `flow_luma`, whether it starts a
    shot, and (`with_colors`) the color model's colours, predicted in batches."""

    def __init__(self, items, luma_of, flow_scale, scene_cut_threshold, color_uv, on_read=None):
        self._items, self._luma_of, self._flow_scale, self._color_uv = iter(items), luma_of, flow_scale, color_uv
        self._detector = video.SceneCutDetector(scene_cut_threshold)
        self._on_read = on_read or (lambda count: None)
        self.position = 0  # The index of the next frame.

    def _luma(self, item):
        luma = np.asarray(self._luma_of(item), np.float32)
        return luma[..., 0] if luma.ndim == 3 else luma

    def next_frame(self, keep_item=True):
        """(index, item or None, flow luma, cut, full-size luma (H, W)) of the next frame; None at
        the clip's end."""
        item = next(self._items, None)
        if item is None:
            return None
        self._on_read(1)
        luma = self._luma(item)
        index, self.position = self.position, self.position + 1
        cut = self._detector.is_cut(luma * 255.0)
        return index, item if keep_item else None, flow_luma(luma, self._flow_scale), cut, luma

    def skip_to(self, index):
        """Reads past the frames before `index`, only the one just before it told to the scene-cut
        detector (its histogram decides whether `index` starts a shot). False at the clip's end."""
        while self.position < index - 1:
            if next(self._items, None) is None:
                return False
            self._on_read(1)
            self.position += 1
        return self.position == index or self.next_frame(keep_item=False) is not None

    def with_colors(self, stop, keep_items=True):
        """Yields (index, item, flow luma, cut, the color model's (U, V)) for each frame up to
        `stop` (exclusive; None: the clip's end), holding a batch of them at a time."""
        held = collections.deque()

        def lumas():
            while stop is None or self.position < stop:
                frame = self.next_frame(keep_items)
                if frame is None:
                    return
                held.append(frame[:4])
                yield frame[4][..., None]

        for uv in self._color_uv(lumas()):
            yield (*held.popleft(), np.asarray(uv, np.float32))

    def up_to(self, stop):
        """Yields (index, item, flow luma, cut) for each frame up to `stop` (exclusive)."""
        while self.position < stop:
            frame = self.next_frame()
            if frame is None:
                return
            yield frame[:4]


def _outside(index, count, source):
    return errors.InputError(f"Keyframe {index} is outside {source}'s {count} frames (0 to {count - 1}: frames count "
                             "from 0).")


def _run_backwards(ahead, first, seed, seed_uv, blend, fill, on_step, source):
    """The run backwards from keyframe `seed` over the frames from `first` (the frame after the
    keyframe before, or 0) that it reaches: reads them ahead into a `_Spill` (their flow luma and
    the color model's colours), then runs back over them chunk by chunk, writing each frame's
    colours and confidence beside them. Returns (the spill, the first frame the run reached)."""
    if not ahead.skip_to(first):
        raise _outside(seed, ahead.position, source)
    chroma_shape = seed_uv.shape[:2]
    spill, cut_at = None, []
    try:
        for index, _, luma, cut, color in ahead.with_colors(seed, keep_items=False):
            if spill is None:
                spill = _Spill(first, {"luma": (luma.shape, np.uint8), "color_uv": (color.shape, np.float32),
                                       "uv": ((*chroma_shape, 2), np.float16),
                                       "confidence": (chroma_shape, np.float16)})
            spill.write(index, luma=luma, color_uv=color)
            if cut:
                cut_at.append(index)
        keyframe = ahead.next_frame(keep_item=False)
        if keyframe is None or spill is None:
            raise _outside(seed, ahead.position, source)
        _, _, seed_luma, seed_cut, _ = keyframe
        # A run cannot cross a cut: it reaches back to the last one. Without one, it reaches the
        # keyframe before (or the clip's start); blending nearest-only, the frames nearer to it.
        if seed_cut:
            cut_at.append(seed)
        if cut_at:
            reached_from = cut_at[-1]
        elif blend == "nearest" and first > 0:
            reached_from = (first - 1 + seed) // 2 + 1
        else:
            reached_from = first
        carried = Carried(seed_uv, np.ones(chroma_shape, np.float32), seed_luma)
        for chunk_stop in range(seed, reached_from, -BACKWARD_CHUNK_FRAMES):
            chunk_start = max(reached_from, chunk_stop - BACKWARD_CHUNK_FRAMES)
            chunk = [(spill.read(index, "luma"), spill.read(index, "color_uv"))
                     for index in range(chunk_start, chunk_stop)]
            for index in range(chunk_stop - 1, chunk_start - 1, -1):
                luma, color = chunk[index - chunk_start]
                carried = carry_along_flow(carried, luma, fill(color))
                spill.write(index, uv=carried.uv, confidence=carried.confidence)
                on_step(1)
    except BaseException:
        if spill is not None:
            spill.close()
        raise
    return spill, reached_from


def propagate_keyframes_along_flow(read, keyframes, color_uv, luma_of=None, flow_scale=DEFAULT_FLOW_SCALE,
                                   blend="confidence", scene_cut_threshold=video.DEFAULT_SCENE_CUT_THRESHOLD,
                                   on_step=None, source="the clip"):
    """Colours a clip from keyframes carried along optical flow at the chroma's own size; yields
    (item, (U, V)) for every frame in order.

    Each keyframe's colours run forwards to the next keyframe or the end of its shot, and backwards
    to the keyframe before or the start of its shot, frame to frame along DIS flow, each frame
    keeping its own luma (`carry_along_flow`: where the flow fails, the color model's colours). A
    frame between two keyframes of one shot takes both runs' colours, weighted by their confidence
    and nearness (`blend="confidence"`, `blend_runs`), or the nearer keyframe's alone
    (`blend="nearest"`). A shot without a keyframe is coloured frame by frame by the color model.
    Scene cuts are told by `video.SceneCutDetector`, as in the other video modes.

    Memory holds a few frames whatever the clip's length: runs forwards stream, and the frames a run
    backwards reaches are read ahead into a temporary file and read back in chunks of
    `BACKWARD_CHUNK_FRAMES` (see the notes above `FLOW_SCALES`). The file holds, for each frame
    between two keyframes, its flow luma, the color model's colours, and the run's colours and
    confidence in float16 at the chroma's size: at `flow_scale` 2, about 1.75 bytes a pixel of
    4:2:0 planes (3.6 MB a 1080p frame, 1.1 GB for 300 frames between keyframes) and 6.3 of RGB
    frames.

    Args:
        read: a callable that returns a fresh iterator over the clip's items (frames, or luma
            planes) from the first, each time it is called: the clip is read twice, in step (the
            frames given back, and a reading ahead up to the last keyframe with frames before it).
        keyframes: {frame index: (h, w, 2) float (U, V)} at the chroma's size, at least one: the
            frames' size, or (ceil(H / 2), ceil(W / 2)) for 4:2:0 planes. Every frame's colours
            come out at that size.
        color_uv: a callable that maps an iterable of full-size lumas (H, W, 1) in [0, 1] to an
            iterable of the color model's (U, V), one for each, of any size (resized to the
            chroma's): read lazily, so that it can predict in batches.
        luma_of: a callable from an item to its luma (H, W) or (H, W, 1) in [0, 1]; None: the
            items are lumas.
        flow_scale: 1, 2 or 4: the flow is computed on the luma at full, half or quarter size
            (`FLOW_SCALES`), then brought to the chroma's size.
        blend: "confidence" or "nearest" (see above; `KEYFRAME_BLENDS`).
        scene_cut_threshold: the luma-histogram jump that starts a new shot.
        on_step: optional callable given 1 for each frame read ahead, and for each frame before a
            keyframe (back to the keyframe before) once, for the run backwards: as the run reaches
            it, or, where none does (a cut, or `blend="nearest"`), as it is given back;
            `steps_along_flow(keyframes)` in all. The frames given back are the caller's to count.
        source: the clip's name, for the message of a keyframe outside it.

    Raises:
        InputError: a keyframe's index is outside the clip.
    """
    if flow_scale not in FLOW_SCALES:
        raise errors.ColorNNError(f"flow_scale must be one of {FLOW_SCALES} (full, half or quarter size), "
                                  f"got {flow_scale!r}.")
    if blend not in KEYFRAME_BLENDS:
        raise errors.ColorNNError(f"blend must be one of {KEYFRAME_BLENDS}, got {blend!r}.")
    if not keyframes:
        raise ValueError("Carrying keyframes along the flow needs at least one keyframe.")
    keyframes = {index: np.asarray(uv, np.float32) for index, uv in keyframes.items()}
    chroma_shape = next(iter(keyframes.values())).shape[:2]
    for index, uv in keyframes.items():
        if index < 0:
            raise errors.InputError(f"Keyframe {index} is not a frame number (0 for the first frame).")
        if uv.shape != (*chroma_shape, 2):
            raise ValueError(f"Keyframe {index}'s (U, V) is {uv.shape}, the others' {(*chroma_shape, 2)}.")
    luma_of = luma_of or (lambda item: item)
    step = on_step or (lambda count: None)

    def fill(uv):
        return flow.resize(uv, (chroma_shape[1], chroma_shape[0]))

    output = _Reading(read(), luma_of, flow_scale, scene_cut_threshold, color_uv)  # Opened first: given back.
    ahead = None  # The reading ahead, opened for the first run backwards.
    forward = None  # The run forwards from the last keyframe, while it lasts.
    first = 0
    for seed in sorted(keyframes) + [None]:
        spill = reached_from = None
        if seed is not None and seed > first:
            if ahead is None:
                ahead = _Reading(read(), luma_of, flow_scale, scene_cut_threshold, color_uv, on_read=step)
            spill, reached_from = _run_backwards(ahead, first, seed, keyframes[seed], blend, fill, step, source)
        try:
            # The frames before `seed` (after the last keyframe: to the clip's end). Those of a run
            # backwards were read ahead with the color model's colours.
            if spill is None:
                frames = output.with_colors(seed)
            else:
                frames = ((*frame, spill.read(frame[0], "color_uv")) for frame in output.up_to(seed))
            for index, item, luma, cut, color in frames:
                fill_uv = fill(color)
                reached = spill is not None and index >= reached_from
                if cut or (blend == "nearest" and reached):
                    forward = None  # Across a cut nothing is carried; nearest-only, the later keyframe's.
                if forward is not None:
                    forward = carry_along_flow(forward, luma, fill_uv)
                backward = None
                if reached:
                    backward = Carried(spill.read(index, "uv").astype(np.float32),
                                       spill.read(index, "confidence").astype(np.float32), luma)
                elif spill is not None:
                    step(1)  # No run backwards reaches this frame: its step is done.
                if forward is not None and backward is not None:
                    uv = blend_runs(forward, backward, index - first + 1, seed - index)
                elif forward is not None or backward is not None:
                    uv = forward.uv if forward is not None else backward.uv
                else:
                    uv = fill_uv
                yield item, uv
        finally:
            if spill is not None:
                spill.close()
        if seed is None:
            return
        keyframe = output.next_frame() if output.position == seed else None
        if keyframe is None:
            raise _outside(seed, output.position, source)
        _, item, luma, _, _ = keyframe
        forward = Carried(keyframes[seed], np.ones(chroma_shape, np.float32), luma)
        yield item, keyframes[seed]
        first = seed + 1


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
    previous_luma, previous_uv = seed_luma, np.asarray(seed_uv, np.float32)
    for luma, color_uv in zip(luma_frames, color_uv_frames):
        previous_uv = guided_step(model, [luma], [previous_luma], [previous_uv], [color_uv])[0]
        previous_luma = luma
        yield previous_uv


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
