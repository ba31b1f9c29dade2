"""Colorizing frames at their full resolution: the `Colorizer`.

It has one path: luma planes in, chroma out. The models see the luma at their own square size
(`chroma_prediction`); their U and V are decoded there, resized to the chroma planes' size (a
YUV video's 4:2:0 planes: videos are coloured in YUV end to end) and joined with the source's own
full-resolution Y, so detail comes from the original and never from an upscaled model input. RGB
is a thin adapter onto that path: frames reduced to their luma (so any photo can be tried), their
chroma at their own size, joined back into RGB. A video can also be coloured from keyframes:
colour pictures of some of its frames, whose colours are carried through their shots along
optical flow at the video's own resolution (or, at the model's size, by the consistency model). A
model that predicts non-finite colours is a `RuntimeError`: black frames are never written.

Files and folders are coloured by path with `colorize` (`colorize_files.py`, named here too);
pictures and keyframes are read in `data/pictures.py` and `data/keyframes.py`, and a video's
threads run in `data/video_pipeline.py`.
"""

import collections
import dataclasses

import numpy as np

from colornn_keras import chroma_prediction
from colornn_keras import colorize_files
from colornn_keras import colorspace
from colornn_keras import errors
from colornn_keras import flow_carry
from colornn_keras import keyframe_head
from colornn_keras import keyframes_along_flow
from colornn_keras import luma_planes
from colornn_keras import propagation
from colornn_keras import resizing
from colornn_keras.data import keyframes as keyframe_pictures
from colornn_keras.data import pictures
from colornn_keras.data import scene_cuts
from colornn_keras.models import recurrent as recurrent_models

# Colouring files and folders by path, named here as the README and docs name it (`inference.colorize`).
colorize = colorize_files.colorize
# The Keras models a `Colorizer` runs on its engine (`api.make_colorizer` exports them first).
engine_models = chroma_prediction.engine_models
_check_finite = chroma_prediction.check_finite


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
            output's own resolution, the default: `predict_chroma_planes_along_flow`), "model" (the
            consistency model seeded with them) or "guided" (carried along the flow by
            `flow_guided_model`, which falls back on the color model where the flow fails); the
            last two run at the model's square size. See `KEYFRAME_PROPAGATIONS`.
        flow_scale: with "flow" keyframes: 1, 2 (the default) or 4: the flow is computed on the
            luma at full, half or quarter size, then brought to the chroma's. Smaller is faster
            and follows less fine motion.
        keyframe_blend: with "flow" keyframes: "confidence" (the default: a frame between two
            keyframes of a shot blends the run forwards from the earlier and the run backwards
            from the later, by their confidence and nearness) or "nearest" (the nearer
            keyframe's run alone), see `keyframes_along_flow.KEYFRAME_BLENDS`.
        keyframe_fill: with "flow" keyframes, where the flow fails: "flow" (the default: none,
            the colours carried stay), "model" (the color model's colours), "keyframe" (the
            keyframe's own colours matched by luma) or "features" (the colours carried, mixed by
            confidence with those of the color model's head refitted to the keyframes,
            `keyframe_head`), see `flow_carry.KEYFRAME_FILLS`.
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
    scene_cut_threshold: float = scene_cuts.DEFAULT_SCENE_CUT_THRESHOLD
    batch_size: int = 8
    engine: str = "tensorflow"
    keyframe_propagation: str = "flow"
    flow_guided_model: object = None
    both_ways: bool = False
    flow_scale: int = keyframes_along_flow.DEFAULT_FLOW_SCALE
    keyframe_blend: str = "confidence"
    keyframe_fill: str = flow_carry.DEFAULT_KEYFRAME_FILL

    def __post_init__(self):
        if self.method not in colorspace.DECODING_METHODS:
            raise ValueError(f"method must be one of {colorspace.DECODING_METHODS}, got {self.method!r}.")
        if self.flow_scale not in keyframes_along_flow.FLOW_SCALES:
            raise errors.ColorNNError(f"flow_scale must be one of {keyframes_along_flow.FLOW_SCALES} (the flow at "
                                      f"full, half or quarter size), got {self.flow_scale!r}.")
        if self.keyframe_blend not in keyframes_along_flow.KEYFRAME_BLENDS:
            raise errors.ColorNNError(f"keyframe_blend must be one of {keyframes_along_flow.KEYFRAME_BLENDS}, "
                                      f"got {self.keyframe_blend!r}.")
        if self.keyframe_fill not in flow_carry.KEYFRAME_FILLS:
            raise errors.ColorNNError(f"keyframe_fill must be one of {flow_carry.KEYFRAME_FILLS}, "
                                      f"got {self.keyframe_fill!r}.")
        if self.both_ways and (self.flow_guided_model is None or self.consistency_model is not None):
            raise ValueError("both_ways smooths along the flow: it needs a flow_guided_model and no consistency_model.")
        self.model_size = int(self.color_model.input_shape[1])
        self._predictor = chroma_prediction.ChromaPredictor(self.color_model, self.consistency_model,
                                                            self.flow_guided_model, self.method, self.batch_size,
                                                            self.engine)

    def _model_luma(self, luma):
        return resizing.resize(luma, (self.model_size, self.model_size))

    def predict_chroma_planes(self, planes, yuv_format=None):
        """(luma plane, model-size (U, V)) of each of a video's luma planes in order: free-running
        through the video model (consistency, recurrent or flow-guided) where there is one, scene
        cuts resetting it to the color model, else frame by frame in batches. With `both_ways`,
        every plane is read (and held) before the first is given back.

        Args:
            planes: uint8 luma planes (H, W) in `yuv_format` (from `video.read_luma_planes`), or,
                `yuv_format` None, float luma (H, W, 1) in [0, 1] (RGB frames', `pictures.luma`):
                a sequence, an iterator, or a callable that reads them.
            yuv_format: the planes' `yuv.YuvFormat`, or None.

        The model is fed the plane's own luma, whatever the matrix: BT.709's luma differs from
        the BT.601 luma the model was trained on by a little (see the README's Performance).
        """
        if self.both_ways:
            planes = list(luma_planes.once(planes))
            return zip(planes, self.predict_chroma_planes_with_keyframes(planes, yuv_format, {}))
        return self._predict(planes, yuv_format, sequence=True)

    def _predict(self, planes, yuv_format, sequence):
        """(plane, model-size (U, V)) for each luma plane in order: free-running when `sequence` and
        there is a video model, else frame by frame in batches. Only a batch's planes are held."""
        to_unit, _ = luma_planes.format_of(yuv_format)
        free_running = sequence and self._predictor.video_model
        detector = scene_cuts.SceneCutDetector(self.scene_cut_threshold)
        held, cuts = collections.deque(), []

        def model_lumas():
            for plane in luma_planes.once(planes):
                luma = to_unit(plane)
                if free_running:
                    cuts.append(detector.is_cut(luma[..., 0] * 255.0))
                held.append(plane)
                yield self._model_luma(luma)

        predictor = self._predictor
        for uv in predictor.free_running(model_lumas(), cuts) if free_running else predictor.in_batches(model_lumas()):
            yield held.popleft(), uv

    def chroma_planes(self, plane, uv, yuv_format):
        """The Cb and Cr planes (uint8, 4:2:0) in `yuv_format` that colour a frame's luma plane
        (uint8 (H, W)) with its (U, V), at model size or already at the chroma planes' size.

        U and V are resized only to the chroma planes' size, (ceil(H / 2), ceil(W / 2)), and
        fitted to the source's full-resolution luma (`yuv.YuvFormat.chroma_codes`).
        """
        _check_finite(uv)
        height, width = plane.shape
        return yuv_format.chroma_codes(resizing.resize(uv, ((width + 1) // 2, (height + 1) // 2)), plane)

    def join(self, luma, uv):
        """Full-resolution RGB uint8 from the source's luma (H, W, 1) and (U, V) at model size
        (resized to the luma's) or already at the luma's size (joined as they are)."""
        _check_finite(uv)
        uv = resizing.resize(uv, (luma.shape[1], luma.shape[0]))
        rgb = colorspace.yuv_to_rgb_keeping_luma(np.concatenate([luma, uv], axis=-1))
        return np.round(rgb * 255.0).astype(np.uint8)

    def predict_chroma(self, frames):
        """(full-resolution luma (H, W, 1), model-size (U, V)) of independent RGB uint8 frames (any
        size each), predicted in batches."""
        return self._predict(luma_planes.of_frames(frames), None, sequence=False)

    def colorize_frames(self, frames):
        """Colours independent RGB uint8 frames (any size each), in batches; yields RGB uint8."""
        for luma, uv in self.predict_chroma(frames):
            yield self.join(luma, uv)

    def predict_chroma_sequence(self, frames):
        """`predict_chroma_planes` of RGB uint8 video frames in order: (luma (H, W, 1), model-size (U, V))."""
        return self.predict_chroma_planes(luma_planes.of_frames(frames))

    def colorize_sequence(self, frames):
        """Colours RGB uint8 video frames in order (`predict_chroma_sequence`); yields RGB uint8."""
        for luma, uv in self.predict_chroma_sequence(frames):
            yield self.join(luma, uv)

    def keyframe_uv(self, keyframe, frame_size, size=None):
        """A keyframe's true (U, V) at `size` (width, height), by default the model's square.

        The colour picture is resized to the frame's (width, height), then its U and V planes are
        brought to `size` exactly as the frame's luma is to model size, so the seed lines up with
        what the model sees of the frame; at the frame's own chroma size (its size, or its 4:2:0
        planes'), the keyframe's colours keep their edges (keyframes carried along the flow).
        """
        uv = np.ascontiguousarray(self._keyframe_yuv(keyframe, frame_size)[..., 1:], np.float32)
        return resizing.resize(uv, tuple(size or (self.model_size, self.model_size)))

    @staticmethod
    def _keyframe_yuv(keyframe, frame_size):
        """A keyframe picture (RGB uint8) resized to its frame's `frame_size` (width, height), in YUV."""
        rgb = resizing.resize(np.asarray(keyframe, np.float32) / np.float32(255.0), tuple(frame_size))
        return colorspace.rgb_to_yuv(rgb)

    def keyframe_head(self, keyframes, frame_size):
        """The color model's head refitted to `keyframes` ({index: RGB uint8 picture}), each seen
        at the model's square as its frame of `frame_size` (width, height) would be: the
        `features` fill's (`keyframe_head.KeyframeHead`)."""
        # Luma and colours at the model's square in one resize, as `_model_luma` and `keyframe_uv` bring them.
        yuv = np.stack([self._model_luma(self._keyframe_yuv(picture, frame_size)) for picture in keyframes.values()])
        return keyframe_head.KeyframeHead(self.color_model).fit(yuv[..., :1], yuv[..., 1:])

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

    def predict_chroma_planes_with_keyframes(self, planes, yuv_format, keyframes, progress=None, source="the clip"):
        """(U, V) of every frame of a clip, coloured from keyframes, in a list.

        With "model" or "guided" propagation (or `both_ways` without keyframes), at model size:
        the consistency model (or `flow_guided_model`) is seeded with each keyframe's true colours
        and runs free from there, through its shot both ways; a shot without a keyframe (scene
        cuts as in `predict_chroma_planes`) is coloured frame by frame by the color model
        (`propagation.propagate`), or with `both_ways` smoothed along the flow both ways. The shot
        is run backwards too, so the whole clip's luma is held at model size while predicting, and
        its colours after: 12 bytes a pixel of the model's square (192 KiB a frame at 128x128); 20
        (320 KiB) where the color model's colours are held beside them (guided propagation,
        `both_ways`).

        With "flow" propagation, at the chroma planes' size, as `predict_chroma_planes_along_flow`
        gives them, which streams them instead: `planes` is then read twice (a sequence, or a callable).

        Args:
            planes: the clip's luma planes in order, read once, as `predict_chroma_planes` takes them.
            yuv_format: the planes' `yuv.YuvFormat`, or None for RGB frames' float luma.
            keyframes: {0-based frame index: RGB uint8 colour picture of that frame, any size}.
            progress: optional callable given 1 for each frame of each pass before writing
                (`progress_total` less the frames).
            source: the clip's name, for the message of a keyframe outside it.

        Returns:
            A list of (S, S, 2) float32 (U, V), one per frame (at the chroma's size with "flow" keyframes).
        """
        if keyframes and self.keyframe_propagation == "flow":
            return [uv for _, uv in self.predict_chroma_planes_along_flow(planes, yuv_format, keyframes, progress,
                                                                          source)]
        if keyframes:
            self.check_keyframe_model()
        to_unit, _ = luma_planes.format_of(yuv_format)
        step = progress or (lambda count: None)  # Counts each frame of each pass (`passes`).
        detector = scene_cuts.SceneCutDetector(self.scene_cut_threshold)
        lumas, cuts, seeds = [], [], {}
        for index, plane in enumerate(luma_planes.once(planes)):
            luma = to_unit(plane)
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
            for uv in self._predictor.in_batches(iter(lumas)):
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

    def predict_chroma_with_keyframes(self, frames, keyframes, progress=None, source="the clip"):
        """`predict_chroma_planes_with_keyframes` of a clip's RGB uint8 frames (read twice with "flow"
        keyframes: a sequence, or a callable that reads them again)."""
        return self.predict_chroma_planes_with_keyframes(luma_planes.of_frames(frames), None, keyframes, progress,
                                                         source)

    def predict_chroma_planes_along_flow(self, planes, yuv_format, keyframes, progress=None, source="the clip"):
        """(plane, (U, V)) of every luma plane of a clip, in order, coloured from keyframes carried
        along optical flow at the chroma planes' size: a YUV video's 4:2:0 planes', (ceil(H / 2),
        ceil(W / 2), 2), for `chroma_planes` to code as they are; with `yuv_format` None, the RGB
        frames' own size (H, W, 2).

        Each keyframe's own colours, at the chroma's size, run forwards and backwards through its
        shot along DIS flow computed on the luma at 1/`flow_scale` of its size; where the flow
        fails, each frame takes the color model's colours, and between two keyframes the runs are
        blended as `keyframe_blend` says (`keyframes_along_flow.propagate_keyframes_along_flow`). A shot
        without a keyframe is coloured frame by frame by the color model. Frames stream, so
        memory does not grow with the clip; the frames before each keyframe are read ahead into a
        temporary file, for the run backwards.

        Args:
            planes: the clip's luma planes as `predict_chroma_planes` takes them, read twice: a
                sequence (a list), or a callable that returns a fresh iterator over them each time
                it is called (a file read again).
            yuv_format: the planes' `yuv.YuvFormat`, or None for RGB frames' float luma.
            keyframes: {0-based frame index: RGB uint8 colour picture of that frame, any size}.
            progress: optional callable given 1 for each frame read ahead and each frame's step
                backwards (`progress_total` less the frames given back, which are the caller's to
                count as it writes them).
            source: the clip's name, for the message of a keyframe outside it.
        """
        return self._predict_along_flow(luma_planes.reader(planes), yuv_format, keyframes, progress, source)

    def predict_chroma_along_flow(self, frames, keyframes, progress=None, source="the clip"):
        """`predict_chroma_planes_along_flow` of a clip's RGB uint8 frames (a sequence, or a callable
        that reads them again): (luma (H, W, 1), (U, V) (H, W, 2)) at their own size."""
        return self.predict_chroma_planes_along_flow(luma_planes.of_frames(frames), None, keyframes, progress, source)

    def _predict_along_flow(self, read, yuv_format, keyframes, progress, source):
        """(plane, (U, V) at its chroma's size) for each luma plane `read()` gives."""
        luma_of, subsampling = luma_planes.format_of(yuv_format)
        first, read_prepared = luma_planes.peeked(read)
        if first is None:
            keyframe_pictures.check_keyframe_indices(keyframes, 0, source)
            return
        height, width = first.shape[:2]
        chroma_size = (-(-width // subsampling), -(-height // subsampling))
        seeds = {index: self.keyframe_uv(picture, (width, height), chroma_size) for index, picture in keyframes.items()}

        def color_uv(lumas):  # The color model's colours, predicted in batches, as frame by frame.
            return self._predictor.in_batches(self._model_luma(luma) for luma in lumas)

        if self.keyframe_fill == "features":
            head = self.keyframe_head(keyframes, (width, height))

            def color_uv(lumas):  # noqa: F811 - and beside them the keyframes' head's.
                model_lumas = (self._model_luma(luma) for luma in lumas)
                return head.beside(self._predictor.in_batches, model_lumas, self.batch_size)

        for item, uv in keyframes_along_flow.propagate_keyframes_along_flow(
                read_prepared, seeds, color_uv, luma_of, self.flow_scale, self.keyframe_blend, self.scene_cut_threshold,
                fill=self.keyframe_fill, on_step=progress, source=source):
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
        each frame's step backwards (`keyframes_along_flow.steps_along_flow`)."""
        if keyframes and self.keyframe_propagation == "flow":
            return frame_count + keyframes_along_flow.steps_along_flow(keyframes)
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

