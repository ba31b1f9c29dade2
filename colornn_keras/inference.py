"""Colorizing frames at their full resolution: the `Colorizer`.

The models see luma at their own square size; their U and V are decoded there, resized back to
the source's size (for a video, to its chroma planes' size: videos are coloured in YUV end to
end), and joined with the source's own full-resolution Y, so detail comes from the original and
never from an upscaled model input. Colour input is reduced to its luma first, so
any photo can be tried. A video can also be coloured from keyframes: colour pictures of some of
its frames, whose colours are carried through their shots along optical flow at the video's own
resolution (or, at the model's size, by the consistency model). A model that predicts non-finite
colours is a `RuntimeError`: black frames are never written.

Files and folders are coloured by path with `colorize` (`colorize_files.py`, named here too);
pictures and keyframes are read in `data/pictures.py` and `data/keyframes.py`, and a video's
threads run in `data/video_pipeline.py`.
"""

import collections
import dataclasses
import itertools

import keras
import numpy as np
from PIL import Image

from colornn_keras import colorize_files
from colornn_keras import colorspace
from colornn_keras import engines
from colornn_keras import errors
from colornn_keras import propagation
from colornn_keras.data import keyframes as keyframe_pictures
from colornn_keras.data import pictures
from colornn_keras.data import video
from colornn_keras.models import consistency as consistency_models
from colornn_keras.models import decoding
from colornn_keras.models import recurrent as recurrent_models

# Colouring files and folders by path, named here as the README and docs name it (`inference.colorize`).
colorize = colorize_files.colorize


def _resize_plane(plane, size):
    """Resizes a float (H, W) plane to size (width, height), bilinear."""
    return np.asarray(Image.fromarray(np.asarray(plane, np.float32), mode="F").resize(size, Image.BILINEAR))



def _check_finite(prediction):
    """A `RuntimeError` when a model's output holds NaN or infinity: decoded and joined, it would
    write black (or one flat colour's) frames without a word. Checks the distributions too, since
    argmax decodes NaN to a finite bin."""
    arrays = prediction.values() if isinstance(prediction, dict) else [prediction]
    if not all(np.isfinite(array).all() for array in arrays):
        raise RuntimeError("The model predicted non-finite colours (NaN or infinity), so nothing is written: "
                           "its weights or its numeric precision are broken.")


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
        return self._predict(frames, pictures.luma, lambda frame, luma: luma, sequence=False)

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
            return zip((pictures.luma(frame) for frame in frames), self.predict_chroma_with_keyframes(frames, {}))
        return self._predict(frames, pictures.luma, lambda frame, luma: luma, sequence=True)

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
        return self._predict_whole_clip(frames, pictures.luma, keyframes, progress, source)

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
        keyframe_pictures.check_keyframe_indices(keyframes, len(lumas), source)

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
        return self._predict_along_flow(_reader(frames, "frames"), pictures.luma, 1, keyframes, progress, source)

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
            keyframe_pictures.check_keyframe_indices(keyframes, 0, source)
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
        keyframes = keyframe_pictures.read_keyframes(keyframes)
        if len(frames):
            keyframe_pictures.warn_about_keyframes(keyframes, frames[0].shape[1], frames[0].shape[0])
        if keyframes and self.keyframe_propagation == "flow":
            keyframe_pictures.check_keyframe_indices(keyframes, len(frames))
            for luma, uv in self.predict_chroma_along_flow(frames, keyframes):
                yield self.join(luma, uv)
            return
        for frame, uv in zip(frames, self.predict_chroma_with_keyframes(frames, keyframes)):
            yield self.join(pictures.luma(frame), uv)


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
