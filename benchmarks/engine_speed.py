"""The color model's forward pass on each inference engine: TensorFlow, ONNX Runtime, OpenVINO.

For each model size and batch size, runs `predict_on_batch` on every engine in turn, `--repeats`
times round (so a change in the machine's load hits every engine alike), and prints the median
images per second (wall clock) and images per CPU-second of this process (less sensitive to other
processes on a busy machine, but it counts threads spinning while they wait), and the largest
difference of each engine's probabilities from TensorFlow's. The engines run as `colorize` runs
them (`colornn_keras.engines`), float32, with their default threads; an engine's export is made
once and cached, before timing. Where the CPU computes bfloat16 in hardware (AMX, AVX-512 BF16),
TensorFlow's mixed_bfloat16 model, what `colorize --precision auto` runs there, is measured too. Compare rows of one run only. Appended to
benchmarks/results/engine_speed.md unless `--no-record`. Usage:

    python benchmarks/engine_speed.py [--sizes 128 224] [--batches 1 8] [--repeats 5] [--no-record]
"""

import argparse
import os
import pathlib
import statistics
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, str(pathlib.Path(__file__).parent))

import colorize_speed  # noqa: E402
import numpy as np  # noqa: E402

from colornn_keras import engines  # noqa: E402
from colornn_keras import precision  # noqa: E402

RESULTS = pathlib.Path(__file__).parent / "results" / "engine_speed.md"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 224])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 8])
    parser.add_argument("--engines", nargs="+", default=["tensorflow", "onnxruntime", "openvino"],
                        choices=["tensorflow", "onnxruntime", "openvino"])
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per engine and batch, after a warm-up")
    parser.add_argument("--no-record", action="store_true", help=f"do not append the results to {RESULTS}")
    arguments = parser.parse_args()

    say = colorize_speed.Lines()
    say(f"CPU: {colorize_speed.cpu_description()}; load average {os.getloadavg()[0]:.1f} at the start")
    say(f"median of {arguments.repeats} calls per row, engines taking turns")
    say()
    say("| model size | batch | engine | images/s | images per CPU-second | max difference from TensorFlow |")
    say("|---:|---:|---|---:|---:|---:|")
    # Where the hardware computes bfloat16 (a GPU, or the CPU's flags); whether it is faster is what this measures.
    hardware_bfloat16 = precision.choose_precision("auto", measure=False).precision == "bfloat16"
    for size in arguments.sizes:
        model = colorize_speed.build_color_model(size)
        predictors = {}
        for name in arguments.engines:
            predictor = engines.predictor(model, name)
            if predictor.engine == name:  # A missing engine is left out, not measured as TensorFlow twice.
                predictors[name] = predictor
        if "tensorflow" in arguments.engines and hardware_bfloat16:
            bfloat16_model = colorize_speed.build_color_model(size, "mixed_bfloat16")
            predictors["tensorflow (bfloat16)"] = engines.predictor(bfloat16_model, "tensorflow")
        for batch in arguments.batches:
            luma = np.random.default_rng(0).random((batch, size, size, 1), dtype=np.float32)
            reference = {axis: np.asarray(value) for axis, value in model.predict_on_batch(luma).items()}
            difference = {}
            for name, predictor in predictors.items():  # Warm-up, and the outputs' agreement.
                outputs = predictor.predict_on_batch(luma)
                difference[name] = max(float(np.abs(np.asarray(outputs[axis]) - reference[axis]).max())
                                       for axis in ("u", "v"))
            wall, cpu = ({name: [] for name in predictors} for _ in range(2))
            for _ in range(arguments.repeats):
                for name, predictor in predictors.items():
                    start, start_cpu = time.perf_counter(), time.process_time()
                    predictor.predict_on_batch(luma)
                    wall[name].append(time.perf_counter() - start)
                    cpu[name].append(time.process_time() - start_cpu)
            for name in predictors:
                say(f"| {size} | {batch} | {name} | {batch / statistics.median(wall[name]):.1f} | "
                    f"{batch / statistics.median(cpu[name]):.1f} | {difference[name]:.1e} |")
    say(f"Load average {os.getloadavg()[0]:.1f} at the end.")
    if not arguments.no_record:
        colorize_speed.append_record(RESULTS, say.lines)


if __name__ == "__main__":
    main()
