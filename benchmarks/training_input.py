"""Does `fit()` wait on the `tf.data` input pipeline? Color-model step time in `fit` against
`train_on_batch` on a batch already in memory.

`train_on_batch` on a ready batch is the model's own step time. `fit` on the training pipeline
(`images.make_dataset`: decoding through Pillow, cached, shuffled, augmented, batched and
prefetched, as `colornn train color` feeds it) takes that plus whatever time the model spends
waiting for the next batch, and the pipeline's work shares the cores with the model's. Prints
both (median seconds per step over `--steps` steps, after a warm-up epoch that also fills the
pipeline's cache), their ratio, and the pipeline alone: seconds per batch when nothing else runs.
A ratio near 1 means the pipeline keeps up. Usage:

    python benchmarks/training_input.py [--data STILLS_DIR] [--image-size 128] [--batch-size 15]
        [--steps 20] [--augmentation crop_flip] [--precision auto]

Without `--data`, 60 crops of the photograph that ships with matplotlib stand in (decoding
small JPEGs is cheaper than the project's photos: give `--data` for the real answer).
"""

import argparse
import os
import pathlib
import statistics
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from colornn_keras import precision  # noqa: E402
from colornn_keras.data import images  # noqa: E402
from colornn_keras.models import color  # noqa: E402
from colornn_keras.research import samples, training  # noqa: E402


class StepTimer(keras.callbacks.Callback):
    """Seconds from the end of one training step to the end of the next: the step itself plus any
    wait for its batch."""

    def __init__(self):
        super().__init__()
        self.durations, self._last = [], None

    def on_train_batch_end(self, batch, logs=None):
        now = time.perf_counter()
        if self._last is not None:
            self.durations.append(now - self._last)
        self._last = now


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="folder of colour photos (default: crops of matplotlib's sample photo)")
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--batch-size", type=int, default=15)
    parser.add_argument("--steps", type=int, default=20, help="timed steps of each kind")
    parser.add_argument("--augmentation", choices=images.AUGMENTATIONS, default="crop_flip")
    parser.add_argument("--precision", choices=precision.PRECISIONS, default="auto")
    arguments = parser.parse_args()

    with tempfile.TemporaryDirectory() as folder:
        data = pathlib.Path(arguments.data) if arguments.data else samples.write_sample_photos(folder, count=60)
        files = images.find_images(data)
        policy = precision.resolve_dtype_policy(arguments.precision)
        model = training.compile_color_model(color.ColorModel(image_size=arguments.image_size, dtype=policy))
        dataset = images.make_dataset(files, arguments.image_size, arguments.batch_size, training=True,
                                      augmentation=arguments.augmentation, repeat=True)
        warm_up_steps = -(-len(files) // arguments.batch_size)  # One pass: the cache holds every photo after it.
        model.fit(dataset, epochs=1, steps_per_epoch=warm_up_steps, verbose=0, shuffle=False)

        timer = StepTimer()
        model.fit(dataset, epochs=1, steps_per_epoch=arguments.steps + 1, verbose=0, callbacks=[timer],
                  shuffle=False)
        fit_step = statistics.median(timer.durations)

        luma, targets = next(iter(dataset))
        model.train_on_batch(luma, targets)
        durations = []
        for _ in range(arguments.steps):
            start = time.perf_counter()
            model.train_on_batch(luma, targets)
            durations.append(time.perf_counter() - start)
        batch_step = statistics.median(durations)

        batches = iter(dataset)
        next(batches)
        durations = []
        for _ in range(arguments.steps):
            start = time.perf_counter()
            next(batches)
            durations.append(time.perf_counter() - start)
        pipeline_batch = statistics.median(durations)

    print(f"{len(files)} photos from {data if arguments.data else 'the sample photograph'}; model size "
          f"{arguments.image_size}, batch {arguments.batch_size}, {policy}, augmentation {arguments.augmentation}; "
          f"{os.cpu_count()} CPU cores; load average {os.getloadavg()[0]:.1f}")
    print("| measure | seconds per step (median) |")
    print("|---|---:|")
    print(f"| fit on the tf.data pipeline | {fit_step:.3f} |")
    print(f"| train_on_batch on a batch in memory | {batch_step:.3f} |")
    print(f"| the pipeline alone, per batch | {pipeline_batch:.3f} |")
    print(f"fit / train_on_batch: {fit_step / batch_step:.2f} (near 1: fit does not wait on the input)")


if __name__ == "__main__":
    main()
