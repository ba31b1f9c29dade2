"""Keyframes carried through a clip along optical flow at the output's own resolution, streaming.

This is what `colornn colorize --keyframe` runs. Each keyframe's colours run forwards to the next
keyframe or the end of its shot, and backwards to the keyframe before or the start of its shot,
frame to frame (`flow_carry`: the flow computed on the luma at 1/`flow_scale` of the frame's size,
filled where it fails as the fill says); two keyframes of a shot are blended between them. A run
forwards from a keyframe streams. A run backwards cannot read a video backwards: the frames it
needs are read ahead once (a second read of the clip, in step with the first) into a temporary
file, which the run then reads back chunk by chunk, from the keyframe down, writing its colours
beside them for the frames to take when they are given back in order. So memory holds a few
frames whatever the clip's length; the file holds the frames between two keyframes (`_Spill`).
"""

import collections
import tempfile

import numpy as np

from colornn_keras import defaults
from colornn_keras import errors
from colornn_keras import flow
from colornn_keras import flow_carry
from colornn_keras.data import scene_cuts

FLOW_SCALES = defaults.FLOW_SCALES
DEFAULT_FLOW_SCALE = defaults.DEFAULT_FLOW_SCALE
KEYFRAME_BLENDS = defaults.KEYFRAME_BLENDS
# Frames a backward run reads back from its temporary file at a time.
BACKWARD_CHUNK_FRAMES = 16


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
        self._detector = scene_cuts.SceneCutDetector(scene_cut_threshold)
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
        return index, item if keep_item else None, flow_carry.flow_luma(luma, self._flow_scale), cut, luma

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


def _run_backwards(ahead, first, seed, seed_uv, blend, fill, at_chroma_size, on_step, source):
    """The run backwards from keyframe `seed` over the frames from `first` (the frame after the
    keyframe before, or 0) that it reaches: reads them ahead into a `_Spill` (their flow luma and
    the color model's colours), then runs back over them chunk by chunk, writing each frame's
    colours and confidence beside them (`fill`: what fills where the flow fails; `at_chroma_size`
    brings the color model's colours to the chroma's size). Returns (the spill, the first frame
    the run reached)."""
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
        carried = flow_carry.at_keyframe(seed_uv, seed_luma, fill)
        for chunk_stop in range(seed, reached_from, -BACKWARD_CHUNK_FRAMES):
            chunk_start = max(reached_from, chunk_stop - BACKWARD_CHUNK_FRAMES)
            chunk = [(spill.read(index, "luma"), spill.read(index, "color_uv"))
                     for index in range(chunk_start, chunk_stop)]
            for index in range(chunk_stop - 1, chunk_start - 1, -1):
                luma, color = chunk[index - chunk_start]
                carried = flow_carry.carry_along_flow(carried, luma, at_chroma_size(color[..., :2]), fill)
                spill.write(index, uv=carried.uv, confidence=carried.confidence)
                on_step(1)
    except BaseException:
        if spill is not None:
            spill.close()
        raise
    return spill, reached_from


def propagate_keyframes_along_flow(read, keyframes, color_uv, luma_of=None, flow_scale=DEFAULT_FLOW_SCALE,
                                   blend="confidence", scene_cut_threshold=scene_cuts.DEFAULT_SCENE_CUT_THRESHOLD,
                                   fill=flow_carry.DEFAULT_KEYFRAME_FILL, on_step=None, source="the clip"):
    """Colours a clip from keyframes carried along optical flow at the chroma's own size; yields
    (item, (U, V)) for every frame in order.

    Each keyframe's colours run forwards to the next keyframe or the end of its shot, and backwards
    to the keyframe before or the start of its shot, frame to frame along DIS flow, each frame
    keeping its own luma (`flow_carry.carry_along_flow`: where the flow fails, what `fill` says).
    A frame between two keyframes of one shot takes both runs' colours, weighted by their confidence
    and nearness (`blend="confidence"`, `flow_carry.blend_runs`), or the nearer keyframe's alone
    (`blend="nearest"`). A shot without a keyframe is coloured frame by frame by the color model.
    Scene cuts are told by `scene_cuts.SceneCutDetector`, as in the other video modes.

    Memory holds a few frames whatever the clip's length: runs forwards stream, and the frames a run
    backwards reaches are read ahead into a temporary file and read back in chunks of
    `BACKWARD_CHUNK_FRAMES` (see the module's notes). The file holds, for each frame
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
            chroma's): read lazily, so that it can predict in batches. With `fill="features"`,
            (U, V, U', V'): the color model's, then the keyframes' head's
            (`keyframe_head.KeyframeHead.beside`).
        luma_of: a callable from an item to its luma (H, W) or (H, W, 1) in [0, 1]; None: the
            items are lumas.
        flow_scale: 1, 2 or 4: the flow is computed on the luma at full, half or quarter size
            (`FLOW_SCALES`), then brought to the chroma's size.
        blend: "confidence" or "nearest" (see above; `KEYFRAME_BLENDS`).
        scene_cut_threshold: the luma-histogram jump that starts a new shot.
        fill: where the flow fails, "model" (the color model's colours), "keyframe" (the run's
            keyframe's colours matched by luma), "flow" (none: the carried colours stay) or
            "features" (the carried colours mixed with the keyframes' head's, by confidence); see
            `flow_carry.KEYFRAME_FILLS`.
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
    if fill not in flow_carry.KEYFRAME_FILLS:
        raise errors.ColorNNError(f"fill must be one of {flow_carry.KEYFRAME_FILLS}, got {fill!r}.")
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

    def at_chroma_size(uv):
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
            spill, reached_from = _run_backwards(ahead, first, seed, keyframes[seed], blend, fill,
                                                 at_chroma_size, step, source)
        try:
            # The frames before `seed` (after the last keyframe: to the clip's end). Those of a run
            # backwards were read ahead with the color model's colours.
            if spill is None:
                frames = output.with_colors(seed)
            else:
                frames = ((*frame, spill.read(frame[0], "color_uv")) for frame in output.up_to(seed))
            for index, item, luma, cut, color in frames:
                model_uv = at_chroma_size(color[..., :2])
                fill_uv = at_chroma_size(color[..., 2:]) if fill == "features" else model_uv
                reached = spill is not None and index >= reached_from
                if cut or (blend == "nearest" and reached):
                    forward = None  # Across a cut nothing is carried; nearest-only, the later keyframe's.
                if forward is not None:
                    forward = flow_carry.carry_along_flow(forward, luma, model_uv, fill)
                backward = None
                if reached:
                    backward = flow_carry.Carried(spill.read(index, "uv").astype(np.float32),
                                                  spill.read(index, "confidence").astype(np.float32), luma)
                elif spill is not None:
                    step(1)  # No run backwards reaches this frame: its step is done.
                since, until = index - first + 1, None if seed is None else seed - index  # Frames from each keyframe.
                runs = [None if run is None else flow_carry.shown(run, fill_uv, fill, steps)
                        for run, steps in ((forward, since), (backward, until))]
                if None not in runs:
                    uv = flow_carry.blend_runs(*runs, since, until)
                elif any(run is not None for run in runs):
                    uv = next(run for run in runs if run is not None).uv
                else:
                    uv = model_uv
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
        forward = flow_carry.at_keyframe(keyframes[seed], luma, fill)
        yield item, keyframes[seed]
        first = seed + 1
