"""Colorizing images, folders and videos at their full resolution.

The models see luma at their own square size; their U and V are decoded there, resized back to
the source's size (for a video, to its chroma planes' size: videos are coloured in YUV end to
end), and joined with the source's own full-resolution Y, so detail comes from the original and
never from an upscaled model input. Colour input is reduced to its luma first, so
any photo can be tried. A video can also be coloured from keyframes: colour pictures of some of
its frames, whose colours are carried through their shots along optical flow at the video's own
resolution (or, at the model's size, by the consistency model). Every output is
written atomically and checked before it is put in place: nothing half-written or unreadable is
left. Bad inputs are `InputError`s, outputs that cannot be written `OutputError`s, each one line
naming the file. A model that predicts non-finite colours is a `RuntimeError`: black frames are
never written.
"""

import collections
import collections.abc
import concurrent.futures
import dataclasses
import itertools
import os
import pathlib
import queue
import threading
import warnings

import keras
import numpy as np
from PIL import Image

from colornn_keras import colorspace
from colornn_keras import engines
from colornn_keras import errors
from colornn_keras import files
from colornn_keras import propagation
from colornn_keras.data import images
from colornn_keras.data import video
from colornn_keras.models import consistency as consistency_models
from colornn_keras.models import decoding
from colornn_keras.models import recurrent as recurrent_models

MIN_SIDE = 8
# Larger images are refused before decoding: 8K x 8K, beyond which memory, not colour, is the issue.
MAX_PIXELS = 8192 * 8192


def _resize_plane(plane, size):
    """Resizes a float (H, W) plane to size (width, height), bilinear."""
    return np.asarray(Image.fromarray(np.asarray(plane, np.float32), mode="F").resize(size, Image.BILINEAR))


def _luma(frame):
    """BT.601 luma (H, W, 1) in [0, 1] of an RGB uint8 frame, at its own resolution."""
    return colorspace.rgb_to_luma(np.asarray(frame, np.float32) / 255.0)


def _check_finite(prediction):
    """A `RuntimeError` when a model's output holds NaN or infinity: decoded and joined, it would
    write black (or one flat colour's) frames without a word. Checks the distributions too, since
    argmax decodes NaN to a finite bin."""
    arrays = prediction.values() if isinstance(prediction, dict) else [prediction]
    if not all(np.isfinite(array).all() for array in arrays):
        raise RuntimeError("The model predicted non-finite colours (NaN or infinity), so nothing is written: "
                           "its weights or its numeric precision are broken.")


def check_image_size(width, height, source):
    if min(width, height) < MIN_SIDE:
        raise errors.InputError(f"{source} is {width}x{height}: too small to colorize (at least {MIN_SIDE}x{MIN_SIDE}).")
    if width * height > MAX_PIXELS:
        raise errors.InputError(f"{source} is {width}x{height}: larger than {MAX_PIXELS // 10**6} megapixels; "
                                "downscale it first.")


def engine_models(color_model, consistency_model=None, method="annealed_mean"):
    """The Keras models a `Colorizer` of these models runs on its engine: the color model with its
    decoding (`decoding.ChromaModel`; the color model itself where it is not a Keras model), then,
    with a (paper) consistency model, the color model and the consistency model."""
    chroma_model = decoding.ChromaModel(color_model, method) if isinstance(color_model, keras.Model) else color_model
    if consistency_model is None or isinstance(consistency_model, recurrent_models.RecurrentModels):
        return [chroma_model]
    return [chroma_model, color_model, consistency_model]


class _DecodingInNumPy:
    """The chroma predictor of a color model that is not a Keras model (a wrapped model, a test
    double): its distributions decoded in NumPy, as `ChromaDecoder` does in the graph."""

    def __init__(self, predictor, method):
        self.predictor, self.method, self.engine = predictor, method, predictor.engine

    def predict_on_batch(self, luma):
        outputs = self.predictor.predict_on_batch(luma)
        probabilities = {axis: np.asarray(outputs[axis]) for axis in ("u", "v")}
        _check_finite(probabilities)  # Argmax decodes NaN to a finite bin.
        return {"uv": colorspace.decode_uv(probabilities, self.method)}


# How keyframes' colours reach the other frames of their shot: carried along optical flow, by the
# consistency model seeded with them (experiments/2026-11-30_keyframe_propagation_128: flow was
# better on every test clip), or along the flow through a trained `FlowGuidedModel`.
KEYFRAME_PROPAGATIONS = ("flow", "model", "guided")


@dataclasses.dataclass
class Colorizer:
    """Colours frames with a color model, and with a consistency model for videos.

    Args:
        color_model: a trained classification color model.
        consistency_model: optional; when given, videos are coloured free-running with it (a
            consistency model, or the `RecurrentModels` of the recurrent variant). Keyframes
            propagated by "model" need a (paper) consistency model.
        method: "argmax", "expectation" or "annealed_mean" decoding.
        scene_cut_threshold: luma-histogram jump that resets the video context.
        batch_size: frames per prediction where frames are independent (images, per-frame video).
        engine: what runs the color and (paper) consistency models' forward pass: "tensorflow"
            (the Keras models), "onnxruntime", "openvino", or "auto" for the fastest installed;
            see `colornn_keras.engines`, which exports the models once and falls back to
            TensorFlow where an engine cannot run. The recurrent models run in TensorFlow.
        keyframe_propagation: "flow" (keyframes' colours carried along optical flow at the
            output's own resolution, the default: `predict_chroma_along_flow`), "model" (the
            consistency model seeded with them) or "guided" (carried along the flow by
            `flow_guided_model`, which falls back on the color model where the flow fails); the
            last two run at the model's square size. See `KEYFRAME_PROPAGATIONS`.
        flow_scale: with "flow" keyframes: 1, 2 (the default) or 4: the flow is computed on the
            luma at full, half or quarter size, then brought to the chroma's. Smaller is faster
            and follows less fine motion.
        keyframe_blend: with "flow" keyframes: "confidence" (the default: a frame between two
            keyframes of a shot blends the run forwards from the earlier and the run backwards
            from the later, by their confidence and nearness) or "nearest" (the nearer
            keyframe's run alone), see `propagation.KEYFRAME_BLENDS`.
        flow_guided_model: a trained `FlowGuidedModel` or a `FlowSmoothingModel` (smoothing along
            the flow, untrained): keyframes are carried by it ("guided"), and videos without a
            consistency model are coloured automatically by it: each shot's first frame by the
            color model, each later one guided from the one before.
        both_ways: with `flow_guided_model` and no consistency model, videos without keyframes are
            smoothed along the flow both ways: each shot forwards and backwards, each frame taking
            the mean of the two (`propagation.propagate_guided`). The whole clip is then read
            first, as for keyframes, holding 20 bytes a pixel of the model's square while
            predicting (luma, the color model's colours and the smoothed ones: 320 KiB a frame at
            128x128) and the 8 of the colours after.
    """

    color_model: object
    consistency_model: object = None
    method: str = "annealed_mean"
    scene_cut_threshold: float = video.DEFAULT_SCENE_CUT_THRESHOLD
    batch_size: int = 8
    engine: str = "tensorflow"
    keyframe_propagation: str = "flow"
    flow_guided_model: object = None
    both_ways: bool = False
    flow_scale: int = propagation.DEFAULT_FLOW_SCALE
    keyframe_blend: str = "confidence"

    def __post_init__(self):
        if self.method not in colorspace.DECODING_METHODS:
            raise ValueError(f"method must be one of {colorspace.DECODING_METHODS}, got {self.method!r}.")
        if self.flow_scale not in propagation.FLOW_SCALES:
            raise errors.ColorNNError(f"flow_scale must be one of {propagation.FLOW_SCALES} (the flow at full, half "
                                      f"or quarter size), got {self.flow_scale!r}.")
        if self.keyframe_blend not in propagation.KEYFRAME_BLENDS:
            raise errors.ColorNNError(f"keyframe_blend must be one of {propagation.KEYFRAME_BLENDS}, "
                                      f"got {self.keyframe_blend!r}.")
        if self.both_ways and (self.flow_guided_model is None or self.consistency_model is not None):
            raise ValueError("both_ways smooths along the flow: it needs a flow_guided_model and no consistency_model.")
        self.model_size = int(self.color_model.input_shape[1])
        # Frames coloured one by one go through the color model with its decoding in one graph;
        # the consistency model's first frames go through the color model's distributions.
        chroma_model, *paper_models = engine_models(self.color_model, self.consistency_model, self.method)
        self._chroma_predictor = engines.predictor(chroma_model, self.engine)
        if chroma_model is self.color_model:
            self._chroma_predictor = _DecodingInNumPy(self._chroma_predictor, self.method)
        self._color_predictor, self._consistency_predictor = None, self.consistency_model  # Recurrent: TensorFlow.
        if paper_models:
            self._color_predictor, self._consistency_predictor = (engines.predictor(model, self.engine)
                                                                  for model in paper_models)

    def _model_luma(self, luma):
        return _resize_plane(luma[..., 0], (self.model_size, self.model_size))[..., None]

    def join(self, luma, uv):
        """Full-resolution RGB uint8 from the source's luma (H, W, 1) and (U, V) at model size
        (resized to the luma's) or already at the luma's size (joined as they are)."""
        _check_finite(uv)
        height, width = luma.shape[:2]
        if uv.shape[:2] == (height, width):
            u, v = uv[..., 0], uv[..., 1]
        else:
            u, v = (_resize_plane(uv[..., index], (width, height)) for index in (0, 1))
        rgb = colorspace.yuv_to_rgb_keeping_luma(np.stack([luma[..., 0], u, v], axis=-1))
        return np.round(rgb * 255.0).astype(np.uint8)

    def colorize_frames(self, frames):
        """Colours independent RGB uint8 frames (any size each), in batches; yields RGB uint8."""
        for luma, uv in self.predict_chroma(frames):
            yield self.join(luma, uv)

    def predict_chroma(self, frames):
        """(full-resolution luma, model-size (U, V)) for independent frames, predicted in batches."""
        return self._predict(frames, _luma, lambda frame, luma: luma, sequence=False)

    def _predict(self, items, luma_of, kept, sequence):
        """(kept(item, luma), model-size (U, V)) for each item in order, where `luma_of(item)` is
        its full-resolution Y (H, W, 1) in [0, 1]: free-running through the consistency model
        when `sequence` and there is one (scene cuts reset it to the color model), else frame by
        frame in batches. Only a batch's items are held."""
        free_running = sequence and (self.consistency_model is not None or self.flow_guided_model is not None)
        detector = video.SceneCutDetector(self.scene_cut_threshold)
        held, cuts = collections.deque(), []

        def model_lumas():
            for item in items:
                luma = luma_of(item)
                if free_running:
                    cuts.append(detector.is_cut(luma[..., 0] * 255.0))
                held.append(kept(item, luma))
                yield self._model_luma(luma)

        for uv in self._predict_uv(model_lumas(), cuts if free_running else None):
            yield held.popleft(), uv

    def _predict_uv(self, model_lumas, cuts=None):
        """Model-size (U, V) for model-size lumas in order: frame by frame in batches (`cuts` None)
        or free-running, `cuts` growing with each luma read (True where one starts a new shot)."""
        if cuts is None:
            batch = []
            for model_luma in model_lumas:
                batch.append(model_luma)
                if len(batch) == self.batch_size:
                    yield from self._predict_batch(batch)
                    batch = []
            if batch:
                yield from self._predict_batch(batch)
            return

        if self.flow_guided_model is not None and self.consistency_model is None:
            yield from self._predict_guided(model_lumas, cuts)
            return

        def cut_stream():
            while True:
                yield cuts[-1] if cuts else False

        if isinstance(self.consistency_model, recurrent_models.RecurrentModels):
            predictions = recurrent_models.predict_recurrent_sequence(
                self.consistency_model, model_lumas, cuts=cut_stream(), method=self.method)
        else:
            predictions = consistency_models.predict_sequence(
                self._color_predictor, self._consistency_predictor, model_lumas, "free_running", cuts=cut_stream(),
                method=self.method,
            )
        for prediction in predictions:
            _check_finite(prediction)
            yield prediction["uv"]

    def _predict_guided(self, model_lumas, cuts):
        """The automatic flow-guided mode: the color model frame by frame in batches, each frame
        then guided from the previous one's colours (`propagation.guided_step`); a cut starts afresh."""
        held = collections.deque()

        def holding():
            for model_luma in model_lumas:
                held.append(model_luma)
                yield model_luma

        previous_luma = previous_uv = None
        for index, color_uv in enumerate(self._predict_uv(holding())):
            luma = held.popleft()
            if previous_uv is None or cuts[index]:
                uv = color_uv
            else:
                uv = propagation.guided_step(self.flow_guided_model, [luma], [previous_luma], [previous_uv],
                                             [color_uv])[0]
            _check_finite(uv)
            yield uv
            previous_luma, previous_uv = luma, uv

    def _predict_batch(self, model_lumas):
        uv = np.asarray(self._chroma_predictor.predict_on_batch(np.stack(model_lumas))["uv"])
        _check_finite(uv)
        yield from uv

    def colorize_sequence(self, frames):
        """Colours video frames in order: free-running with the consistency model (scene cuts
        reset it to the color model), or per frame in batches without one; yields RGB uint8."""
        for luma, uv in self.predict_chroma_sequence(frames):
            yield self.join(luma, uv)

    def predict_chroma_sequence(self, frames):
        """`predict_chroma` for video frames in order, free-running when there is a consistency model.
        With `both_ways`, every frame is read (and held) before the first is given back."""
        if self.both_ways:
            frames = list(frames)
            return zip((_luma(frame) for frame in frames), self.predict_chroma_with_keyframes(frames, {}))
        return self._predict(frames, _luma, lambda frame, luma: luma, sequence=True)

    def predict_chroma_planes(self, planes, yuv_format):
        """(luma plane, model-size (U, V)) for a YUV video's luma planes (uint8 (H, W), from
        `video.read_luma_planes`) in order, as `predict_chroma_sequence` does for RGB frames.

        The model is fed the plane's own luma, whatever the matrix: BT.709's luma differs from
        the BT.601 luma the model was trained on by a little (see the README's Performance).
        """
        return self._predict(planes, lambda plane: yuv_format.luma_to_unit(plane)[..., None],
                             lambda plane, luma: plane, sequence=True)

    def chroma_planes(self, plane, uv, yuv_format):
        """The Cb and Cr planes (uint8, 4:2:0) in `yuv_format` that colour a frame's luma plane
        (uint8 (H, W)) with its (U, V), at model size or already at the chroma planes' size.

        U and V are resized only to the chroma planes' size, (ceil(H / 2), ceil(W / 2)), and
        fitted to the source's full-resolution luma (`video.YuvFormat.chroma_codes`).
        """
        _check_finite(uv)
        height, width = plane.shape
        chroma_size = ((width + 1) // 2, (height + 1) // 2)
        if (uv.shape[1], uv.shape[0]) != chroma_size:
            uv = np.stack([_resize_plane(uv[..., index], chroma_size) for index in (0, 1)], axis=-1)
        return yuv_format.chroma_codes(uv, plane)

    def keyframe_uv(self, keyframe, frame_size, size=None):
        """A keyframe's true (U, V) at `size` (width, height), by default the model's square.

        The colour picture is resized to the frame's (width, height), then its U and V planes are
        brought to `size` exactly as the frame's luma is to model size, so the seed lines up with
        what the model sees of the frame; at the frame's own chroma size (its size, or its 4:2:0
        planes'), the keyframe's colours keep their edges (keyframes carried along the flow).
        """
        keyframe = np.asarray(keyframe)
        if (keyframe.shape[1], keyframe.shape[0]) != tuple(frame_size):
            keyframe = np.asarray(Image.fromarray(keyframe).resize(tuple(frame_size), Image.BILINEAR))
        yuv = colorspace.rgb_to_yuv(keyframe.astype(np.float32) / 255.0)
        size = tuple(size or (self.model_size, self.model_size))
        if size == tuple(frame_size):
            return np.ascontiguousarray(yuv[..., 1:], np.float32)
        return np.stack([_resize_plane(yuv[..., index], size) for index in (1, 2)], axis=-1)

    def check_keyframe_model(self):
        """A `ColorNNError` unless this Colorizer can propagate keyframes: along optical flow any
        can; by model, only with the (paper) consistency model the keyframes seed."""
        if self.keyframe_propagation not in KEYFRAME_PROPAGATIONS:
            raise errors.ColorNNError(f"keyframe_propagation must be one of {KEYFRAME_PROPAGATIONS}, "
                                      f"got {self.keyframe_propagation!r}.")
        if self.keyframe_propagation == "flow":
            return
        if self.keyframe_propagation == "guided":
            if self.flow_guided_model is None:
                raise errors.ColorNNError("Guided keyframe propagation needs a trained flow-guided model "
                                          "(flow_guided_model; on the command line --flow-guided-run RUN).")
            return
        if self.consistency_model is None or isinstance(self.consistency_model, recurrent_models.RecurrentModels):
            kind = "no consistency model" if self.consistency_model is None else "a recurrent model"
            raise errors.ColorNNError(f"Keyframes need the consistency model, which is seeded with their colours; "
                                      f"this Colorizer has {kind}.")

    def predict_chroma_with_keyframes(self, frames, keyframes, progress=None, source="the clip"):
        """(U, V) of every frame of a clip, coloured from keyframes, in a list.

        With "model" or "guided" propagation (or `both_ways` without keyframes), at model size:
        the consistency model (or `flow_guided_model`) is seeded with each keyframe's true colours
        and runs free from there, through its shot both ways; a shot without a keyframe (scene
        cuts as in `predict_chroma_sequence`) is coloured frame by frame by the color model
        (`propagation.propagate`), or with `both_ways` smoothed along the flow both ways. The shot
        is run backwards too, so the whole clip's luma is held at model size while predicting, and
        its colours after: 12 bytes a pixel of the model's square (192 KiB a frame at 128x128); 20
        (320 KiB) where the color model's colours are held beside them (guided propagation,
        `both_ways`).

        With "flow" propagation, at the frames' own size, as `predict_chroma_along_flow` gives
        them, which streams them instead: `frames` is then read twice (a sequence, or a callable).

        Args:
            frames: the clip's RGB uint8 frames in order, read once.
            keyframes: {0-based frame index: RGB uint8 colour picture of that frame, any size}.
            progress: optional callable given 1 for each frame of each pass before writing
                (`progress_total` less the frames).
            source: the clip's name, for the message of a keyframe outside it.

        Returns:
            A list of (S, S, 2) float32 (U, V), one per frame ((H, W, 2) with "flow" keyframes).
        """
        if keyframes and self.keyframe_propagation == "flow":
            return [uv for _, uv in self.predict_chroma_along_flow(frames, keyframes, progress, source)]
        return self._predict_whole_clip(frames, _luma, keyframes, progress, source)

    def predict_chroma_planes_with_keyframes(self, planes, yuv_format, keyframes, progress=None, source="the clip"):
        """`predict_chroma_with_keyframes` for a YUV video's luma planes (uint8 (H, W), from
        `video.read_luma_planes`), fed to the model as `predict_chroma_planes` feeds them; with
        "flow" keyframes, at the chroma planes' size (`predict_chroma_planes_along_flow`)."""
        if keyframes and self.keyframe_propagation == "flow":
            return [uv for _, uv in self.predict_chroma_planes_along_flow(planes, yuv_format, keyframes, progress,
                                                                          source)]
        return self._predict_whole_clip(planes, lambda plane: yuv_format.luma_to_unit(plane)[..., None], keyframes,
                                        progress, source)

    def _predict_whole_clip(self, items, luma_of, keyframes, progress, source):
        """Model-size (U, V) of every frame of a clip read whole ("model" or "guided" keyframes, or
        `both_ways`); `luma_of(item)` is a frame's full-resolution Y (H, W, 1) in [0, 1]."""
        if keyframes:
            self.check_keyframe_model()
        step = progress or (lambda count: None)  # Counts each frame of each pass (`passes`).
        detector = video.SceneCutDetector(self.scene_cut_threshold)
        lumas, cuts, seeds = [], [], {}
        for index, item in enumerate(items):
            luma = luma_of(item)
            cuts.append(detector.is_cut(luma[..., 0] * 255.0))
            lumas.append(self._model_luma(luma))
            if index in keyframes:
                seeds[index] = self.keyframe_uv(keyframes[index], (luma.shape[1], luma.shape[0]))
            step(1)
        check_keyframe_indices(keyframes, len(lumas), source)

        def on_frame(prediction):
            _check_finite(prediction)
            step(1)

        smoothing_both_ways = self.both_ways and not seeds
        if self.keyframe_propagation == "guided" or smoothing_both_ways:
            color_uv = []
            for uv in self._predict_uv(iter(lumas)):
                color_uv.append(uv)
                step(1)
            predictions = propagation.propagate_guided(self.flow_guided_model, lumas, color_uv, seeds, cuts,
                                                       both_ways=smoothing_both_ways, on_step=step)
            for prediction in predictions:
                _check_finite(prediction)
        else:
            predictions = propagation.propagate(self.color_model, self.consistency_model, lumas, seeds, cuts,
                                                self.method, distributions=False, on_frame=on_frame)
        return [prediction["uv"] for prediction in predictions]

    def predict_chroma_along_flow(self, frames, keyframes, progress=None, source="the clip"):
        """(luma (H, W, 1), (U, V) (H, W, 2)) of every RGB uint8 frame of a clip, in order, coloured
        from keyframes carried along optical flow at the frames' own size.

        Each keyframe's own colours, at the frame's size, run forwards and backwards through its
        shot along DIS flow computed on the luma at 1/`flow_scale` of its size; where the flow
        fails, each frame takes the color model's colours, and between two keyframes the runs are
        blended as `keyframe_blend` says (`propagation.propagate_keyframes_along_flow`). A shot
        without a keyframe is coloured frame by frame by the color model. Frames stream, so
        memory does not grow with the clip; the frames before each keyframe are read ahead into a
        temporary file, for the run backwards.

        Args:
            frames: the clip, read twice: a sequence of RGB uint8 frames (a list), or a callable
                that returns a fresh iterator over them each time it is called (a file read again).
            keyframes: {0-based frame index: RGB uint8 colour picture of that frame, any size}.
            progress: optional callable given 1 for each frame read ahead and each frame's step
                backwards (`progress_total` less the frames given back, which are the caller's to
                count as it writes them).
            source: the clip's name, for the message of a keyframe outside it.
        """
        return self._predict_along_flow(_reader(frames, "frames"), _luma, 1, keyframes, progress, source)

    def predict_chroma_planes_along_flow(self, planes, yuv_format, keyframes, progress=None, source="the clip"):
        """`predict_chroma_along_flow` for a YUV video's luma planes (uint8 (H, W), from
        `video.read_luma_planes`): yields (plane, (U, V)) at the 4:2:0 chroma planes' size,
        (ceil(H / 2), ceil(W / 2), 2), for `chroma_planes` to code as they are. `planes` is a
        sequence, or a callable that returns a fresh iterator over them (the file read again)."""
        return self._predict_along_flow(_reader(planes, "planes"), lambda plane: plane, 2, keyframes, progress, source,
                                        luma_of=lambda plane: yuv_format.luma_to_unit(plane)[..., None])

    def _predict_along_flow(self, read, prepare, subsampling, keyframes, progress, source, luma_of=None):
        """(prepared item, (U, V) at 1/`subsampling` of its size) for each item `read()` gives,
        where `prepare(item)` is what is given back and `luma_of(prepared)` (default: itself) its
        full-resolution Y (H, W, 1) in [0, 1]."""
        first, read_prepared = _peeked(lambda: (prepare(item) for item in read()))
        if first is None:
            check_keyframe_indices(keyframes, 0, source)
            return
        height, width = first.shape[:2]
        chroma_size = (-(-width // subsampling), -(-height // subsampling))
        seeds = {index: self.keyframe_uv(picture, (width, height), chroma_size) for index, picture in keyframes.items()}

        def color_uv(lumas):  # The color model's colours, predicted in batches, as frame by frame.
            return self._predict_uv(self._model_luma(luma) for luma in lumas)

        for item, uv in propagation.propagate_keyframes_along_flow(
                read_prepared, seeds, color_uv, luma_of, self.flow_scale, self.keyframe_blend, self.scene_cut_threshold,
                on_step=progress, source=source):
            _check_finite(uv)
            yield item, uv

    def passes(self, keyframes=False):
        """How many times a video run goes over each frame, as its progress counts them: once
        where frames stream (read, coloured and written in one go), keyframes carried along the
        flow included (`progress_total` adds their reading ahead and runs backwards); where the
        clip is read whole (other keyframes, both ways), reading, the color model (guided and both
        ways), the propagation (twice both ways) and writing."""
        if keyframes and self.keyframe_propagation == "flow":
            return 1
        if not (keyframes or self.both_ways):
            return 1
        if self.both_ways and not keyframes:
            return 5
        return 4 if self.keyframe_propagation == "guided" else 3

    def progress_total(self, frame_count, keyframes=None):
        """How many frames in all a video run of `frame_count` frames counts on its `progress`:
        `frame_count` x `passes`; with keyframes (their indices, or {index: picture}) carried along
        the flow, the frames given back, and before the last keyframe each frame read ahead and
        each frame's step backwards (`propagation.steps_along_flow`)."""
        if keyframes and self.keyframe_propagation == "flow":
            return frame_count + propagation.steps_along_flow(keyframes)
        return frame_count * self.passes(bool(keyframes))

    def colorize_sequence_with_keyframes(self, frames, keyframes):
        """Colours a clip's RGB uint8 frames from keyframes (see `predict_chroma_with_keyframes`,
        and `predict_chroma_along_flow` for "flow" keyframes); yields RGB uint8. `frames` is read
        twice, so it is a sequence (a list), not an iterator; for a video file,
        `colorize(..., keyframes=...)` reads the file twice instead."""
        if iter(frames) is frames:
            raise TypeError("frames must be a sequence (a list of frames): it is read twice.")
        keyframes = read_keyframes(keyframes)
        if len(frames):
            _warn_about_keyframes(keyframes, frames[0].shape[1], frames[0].shape[0])
        if keyframes and self.keyframe_propagation == "flow":
            check_keyframe_indices(keyframes, len(frames))
            for luma, uv in self.predict_chroma_along_flow(frames, keyframes):
                yield self.join(luma, uv)
            return
        for frame, uv in zip(frames, self.predict_chroma_with_keyframes(frames, keyframes)):
            yield self.join(_luma(frame), uv)


def _reader(frames, name):
    """A callable that reads `frames` again from the first, each time it is called: `frames` itself
    where it is one, else a sequence's iterator. A `TypeError` for an iterator, read only once."""
    if callable(frames):
        return frames
    if iter(frames) is frames:
        raise TypeError(f"{name} must be a sequence, or a callable that reads them again: keyframes carried along "
                        "the flow read the clip twice.")
    return lambda: iter(frames)


def _peeked(read):
    """(the first item, a `read` whose first call gives back the stream that item came from): the
    frame size is known before the work, without a reading of its own (a video decoded once more)."""
    stream = read()
    first = next(stream, None)
    opened = [itertools.chain([first], stream)] if first is not None else []
    return first, lambda: opened.pop() if opened else read()


# Pillow's ways of saying it cannot read a file as an image.
_UNREADABLE_IMAGE = (OSError, SyntaxError, EOFError, Image.DecompressionBombError)


def read_image(path):
    """An image file as RGB uint8, of a size the models can colour; an `InputError` naming it if
    it is not a readable image."""
    try:
        # Our own limit, below Pillow's, applies with a clearer message than its decompression-bomb
        # warning (and without changing `Image.MAX_IMAGE_PIXELS` in the caller's process).
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(path) as image:
                check_image_size(*image.size, path)
        return images.open_rgb(path)
    except Image.DecompressionBombError as error:
        raise errors.InputError(f"{path} is larger than {MAX_PIXELS // 10**6} megapixels; downscale it first.") from error
    except _UNREADABLE_IMAGE as error:
        raise errors.InputError(f"{path} is not a readable image: {video.image_failure(path, error)}.") from error


def image_format(target):
    """The Pillow format `target`'s extension names; an `OutputError` if it names none Pillow writes."""
    Image.init()
    image_format = Image.registered_extensions().get(pathlib.Path(target).suffix.lower())
    if image_format not in Image.SAVE:
        raise errors.OutputError(f"{target} does not end in an image extension that can be written "
                                 f"({', '.join(images.IMAGE_EXTENSIONS)}).")
    return image_format


def save_image(rgb, target, replace=True):
    """Writes RGB uint8 to `target` atomically; it replaces `target` only if it reads back whole.

    Without `replace` it is placed only if no other run placed `target` meanwhile; otherwise it is
    kept beside it and an `OutputError` says where (`files.atomic_write`)."""
    target = pathlib.Path(target)
    image_format_name = image_format(target)
    with files.atomic_write(target, suffix=target.suffix, replace=replace) as temporary:
        try:
            Image.fromarray(rgb).save(temporary, format=image_format_name)
        except OSError as error:
            raise files.cannot_write(target, error) from error
        try:
            with Image.open(temporary) as written:
                written.load()
                size = written.size
        except _UNREADABLE_IMAGE as error:
            raise errors.OutputError(f"Cannot write {target}: it did not read back as an image.") from error
        if size != (rgb.shape[1], rgb.shape[0]):
            raise errors.OutputError(f"Cannot write {target}: it read back as {size[0]}x{size[1]}, "
                                     f"not {rgb.shape[1]}x{rgb.shape[0]}.")
    return target


def colorize_image_file(colorizer, source, target, overwrite=True):
    """Colours one image file into `target` (format from its extension), atomically; without
    `overwrite`, never over a file another run placed at `target` while this one worked."""
    rgb = read_image(source)
    (output,) = colorizer.colorize_frames([rgb])
    return save_image(output, target, replace=overwrite)


def read_keyframes(keyframes):
    """{frame index: RGB uint8} from {0-based frame index: RGB uint8 array or image path}.

    A keyframe is a colour picture of its frame (any size: it is resized to the frame). Keyframes
    that are not such a mapping (a list), an index that is no frame number, an image that is
    missing, a folder or unreadable, an array that is not RGB uint8, or one too small, is an
    `InputError` naming the keyframe.
    """
    if not isinstance(keyframes, collections.abc.Mapping):
        # A list would be read as frames 0, 1, 2...: a guess at what was meant, so it is refused.
        raise errors.InputError(f"Keyframes must be a dict {{0-based frame index: colour picture or image path}}, "
                                f"not a {type(keyframes).__name__}.")
    loaded = {}
    for index, keyframe in keyframes.items():
        if isinstance(index, bool) or not isinstance(index, (int, np.integer)) or index < 0:
            raise errors.InputError(f"Keyframe index {index!r} is not a frame number (0 for the first frame).")
        if isinstance(keyframe, (str, os.PathLike)):
            if pathlib.Path(keyframe).is_dir():
                raise errors.InputError(f"Keyframe {index}: {keyframe} is a folder, not an image.")
            if not pathlib.Path(keyframe).exists():
                raise errors.InputError(f"Keyframe {index}: {keyframe} does not exist.")
            try:
                keyframe = read_image(keyframe)
            except errors.InputError as error:
                raise errors.InputError(f"Keyframe {index}: {error}") from error
        else:
            expected = f"Keyframe {index} must be an RGB uint8 picture (H, W, 3) or an image path"
            try:
                keyframe = np.asarray(keyframe)
            except (ValueError, TypeError):  # Ragged nested lists.
                raise errors.InputError(f"{expected}; got a {type(keyframe).__name__} that is no array.") from None
            if keyframe.dtype != np.uint8 or keyframe.ndim != 3 or keyframe.shape[2] != 3:
                hint = (" (a float picture in [0, 1]: multiply it by 255 and round it to uint8)"
                        if np.issubdtype(keyframe.dtype, np.floating) else "")
                raise errors.InputError(f"{expected}; got {keyframe.dtype} {keyframe.shape}{hint}.")
            check_image_size(keyframe.shape[1], keyframe.shape[0], f"Keyframe {index}")
        loaded[int(index)] = keyframe
    return loaded


def check_keyframe_indices(keyframes, frame_count, source="the clip"):
    """An `InputError` for a keyframe index outside a clip of `frame_count` frames."""
    outside = sorted(index for index in keyframes if not 0 <= index < frame_count)
    if outside:
        raise errors.InputError(f"Keyframe {outside[0]} is outside {source}'s {frame_count} frames "
                                f"(0 to {frame_count - 1}: frames count from 0).")


def _warn_about_keyframes(keyframes, width, height):
    """Warnings for keyframes that work but are likely mistakes: one with almost no colour (the
    black-and-white frame itself?) seeds gray; one of another shape than the frames is stretched."""
    for index, keyframe in sorted(keyframes.items()):
        if images.mean_chroma(keyframe) < images.DEFAULT_GRAYSCALE_THRESHOLD:
            warnings.warn(f"Keyframe {index} has almost no colour: it seeds gray.", errors.ColorNNWarning,
                          stacklevel=3)
        keyframe_height, keyframe_width = keyframe.shape[:2]
        if abs(keyframe_width / keyframe_height - width / height) > 0.02 * width / height:
            warnings.warn(f"Keyframe {index} is {keyframe_width}x{keyframe_height}, another shape than the "
                          f"{width}x{height} frames: it is stretched to fit.", errors.ColorNNWarning, stacklevel=3)


def colorize_video_file(colorizer, source, target, progress=None, allow_truncated=False, keyframes=None,
                        x264_preset=video.DEFAULT_X264_PRESET, crf=video.DEFAULT_CRF, overwrite=True):
    """Colours a video (file or frame folder written as mp4) keeping fps and audio; returns frames written.

    A video cut short of the duration its header declares, or decoding to fewer frames than it
    holds, is an `InputError` unless `allow_truncated` (then a warning); nothing is written then.

    With `keyframes` ({0-based frame index: colour picture of that frame, an RGB uint8 array or
    an image path}) the video is coloured from them. Carried along the flow (the default,
    `Colorizer.predict_chroma_along_flow`), at the output's own resolution, the frames stream
    through as below, while a second reading of the file runs ahead of them to each keyframe,
    for its run backwards. By the consistency model or a flow-guided model
    (`Colorizer.predict_chroma_with_keyframes`), in two passes: the first reads every frame,
    predicts every frame's colours at model size and keeps them; the second reads the frames
    again and joins them with those colours at full resolution (in YUV where the file is, as
    below). So is a video smoothed along the flow both ways (`Colorizer.both_ways`). `progress`
    counts each frame of every pass, `colorizer.progress_total(frames, keyframes)` in all, so
    that a bar moves through the readings ahead too.

    Otherwise a video file coded in YUV (`VideoInfo.yuv_format`, nearly all) is coloured in YUV
    end to end: ffmpeg hands over its luma planes only, the model's U and V are resized to the
    chroma planes and coded in the source's matrix and range, and x264 gets the source's luma
    plane as it is (`Colorizer.chroma_planes`). Frame folders and RGB-coded videos go through RGB
    frames.

    Each frame keeps its time (a variable-frame-rate clip's, `video.FrameTimes`), so the audio
    stays in step, and non-square pixels their shape (`VideoInfo.sample_aspect_ratio`). An input
    that changes during the run (`video.check_unchanged`) is an `InputError`, and nothing is written.

    `x264_preset` and `crf` are x264's speed/size trade-off and constant-rate factor
    (`video.X264_PRESETS`; see `video.VideoWriter`). Without `overwrite`, the mp4 never replaces
    a file another run placed at `target` while this one worked: it is kept beside it instead,
    and an `OutputError` names both.
    """
    video.check_encoding(x264_preset, crf)
    # Before any reading: an input replaced or rewritten while this run reads it (twice, for
    # keyframes and both ways) would join one clip's luma to another's colours.
    identity = video.input_identity(source)
    info = video.probe(source, allow_truncated=allow_truncated)
    check_image_size(info.width, info.height, source)
    along_flow = bool(keyframes) and colorizer.keyframe_propagation == "flow"  # Streams, read twice in step.
    whole_clip = not along_flow and (bool(keyframes) or colorizer.both_ways)  # Read twice: colours, then joined.
    yuv_format = info.yuv_format
    # A frame folder has no times of its own: it is written at a constant rate.
    frame_times = None if info.is_frame_folder else video.read_frame_times(source)

    def read_frames():
        # Decoding runs in a thread, overlapping prediction (or joining); the queue is short, so
        # memory stays flat however long the clip.
        return _read_ahead(
            video.read_frames(source, expected_frames=info.frame_count, allow_truncated=allow_truncated),
            depth=PIPELINE_DEPTH)

    def read_planes():
        return _read_ahead(video.read_luma_planes(info, allow_truncated), depth=PIPELINE_DEPTH)

    if keyframes:
        colorizer.check_keyframe_model()
        keyframes = read_keyframes(keyframes)
        check_keyframe_indices(keyframes, info.frame_count, source)
        _warn_about_keyframes(keyframes, info.width, info.height)
    if along_flow and yuv_format is not None:
        pairs = colorizer.predict_chroma_planes_along_flow(read_planes, yuv_format, keyframes, progress, source)
    elif along_flow:
        pairs = colorizer.predict_chroma_along_flow(read_frames, keyframes, progress, source)
    elif whole_clip:
        if yuv_format is not None:
            chroma = colorizer.predict_chroma_planes_with_keyframes(read_planes(), yuv_format, keyframes or {},
                                                                     progress, source)
            pairs = zip(_as_many_frames(read_planes(), len(chroma), source), chroma)
        else:
            chroma = colorizer.predict_chroma_with_keyframes(read_frames(), keyframes or {}, progress, source)
            frames = _as_many_frames(read_frames(), len(chroma), source)
            pairs = ((_luma(frame), uv) for frame, uv in zip(frames, chroma))
    elif yuv_format is not None:
        pairs = colorizer.predict_chroma_planes(read_planes(), yuv_format)
    else:
        pairs = colorizer.predict_chroma_sequence(read_frames())
    # The input is checked once the last reading is done, the encoder's of the audio included,
    # and before the output is placed: a changed input leaves nothing at `target`.
    with video.VideoWriter(target, fps=info.fps, audio_from=source if info.has_audio else None,
                           crf=crf, preset=x264_preset, yuv_format=yuv_format, replace=overwrite,
                           frame_times=frame_times, sample_aspect_ratio=info.sample_aspect_ratio,
                           before_placing=lambda: video.check_unchanged(source, identity)) as writer:
        # Joining full-resolution colour and encoding run in a thread, overlapping the prediction
        # (in TensorFlow, in this thread) and the decoding.
        with concurrent.futures.ThreadPoolExecutor(max_workers=1) as encoder:
            pending = collections.deque()

            def encode(luma, uv):
                if yuv_format is None:
                    writer.write(colorizer.join(luma, uv))
                else:  # `luma` is the source's luma plane.
                    writer.write_planes(luma, *colorizer.chroma_planes(luma, uv, yuv_format))

            def finish_oldest():
                pending.popleft().result()  # Re-raises an encoding error here.
                if progress is not None:
                    progress(1)

            for luma, uv in pairs:
                pending.append(encoder.submit(encode, luma, uv))
                if len(pending) > PIPELINE_DEPTH:
                    finish_oldest()
            while pending:
                finish_oldest()
    return writer.frames_written


def _as_many_frames(frames, count, source):
    """`frames`, checked to be as many as the `count` a first reading of `source` gave."""
    read = 0
    for frame in frames:
        if read == count:
            break
        yield frame
        read += 1
    else:
        if read == count:
            return
    raise errors.InputError(f"{source} changed while it was being coloured: it read as {count} frames, then "
                            f"as {'more' if read == count else read}.")


PIPELINE_DEPTH = 4


def _read_ahead(iterator, depth):
    """Yields `iterator`'s items, produced `depth` ahead in a thread; its errors are re-raised here."""
    items = queue.Queue(maxsize=depth)
    finished = object()
    stop = threading.Event()

    def produce():
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        items.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put((finished, None))
        except BaseException as error:  # Handed to the consumer, which raises it.
            items.put((finished, error))

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if item is finished:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()  # The consumer stopped early (an error, Ctrl-C): let the producer end.
        thread.join(timeout=5)


# Whether a folder is a video's numbered frames or a folder of photos (see `video.is_frame_folder`).
is_frame_folder = video.is_frame_folder
# How a folder of images may be coloured when the caller says (`colorize(folder_as=...)`).
FOLDER_KINDS = ("photos", "video")


def colored_as_video(source, folder_as=None):
    """Whether `source` is coloured as a video: a video file is, an image is not, and a folder of
    images is as `folder_as` says ("photos" or "video"), or, left None, when its images are
    numbered frames of one size (`is_frame_folder`).

    An `InputError` for "video" on a folder whose images differ in size, and for a `folder_as`
    that contradicts what a file is (a video file as photos, a photo as a video).
    """
    if folder_as not in (None, *FOLDER_KINDS):
        raise errors.ColorNNError(f"folder_as must be one of {', '.join(map(repr, FOLDER_KINDS))} or None, "
                                  f"got {folder_as!r}.")
    source = pathlib.Path(source)
    if not source.is_dir():
        is_video = video.is_video_file(source)
        if folder_as is not None and (folder_as == "video") != is_video:
            what = "a video file" if is_video else "not a video file"
            asked = "a video" if folder_as == "video" else "photos"
            raise errors.InputError(f"{source} is {what}, not a folder: it cannot be coloured as {asked}.")
        return is_video
    if folder_as is None:
        return is_frame_folder(source)
    if folder_as == "video":
        video.check_one_size(source)
    return folder_as == "video"


def default_output(source):
    """`photo.jpg` -> `photo_colorized.jpg`, `clip.mov` -> `clip_colorized.mp4`, `folder` -> `folder_colorized`."""
    source = pathlib.Path(source)
    if source.is_dir():
        return source.with_name(f"{source.name}_colorized")
    suffix = ".mp4" if video.is_video_file(source) else source.suffix
    return source.with_name(f"{source.stem}_colorized{suffix}")


def _check_target(target, overwrite):
    target = pathlib.Path(target)
    if target.exists() and not overwrite and not (target.is_dir() and not any(target.iterdir())):
        raise errors.OutputError(f"{target} exists; pass --overwrite to replace it.")
    parent = target.parent if not target.is_dir() else target
    existing = next((folder for folder in [parent, *parent.parents] if folder.exists()), None)
    if existing is None or not existing.is_dir() or not _writable(existing):
        raise errors.OutputError(f"Cannot write to {parent}: the folder is not writable.")


def check_output_name(source, target, frame_folder=None):
    """An `OutputError`, before any work, for an output whose name says another kind of output
    than `source` gives: a video's name for photos (they would be written to a folder, or an
    image, so named) or a folder for a video (an mp4 file).

    `frame_folder`: whether `source` is a folder of numbered frames, where already known.
    """
    source, target = pathlib.Path(source), pathlib.Path(target)
    if frame_folder is None:
        frame_folder = source.is_dir() and is_frame_folder(source)
    folder_like = target.is_dir() or not target.suffix
    if video.is_video_file(source) or frame_folder:
        if folder_like:
            what = "a video" if not frame_folder else "a folder of numbered frames, coloured as a video"
            name = "a folder" if target.is_dir() else "a folder's name (it has no extension)"
            raise errors.OutputError(f"{target} is {name}, but {source} is {what}: give an .mp4 file name.")
    elif source.is_dir():
        # A folder of photos is coloured into a folder: one named like a video (or an existing
        # file) would hold JPEGs under a name that says otherwise.
        if video.is_video_file(target) or target.is_file():
            name = "a file" if target.is_file() else "a video's name"
            raise errors.OutputError(f"{target} is {name}, but {source} is a folder of photos, coloured into a "
                                     "folder (a video's frames are numbered and all of one size): give a folder name.")
    elif source.suffix.lower() in images.IMAGE_EXTENSIONS and (video.is_video_file(target) or target.is_dir()):
        name = "a folder" if target.is_dir() else "a video's name"
        raise errors.OutputError(f"{target} is {name}, but {source} is a photo: give an image file name "
                                 f"({', '.join(images.IMAGE_EXTENSIONS)}).")


def _writable(folder):
    import os

    return os.access(folder, os.W_OK | os.X_OK)


def _other_files(folder, colorized):
    """Files under `folder` that a folder run leaves alone (GIFs, notes, ...), hidden ones aside."""
    colorized = {pathlib.Path(path) for path in colorized}
    return sorted(path for path in pathlib.Path(folder).rglob("*")
                  if path.is_file() and path not in colorized
                  and not any(part.startswith(".") for part in path.relative_to(folder).parts))


@dataclasses.dataclass
class ColorizeReport:
    """What a `colorize` call wrote, what failed (folder runs continue past failures), and which
    files of a folder were not images it colours."""

    outputs: list
    failures: list  # [(path, message)]
    frames: int = 0
    skipped: list = dataclasses.field(default_factory=list)


def colorize(colorizer, source, target=None, overwrite=False, progress=None, allow_truncated=False, keyframes=None,
             x264_preset=video.DEFAULT_X264_PRESET, crf=video.DEFAULT_CRF, folder_as=None):
    """Colours an image, a folder of images, a video file or a folder of numbered frames.

    Args:
        colorizer: a `Colorizer`.
        source: path of the input.
        target: output path (default: `default_output(source)`): an image file, an mp4, or a
            folder for a folder of images. A folder of numbered frames becomes an mp4 at 30 fps.
        overwrite: replace an existing output. Without it, an output that another run placed
            while this one worked is not replaced either: this run's is kept beside it
            (`files.kept_name`) and an `OutputError` names both.
        progress: optional callable receiving the number of frames just finished.
        allow_truncated: colour what a truncated video holds, with a warning, instead of refusing it.
        keyframes: videos only: {0-based frame index: colour picture of that frame (an RGB uint8
            array or an image path), any size}. The video is coloured from them by the
            colorizer's consistency model (see `colorize_video_file`).
        x264_preset, crf: videos only: x264's speed/size trade-off ("veryfast"; "ultrafast" takes
            about 40% of its time for files 2.6 times as large) and constant-rate factor (23; lower
            is larger and closer to the frames), see `video.X264_PRESETS`.
        folder_as: folders only: "photos" colours a folder's images one by one into a folder,
            "video" colours its top-level images, in name order, into an mp4 (they must be of one
            size); None (the default) decides as `is_frame_folder` does: a video when they are
            named by frame number and all of one size (see `colored_as_video`).

    Returns:
        A `ColorizeReport`. Raises an `InputError` or `OutputError` with a one-line message for
        a bad input or an output that cannot be written; nothing is left at the target then. A
        target whose name says another kind of output (a video's name for photos, a folder for a
        video) is an `OutputError` before any work (`check_output_name`).
    """
    source = pathlib.Path(source)
    if not source.exists():
        raise errors.InputError(f"{source} does not exist.")
    frame_folder = colored_as_video(source, folder_as) and source.is_dir()
    if keyframes and not (video.is_video_file(source) or frame_folder):
        raise errors.InputError(f"{source} is not a video (or a folder of numbered frames): keyframes colour videos.")
    if keyframes:
        colorizer.check_keyframe_model()
    if target is None:
        target = default_output(source)
        if frame_folder:
            target = target.with_name(target.name + ".mp4")
    target = pathlib.Path(target)
    check_output_name(source, target, frame_folder)
    _check_target(target, overwrite)

    if video.is_video_file(source) or frame_folder:
        if target.suffix.lower() != ".mp4":
            raise errors.OutputError(f"Video output must be an .mp4 file, got {target}.")
        frames = colorize_video_file(colorizer, source, target, progress, allow_truncated, keyframes, x264_preset, crf,
                                     overwrite=overwrite)
        return ColorizeReport([target], [], frames)
    if source.is_dir():
        sources = images.find_images(source)
        outputs, failures = [], []
        for path in sources:
            destination = target / path.relative_to(source)
            try:
                _check_target(destination, overwrite)
                outputs.append(colorize_image_file(colorizer, path, destination, overwrite))
            except errors.ColorNNError as error:  # One bad file must not stop the folder: report and go on.
                failures.append((str(path), str(error)))
            if progress is not None:
                progress(1)
        return ColorizeReport(outputs, failures, len(outputs), [str(path) for path in _other_files(source, sources)])
    if source.suffix.lower() not in images.IMAGE_EXTENSIONS:
        raise errors.InputError(f"{source} is neither an image ({', '.join(images.IMAGE_EXTENSIONS)}) nor a video "
                                f"({', '.join(video.VIDEO_EXTENSIONS)}).")
    image_format(target)  # An output it cannot write is refused before the work.
    colorize_image_file(colorizer, source, target, overwrite)
    if progress is not None:
        progress(1)
    return ColorizeReport([target], [], 1)
