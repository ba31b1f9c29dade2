"""Color-model speed on this machine: forward images/s and training step time.

Measures, for image sizes 224 and 128, float32 and bfloat16 (mixed_bfloat16), batch 1 and 15:
- forward: images per second of `model.predict_on_batch` (inference);
- train: seconds per `train_on_batch` step, and images per second of training.
Prints a Markdown table and the CPU's bfloat16 flags. Usage:

    python benchmarks/color_model_speed.py [--sizes 224 128] [--batches 1 15] [--steps 3]
"""

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from colornn_keras import backbone, precision  # noqa: E402
from colornn_keras.models import color  # noqa: E402
from colornn_keras.research import training  # noqa: E402


def _time(function, steps):
    function()  # Warm-up: tracing and first-call allocation are not what we measure.
    start = time.perf_counter()
    for _ in range(steps):
        function()
    return (time.perf_counter() - start) / steps


def measure(image_size, batch_size, dtype_policy, steps, weights):
    keras.backend.clear_session()
    model = training.compile_color_model(
        color.build_color_model(image_size=image_size, backbone_weights=weights, dtype=dtype_policy)
    )
    rng = np.random.default_rng(0)
    luma = rng.random((batch_size, image_size, image_size, 1)).astype(np.float32)
    targets = {axis: rng.integers(0, 30, (batch_size, image_size, image_size)) for axis in ("u", "v")}
    forward = _time(lambda: model.predict_on_batch(luma), steps)
    train = _time(lambda: model.train_on_batch(luma, targets), steps)
    return batch_size / forward, train, batch_size / train


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[224, 128])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 15])
    parser.add_argument("--precisions", nargs="+", default=["float32", "bfloat16"])
    parser.add_argument("--steps", type=int, default=3, help="timed steps after one warm-up step")
    arguments = parser.parse_args()

    flags = precision.cpu_flags()
    print(f"CPU cores: {os.cpu_count()}; bfloat16 flags: {sorted(flags & set(precision.BF16_CPU_FLAGS)) or 'none'}; "
          f"TensorFlow {tf.__version__}, Keras {keras.version()}")
    weights = backbone.load_vgg16_weights()
    print("| image size | precision | batch | forward img/s | train s/step | train img/s |")
    print("|---:|---|---:|---:|---:|---:|")
    for size in arguments.sizes:
        for name in arguments.precisions:
            for batch in arguments.batches:
                policy = precision.resolve_dtype_policy(name)
                forward, step, train = measure(size, batch, policy, arguments.steps, weights)
                print(f"| {size} | {name} | {batch} | {forward:.1f} | {step:.2f} | {train:.1f} |", flush=True)


if __name__ == "__main__":
    main()
