"""Colorizing in bfloat16 against float32: how far the colours move, and whether accuracy does.

`colornn colorize --precision auto` (the default) computes in bfloat16 where the CPU does so in
hardware. This measures, for a color preset on a run's recorded test photos (or any folder):
- the largest and the mean |ΔU| and |ΔV| (YUV units, U in ±0.436, V in ±0.615) between the two
  precisions' decoded colours, pixel by pixel;
- each precision's test AuC, bin accuracies and colorfulness (`evaluation.evaluate_color_model`);
- each precision's forward speed (photos per second, batch 16).
Prints a Markdown report naming the CPU. Usage:

    python benchmarks/inference_precision.py --run experiments/<run> [--part test] [--preset NAME]
    python benchmarks/inference_precision.py --images FOLDER
"""

import argparse
import os
import pathlib
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from colornn_keras import colorspace, precision, presets, pretrained  # noqa: E402
from colornn_keras.data import images  # noqa: E402
from colornn_keras.research import evaluation, provenance  # noqa: E402
from colornn_keras.research.training import color as color_training  # noqa: E402

POLICIES = ("float32", "mixed_bfloat16")


def _files(arguments):
    if arguments.run:
        _, split, _ = color_training.read_color_run(arguments.run)
        return split[arguments.part]
    return images.scan_images(images.find_images(arguments.images)).color


def _decoded(model, luma):
    predictions = {key: np.asarray(value, np.float32) for key, value in model.predict_on_batch(luma).items()}
    return colorspace.decode_uv(predictions, "annealed_mean", colorspace.DEFAULT_TEMPERATURE)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--run", help="a color run folder: its recorded photos of --part")
    source.add_argument("--images", help="a folder of colour photos")
    parser.add_argument("--part", default="test")
    parser.add_argument("--preset", help="color preset (default: the default color preset)")
    parser.add_argument("--batch-size", type=int, default=16)
    arguments = parser.parse_args()
    name = arguments.preset or presets.default_preset("color")
    files = _files(arguments)
    models = {}
    for policy in POLICIES:
        models[policy] = pretrained.load_preset(name, kind="color", dtype=policy)
    size = models["float32"].image_size
    dataset = images.make_dataset(files, size, arguments.batch_size, variant="regression", cache=False)
    largest, total, pixels = np.zeros(2), np.zeros(2), 0
    seconds = dict.fromkeys(POLICIES, 0.0)
    for luma, _ in dataset.as_numpy_iterator():
        decoded = {}
        for policy in POLICIES:
            start = time.perf_counter()
            decoded[policy] = _decoded(models[policy], luma)
            seconds[policy] += time.perf_counter() - start
        difference = np.abs(decoded["mixed_bfloat16"] - decoded["float32"]).reshape(-1, 2)
        largest = np.maximum(largest, difference.max(axis=0))
        total += difference.sum(axis=0)
        pixels += len(difference)
    scores = {policy: evaluation.evaluate_color_model(models[policy], files, size, arguments.batch_size,
                                                      methods=("annealed_mean",)) for policy in POLICIES}
    choice = precision.choose_precision("auto")
    environment = provenance.environment_record("float32", vgg16=False)
    print(f"# Colorizing in bfloat16 against float32: {name}\n")
    print(f"CPU: {environment['processor']}, {environment['cpu_count']} cores, bfloat16 flags: "
          f"{environment['bfloat16_cpu_flags'] or 'none'}; TensorFlow {environment['packages']['tensorflow']}, "
          f"Keras {keras.__version__}. `--precision auto` here: {choice.precision} ({choice.reason}).\n")
    where = f"{arguments.run} ({arguments.part})" if arguments.run else arguments.images
    print(f"{len(files)} photos of {where}, {size}×{size}, annealed mean (T = {colorspace.DEFAULT_TEMPERATURE}).\n")
    print(f"Largest |ΔU| {largest[0]:.4f}, |ΔV| {largest[1]:.4f}; mean |ΔU| {total[0] / pixels:.5f}, "
          f"|ΔV| {total[1] / pixels:.5f} (YUV units; one bin is {2 * colorspace.U_MAX / 30:.4f} of U, "
          f"{2 * colorspace.V_MAX / 30:.4f} of V).\n")
    print("| precision | AuC | U acc | V acc | colorfulness | photos/s (forward + decode) |")
    print("|---|---:|---:|---:|---:|---:|")
    for policy in POLICIES:
        score = scores[policy]
        print(f"| {policy} | {score['annealed_mean']['auc']:.4f} | {100 * score['u_accuracy']:.2f}% | "
              f"{100 * score['v_accuracy']:.2f}% | {score['annealed_mean']['colorfulness']:.2f} | "
              f"{len(files) / seconds[policy]:.1f} |")


if __name__ == "__main__":
    main()
