"""Video clips for the consistency model: find them, split them by clip, and make frame pairs.

A training example is (frame t's luma, frame t-1's (U, V)) -> frame t's U and V bins. Clips are
split by clip, never by frame, so no test frame's neighbour is seen in training.
"""

import pathlib

import numpy as np
import tensorflow as tf

from colornn_keras import colorspace
from colornn_keras import defaults
from colornn_keras import errors
from colornn_keras.data import images
from colornn_keras.data import video
from colornn_keras.models import decoding
from colornn_keras.models import rollout

PAPER_CLIP_SPLIT = defaults.PAPER_CLIP_SPLIT


def find_clips(folder):
    """Video files and folders of numbered frames under `folder`, sorted."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise errors.InputError(f"{folder} is not a folder of videos.")
    clips = [path for path in folder.rglob("*") if path.is_file() and video.is_video_file(path)]
    for directory in [folder, *[path for path in folder.rglob("*") if path.is_dir()]]:
        has_frames = any(path.suffix.lower() in images.IMAGE_EXTENSIONS for path in directory.iterdir())
        if has_frames and directory != folder:
            clips.append(directory)
    if not clips:
        raise errors.InputError(f"{folder} holds no videos ({', '.join(video.VIDEO_EXTENSIONS)}) or frame folders.")
    return sorted(clips)


def fit_frame(frame, image_size):
    """A frame resized (shorter side) and centre-cropped to image_size x image_size, uint8 RGB."""
    resized = images.resize_short_side(frame, image_size)
    top, left = (resized.shape[0] - image_size) // 2, (resized.shape[1] - image_size) // 2
    return resized[top : top + image_size, left : left + image_size]


def load_clip(path, image_size, stride=1, max_frames=None):
    """All kept frames of a clip at model size, as uint8 RGB (N, S, S, 3)."""
    frames = [fit_frame(frame, image_size) for frame in video.read_frames(path, stride, max_frames)]
    if len(frames) < 2:
        raise errors.InputError(f"{path} has fewer than 2 frames at stride {stride}; it cannot make frame pairs.")
    return np.stack(frames)


def split_yuv(rgb_uint8):
    """(luma (..., 1), uv (..., 2)) of uint8 RGB frames, float32."""
    yuv = colorspace.rgb_to_yuv(np.asarray(rgb_uint8, np.float32) / 255.0)
    return yuv[..., :1], yuv[..., 1:]


class FramePairs:
    """Loaded clips as training pairs (frame t-1 -> frame t, within each clip).

    The context fed for frame t is frame t-1's ground-truth (U, V) by default, as in the paper.
    With scheduled sampling (`sampling_probability` > 0) it is, with that probability, the
    model's own prediction of frame t-1 instead, refreshed by `refresh_predictions` (once an
    epoch), so that training sees the imperfect context that free-running use feeds it.

    With `features` (the frozen color model's features of every frame, in the clips' order: an
    array or a memory-mapped .npy), examples hold frame t's features in place of its luma, for the
    model's `context_head`: the color model then runs once per frame, not once per frame and epoch.
    """

    def __init__(self, clip_frames, features=None):
        if not clip_frames:
            raise ValueError("No clips were given.")
        self.frames = np.concatenate(clip_frames)
        self.features = _checked_features(features, self.frames)
        starts = np.cumsum([0] + [len(clip) for clip in clip_frames[:-1]])
        self.first_frames = np.zeros(len(self.frames), bool)
        self.first_frames[starts] = True
        self.pairs = np.concatenate([
            np.stack([np.arange(start, start + len(clip) - 1), np.arange(start + 1, start + len(clip))], axis=1)
            for start, clip in zip(starts, clip_frames)
        ]).astype(np.int32)
        self._frames_tensor = tf.constant(self.frames)
        _, true_uv = split_yuv(self.frames)
        self.predicted_uv = tf.Variable(true_uv, trainable=False, name="predicted_uv")

    def refresh_predictions(self, color_model, consistency_model, method, batch_size=32, free_running=False):
        """Stores each frame's colours as predicted from the previous frame's true colours
        (the color model's for a clip's first frame), or with `free_running` from the previous
        frame's stored prediction: the model's own roll-out over each clip. With features,
        `consistency_model` is the model's `context_head`."""
        if free_running:
            return self._refresh_free_running(color_model, consistency_model, method)
        luma, true_uv = split_yuv(self.frames)
        predicted = np.empty_like(true_uv)
        for begin in range(0, len(self.frames), batch_size):
            indices = np.arange(begin, min(begin + batch_size, len(self.frames)))
            outputs = self._context_outputs(consistency_model, luma, indices, true_uv[np.maximum(indices - 1, 0)])
            first = self.first_frames[indices]
            if first.any():
                color_outputs = color_model.predict_on_batch(luma[indices][first])
                for axis in ("u", "v"):
                    outputs[axis] = np.array(outputs[axis])  # Writable only where a frame is replaced.
                    outputs[axis][first] = color_outputs[axis]
            predicted[indices] = decoding.decode(outputs, method)
        self.predicted_uv.assign(predicted)

    def _refresh_free_running(self, color_model, consistency_model, method):
        # A roll-out over t (`rollout.roll_out`), frame t of every clip that has one in one batch:
        # a roll-out is sequential in t, not across clips.
        luma, true_uv = split_yuv(self.frames)
        predicted = np.empty_like(true_uv)
        starts = np.flatnonzero(self.first_frames)
        lengths = np.diff(np.append(starts, len(self.frames)))
        steps = [starts[lengths > number] + number for number in range(lengths.max())]  # Frame t's indices.

        def first(indices):
            return decoding.predict_uv(color_model, luma[indices], method)

        def step(indices, previous_indices, previous_uv):
            # The clips still running at t are those of t-1 with a frame t, in the same order.
            context = previous_uv[np.isin(previous_indices + 1, indices)]
            return decoding.decode(self._context_outputs(consistency_model, luma, indices, context), method)

        for indices, uv in zip(steps, rollout.roll_out(first, step, steps)):
            predicted[indices] = uv
        self.predicted_uv.assign(predicted)

    def _context_outputs(self, consistency_model, luma, indices, previous_uv):
        """The model's {"u", "v"} probabilities of frames `indices` given `previous_uv`."""
        frame_input = ({"luma": luma[indices]} if self.features is None
                       else {"features": np.asarray(self.features[indices], np.float32)})
        outputs = consistency_model.predict_on_batch({**frame_input, "previous_uv": previous_uv})
        return {axis: np.asarray(outputs[axis]) for axis in ("u", "v")}

    def dataset(self, batch_size, num_bins, training=False, seed=0, sampling_probability=0.0):
        """A `tf.data.Dataset` of ({"luma", "previous_uv"}, {"u", "v"}) batches ("features" in
        place of "luma" where the pairs hold features)."""
        frames_tensor, predicted_uv, features = self._frames_tensor, self.predicted_uv, self.features

        def to_example(pair):
            previous = tf.cast(tf.gather(frames_tensor, pair[0]), tf.float32) / 255.0
            current_yuv = colorspace.rgb_to_yuv(tf.cast(tf.gather(frames_tensor, pair[1]), tf.float32) / 255.0)
            previous_uv = colorspace.rgb_to_yuv(previous)[..., 1:]
            if sampling_probability > 0:
                use_prediction = tf.random.uniform([]) < sampling_probability
                previous_uv = tf.where(use_prediction, predicted_uv[pair[0]], previous_uv)
            targets = colorspace.quantize_uv(current_yuv[..., 1:], num_bins)
            frame = {"luma": current_yuv[..., :1]} if features is None else {"index": pair[1]}
            return {**frame, "previous_uv": previous_uv}, targets

        def with_features(inputs, targets):
            return {"features": _features_of(features, inputs["index"]), "previous_uv": inputs["previous_uv"]}, targets

        dataset = tf.data.Dataset.from_tensor_slices(self.pairs)
        if training:
            dataset = dataset.shuffle(len(self.pairs), seed=seed, reshuffle_each_iteration=True)
        dataset = dataset.map(to_example, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size)
        if features is not None:
            dataset = dataset.map(with_features)
        return dataset.prefetch(tf.data.AUTOTUNE)


def make_window_dataset(clip_frames, window, batch_size, num_bins, training=False, seed=0, features=None):
    """Windows of `window` consecutive frames of each clip, for training a recurrent model with
    truncated back-propagation through time: (luma (T, H, W, 1), {"u", "v": (T, H, W)}) batches.

    With `features` (the frozen color model's features of every frame, in the clips' order, as
    `FramePairs` takes them), a window holds its frames' features (T, H, W, C) in place of their
    luma, for the model's `features_head`. Windows do not overlap and never cross clips; a clip's
    last frames short of a window are left out (a clip shorter than `window` gives none).
    """
    if window < 2:
        raise errors.ColorNNError(f"A window needs at least 2 frames, got {window!r}.")
    starts = np.cumsum([0] + [len(clip) for clip in clip_frames[:-1]])
    first_frames = np.array([begin + offset for begin, clip in zip(starts, clip_frames)
                             for offset in range(0, len(clip) - window + 1, window)], np.int64)
    if not len(first_frames):
        raise errors.InputError(f"No clip has {window} frames: shorten the window (--window) or use longer clips.")
    frames = np.concatenate(clip_frames)
    features = _checked_features(features, frames)
    frames_tensor = tf.constant(frames)

    def to_example(first):
        indices = first + tf.range(window, dtype=tf.int64)
        yuv = colorspace.rgb_to_yuv(tf.cast(tf.gather(frames_tensor, indices), tf.float32) / 255.0)
        inputs = yuv[..., :1] if features is None else _features_of(features, indices)
        return inputs, colorspace.quantize_uv(yuv[..., 1:], num_bins)

    dataset = tf.data.Dataset.from_tensor_slices(first_frames)
    if training:
        dataset = dataset.shuffle(len(first_frames), seed=seed, reshuffle_each_iteration=True)
    return dataset.map(to_example, num_parallel_calls=tf.data.AUTOTUNE).batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _checked_features(features, frames):
    """`features` (None, or one row per frame of `frames`); a length that does not match is a bug."""
    if features is not None and len(features) != len(frames):
        raise ValueError(f"{len(features)} frames of features for {len(frames)} frames.")
    return features


def _features_of(features, indices):
    """The features of the frames at `indices` (an int tensor), read from the (possibly
    memory-mapped) array in one call."""
    batch = tf.numpy_function(lambda at: np.asarray(features[at], np.float32), [indices], tf.float32, stateful=False)
    batch.set_shape([*indices.shape, *features.shape[1:]])
    return batch
