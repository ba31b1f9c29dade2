"""Writes the chosen fine-tuned run's trained part as the package ships it: the decoder as it is,
VGG16's fine-tuned block 4 as int8 differences from ImageNet's weights
(`checkpoints.save_trained_part(..., backbone_as_difference=True)`); prints its size and sha256,
and how far the shipped weights' decoded (U, V) are from the run's own on the first 64
validation photos of PHOTOS_RUN.

Run from the repository root:
    python experiments/2026-11-30_color_model_choice/ship.py RUN TARGET PHOTOS_RUN
then score exactly that file: colornn evaluate color --run RUN --weights-file TARGET ...
"""

import sys

import numpy as np

from colornn_keras import colorspace
from colornn_keras import presets
from colornn_keras.data import images
from colornn_keras.models import checkpoints
from colornn_keras.research import training
from colornn_keras.runs import loading


def main(run, target, photos_run):
    model, config = loading.load_color_run(run)
    path = checkpoints.save_trained_part(model, target, backbone_as_difference=True)
    print(f"{path}: {path.stat().st_size} bytes, sha256 {presets.sha256_of(path)}")
    shipped, _ = loading.load_color_run(run, path)
    _, split, _ = training.read_color_run(photos_run)
    photos = images.make_dataset(split["val"][:64], config.image_size, 16, config.num_bins, config.variant,
                                 training=False)
    largest = mean = 0.0
    for batch, (luma, _) in enumerate(photos):
        run_uv, shipped_uv = (colorspace.decode_uv({axis: np.asarray(value) for axis, value in
                                                    candidate.predict_on_batch(luma).items()})
                              for candidate in (model, shipped))
        change = np.abs(run_uv - shipped_uv)
        largest, mean = max(largest, float(change.max())), mean + (float(change.mean()) - mean) / (batch + 1)
    print(f"decoded (U, V), shipped against the run's weights, 64 validation photos: largest difference "
          f"{largest:.2e}, mean {mean:.2e}")


if __name__ == "__main__":
    main(*sys.argv[1:])
