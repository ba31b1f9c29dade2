"""Would computing the color model's frozen part once pay? Cache size against the time it saves.

Issue #28, item 4: "The frozen part computed once, where the measurement says it pays (as the
consistency training already does)". A color model's frozen part is VGG16 up to the first layer that
trains; its outputs that the trained part reads (the decoder's taps, and the input of the first
fine-tuned convolution) would be written once and read back every epoch. This prints, for one
configuration:
- the cache: values and bytes per photo (in the precision the model computes), and for `--photos`;
- the time: one `train_on_batch` step of the whole model, and one forward pass of the frozen part
  alone (what a cache would save at best; reading the cache back is not free, so this is a bound);
- the best-case speed-up, step / (step - frozen forward).
A cache also fixes each photo's crop: the random resized crop draws a new crop every epoch, so
with a cache the augmentation is lost. Usage (the machine to itself):

    python benchmarks/frozen_part_cache.py [--image-size 128] [--fine-tune-from block4_conv1]
        [--deepest-tap block4_conv3] [--precision auto] [--batch-size 16] [--steps 5] [--photos 18945]
"""

import argparse
import os
import pathlib
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from colornn_keras import backbone, precision  # noqa: E402
from colornn_keras.models import checkpoints  # noqa: E402
from colornn_keras.models import color  # noqa: E402
from colornn_keras.research.training import color as color_training  # noqa: E402


def cpu_name():
    for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown CPU"


def frozen_outputs(model):
    """The frozen layers' outputs that trained layers read: what a cache would hold."""
    trained = {layer.name for layer in checkpoints.trained_layers(model)}
    frozen = {layer.name for layer in model.layers if layer.name not in trained and (
        layer.name in backbone.VGG16_CONV_LAYERS or layer.name.endswith("_pool") or layer.name == "vgg_preprocessing")}
    outputs = {}
    for layer in model.layers:
        if layer.name in frozen:
            continue
        for node in layer._inbound_nodes:
            for tensor in node.input_tensors:
                source = tensor._keras_history.operation
                if source.name in frozen:
                    outputs[source.name] = tensor
    return outputs


def timed(function, steps):
    function()  # Warm-up: tracing and first allocations are not what is measured.
    start = time.perf_counter()
    for _ in range(steps):
        function()
    return (time.perf_counter() - start) / steps


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=128)
    parser.add_argument("--fine-tune-from", default="block4_conv1", help="'none' for VGG16 frozen (the paper)")
    parser.add_argument("--deepest-tap", default="block4_conv3")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--photos", type=int, default=18945, help="training photos (all 29 sets: 18,945)")
    arguments = parser.parse_args()
    fine_tune_from = None if arguments.fine_tune_from == "none" else arguments.fine_tune_from

    policy = keras.dtype_policies.get(precision.resolve_dtype_policy(arguments.precision))
    model = color_training.compile_color_model(color.ColorModel(
        image_size=arguments.image_size, fine_tune_from=fine_tune_from, deepest_tap=arguments.deepest_tap,
        dtype=policy))
    outputs = frozen_outputs(model)
    frozen = keras.Model(model.input, list(outputs.values()))
    bytes_per_value = 2 if policy.compute_dtype == "bfloat16" else 4
    values = sum(int(np.prod(tensor.shape[1:])) for tensor in outputs.values())

    rng = np.random.default_rng(0)
    size, batch = arguments.image_size, arguments.batch_size
    luma = rng.random((batch, size, size, 1)).astype(np.float32)
    targets = {axis: rng.integers(0, model.num_bins, (batch, size, size)) for axis in ("u", "v")}
    step = timed(lambda: model.train_on_batch(luma, targets), arguments.steps)
    forward = timed(lambda: frozen.predict_on_batch(luma), arguments.steps)

    per_photo = values * bytes_per_value
    print(f"CPU: {cpu_name()}, {os.cpu_count()} cores; precision {policy.name}; image size {size}; "
          f"fine-tuned from {fine_tune_from or 'nothing (VGG16 frozen)'}; deepest tap {arguments.deepest_tap}; batch {batch}")
    print(f"cached outputs: {', '.join(f'{name} {tuple(tensor.shape[1:])}' for name, tensor in outputs.items())}")
    print(f"cache per photo: {values:,} values, {per_photo / 2**20:.2f} MiB; "
          f"for {arguments.photos:,} photos: {arguments.photos * per_photo / 2**30:.1f} GiB")
    print(f"train step: {step:.3f} s ({batch / step:.1f} photos/s); frozen part forward: {forward:.3f} s "
          f"({forward / step:.0%} of a step)")
    print(f"best-case speed-up with a cache (reading it back free): {step / (step - forward):.2f}x")


if __name__ == "__main__":
    main()
