"""Video clips for the consistency model: find them, split them by clip, and make frame pairs.

A training example is (frame t's luma, frame t-1's (U, V)) -> frame t's U and V bins. Clips are
split by clip, never by frame, so no test frame's neighbour is seen in training.
"""

import pathlib

import numpy as np
import tensorflow as tf
from PIL import Image

from colornn_keras import colorspace
from colornn_keras.data import images
from colornn_keras.data import video

PAPER_CLIP_SPLIT = (7, 3, 3)


def find_clips(folder):
    """Video files and folders of numbered frames under `folder`, sorted."""
    folder = pathlib.Path(folder)
    if not folder.is_dir():
        raise ValueError(f"{folder} is not a folder of videos.")
    clips = [path for path in folder.rglob("*") if path.is_file() and video.is_video_file(path)]
    for directory in [folder, *[path for path in folder.rglob("*") if path.is_dir()]]:
        has_frames = any(path.suffix.lower() in images.IMAGE_EXTENSIONS for path in directory.iterdir())
        if has_frames and directory != folder:
            clips.append(directory)
    if not clips:
        raise ValueError(f"{folder} holds no videos ({', '.join(video.VIDEO_EXTENSIONS)}) or frame folders.")
    return sorted(clips)


def fit_frame(frame, image_size):
    """A frame resized (shorter side) and centre-cropped to image_size x image_size, uint8 RGB."""
    height, width = frame.shape[:2]
    scale = image_size / min(height, width)
    new_width, new_height = max(image_size, round(width * scale)), max(image_size, round(height * scale))
    resized = np.asarray(Image.fromarray(frame).resize((new_width, new_height), Image.BICUBIC))
    top, left = (new_height - image_size) // 2, (new_width - image_size) // 2
    return resized[top : top + image_size, left : left + image_size]


def load_clip(path, image_size, stride=1, max_frames=None):
    """All kept frames of a clip at model size, as uint8 RGB (N, S, S, 3)."""
    frames = [fit_frame(frame, image_size) for frame in video.read_frames(path, stride, max_frames)]
    if len(frames) < 2:
        raise ValueError(f"{path} has fewer than 2 frames at stride {stride}; it cannot make frame pairs.")
    return np.stack(frames)


def split_yuv(rgb_uint8):
    """(luma (..., 1), uv (..., 2)) of uint8 RGB frames, float32."""
    yuv = colorspace.rgb_to_yuv(np.asarray(rgb_uint8, np.float32) / 255.0)
    return yuv[..., :1], yuv[..., 1:]


def make_pair_dataset(clip_frames, batch_size, num_bins, training=False, seed=0):
    """A `tf.data.Dataset` of ({"luma", "previous_uv"}, {"u", "v"}) batches from loaded clips.

    Args:
        clip_frames: list of uint8 arrays (N_i, S, S, 3), one per clip (from `load_clip`).
        training: shuffle the pairs (across clips) each epoch.
    """
    frames = np.concatenate(clip_frames)
    starts = np.cumsum([0] + [len(clip) for clip in clip_frames[:-1]])
    pairs = np.concatenate([
        np.stack([np.arange(start, start + len(clip) - 1), np.arange(start + 1, start + len(clip))], axis=1)
        for start, clip in zip(starts, clip_frames)
    ]).astype(np.int32)
    frames_tensor = tf.constant(frames)

    def to_example(pair):
        previous = tf.cast(tf.gather(frames_tensor, pair[0]), tf.float32) / 255.0
        current = tf.cast(tf.gather(frames_tensor, pair[1]), tf.float32) / 255.0
        previous_uv = colorspace.rgb_to_yuv(previous)[..., 1:]
        current_yuv = colorspace.rgb_to_yuv(current)
        targets = {
            "u": colorspace.quantize(current_yuv[..., 1], "u", num_bins),
            "v": colorspace.quantize(current_yuv[..., 2], "v", num_bins),
        }
        return {"luma": current_yuv[..., :1], "previous_uv": previous_uv}, targets

    dataset = tf.data.Dataset.from_tensor_slices(pairs)
    if training:
        dataset = dataset.shuffle(len(pairs), seed=seed, reshuffle_each_iteration=True)
    dataset = dataset.map(to_example, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)
