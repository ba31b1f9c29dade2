"""End-to-end video colorization speed against the model alone, per model size and engine.

Makes synthetic clips with a sound track (ffmpeg's test source; no dataset needed), colours each
with `colornn_keras.colorize_files.colorize` (decode the luma planes, predict and decode the bins at
model size in one graph, resize U and V to the chroma planes, encode H.264, copy the audio), and
prints, in one run:

- the CPU (model name, the flags that decide the fast paths: AVX2, AVX-512, AMX), its cores and
  the load average before and after: compare rows of one run only;
- for each model size and engine: the model alone (the color model's forward pass on model-size
  input to its distributions, without decoding them, as many frames as a clip, in batches of
  `--batch-size`) in frames/s;
- for each clip (720p, 1080p): end-to-end frames/s, its ratio to the model alone, and the peak
  resident memory of the process that coloured it;
- the CPU time a frame took (user + system, in ms): the model alone's, and colorize's in this
  process (the model and the Python around it) and in ffmpeg's (decoding and x264). Where the
  model alone keeps every core busy, the work around it can only overlap it by taking cores from
  it: the ratio is then about (model alone's CPU) / (colorize's and ffmpeg's);
- with `--pipeline-alone`, each clip coloured by a stand-in that returns fixed colours at once:
  the rate and CPU time of the work around the model alone;
- with `--memory-check`, the first clip again at three times its length, whose peak memory
  should not grow.

Each measurement runs in its own process, so peak memory is that measurement's; each is made
`--repeats` times, the model alone and the clips alternated, and the median reported. At 128 the model
is the shipped default color preset; at other sizes the real ImageNet VGG16 with a decoder of
fixed seed (speed does not depend on its values; the seed keeps an engine's cached export valid
from one run to the next). Exporting a model for an engine, once, is not timed. The results are
appended to benchmarks/results/colorize_speed.md unless `--no-record`. Usage:

    python benchmarks/colorize_speed.py [--sizes 128 224] [--engines auto tensorflow] [--frames 96]
        [--clips 720p 1080p] [--batch-size 8] [--repeats 3] [--precision auto] [--x264-preset veryfast]
        [--pipeline-alone] [--memory-check] [--no-record]
"""

import argparse
import datetime
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

CLIPS = {"720p": (1280, 720), "1080p": (1920, 1080)}
RESULTS = pathlib.Path(__file__).parent / "results" / "colorize_speed.md"
# CPU flags that name the fast paths of the engines: AVX2, AVX-512 (with VNNI and BF16) and AMX.
CPU_FLAGS = ("avx2", "avx512f", "avx512_vnni", "avx512_bf16", "amx_tile", "amx_bf16", "amx_int8")
# The end-to-end rate should stay within this fraction of the model alone (the rest overlaps it).
TARGET_RATIO = 0.85


def cpu_description():
    """'<model name>; flags: ...; <n> cores' from /proc/cpuinfo (where there is one)."""
    model, flags = "unknown CPU", set()
    try:
        for line in pathlib.Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name") and model == "unknown CPU":
                model = line.split(":", 1)[1].strip()
            elif line.startswith("flags") and not flags:
                flags = set(line.split(":", 1)[1].split())
    except OSError:
        pass
    present = [flag for flag in CPU_FLAGS if flag in flags]
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{model}; flags: {', '.join(present) or 'none of ' + ', '.join(CPU_FLAGS)}; {cores} cores"


def make_clip(path, width, height, frames, fps=30):
    import imageio_ffmpeg

    duration = frames / fps
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
         f"testsrc2=size={width}x{height}:rate={fps}:duration={duration}", "-f", "lavfi", "-i",
         f"sine=frequency=440:duration={duration}", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-shortest", str(path)], check=True,
    )


def build_color_model(image_size, dtype="float32"):
    """The shipped model at its size; elsewhere the ImageNet VGG16 with a fixed-seed decoder."""
    import keras

    from colornn_keras import presets
    from colornn_keras import pretrained
    from colornn_keras.models import color

    shipped = presets.default_preset("color")
    if presets.preset_entry(shipped).get("image_size") == image_size:
        return pretrained.load_preset(shipped, kind="color", dtype=dtype)
    keras.utils.set_random_seed(0)
    return color.ColorModel(image_size=image_size, dtype=dtype)


class _InstantModel:
    """Stands for the model with one that returns fixed colours at once: what is left is the work
    around the model (decoding, the model's input, the chroma planes, x264, the checks)."""

    engine = "none"

    def __init__(self, image_size):
        self.uv = np.full((1, image_size, image_size, 2), 0.1, np.float32)

    def predict_on_batch(self, luma):
        return {"uv": np.repeat(self.uv, len(luma), axis=0)}


def _cpu_seconds():
    """CPU seconds (user + system) of this process and of its finished children (ffmpeg)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime, children.ru_utime + children.ru_stime


def run_one(image_size, engine, batch_size, precision_name, clip=None, frames=None, x264_preset="veryfast"):
    """Times the model alone (`clip` None: `frames` frames) or one clip end to end, after a warm-up,
    with the CPU time it took in this process and in ffmpeg's; engine "none" is `_InstantModel`."""
    from colornn_keras import colorize_files
    from colornn_keras import engines
    from colornn_keras import inference
    from colornn_keras import precision

    model = build_color_model(image_size, precision.resolve_dtype_policy(precision_name))
    luma = np.random.default_rng(0).random((batch_size, image_size, image_size, 1), dtype=np.float32)
    if clip is None:  # The color model's forward pass to its distributions, no decoding.
        predictor = engines.predictor(model, engine)
        chosen = predictor.engine
        predictor.predict_on_batch(luma)  # Warm-up: tracing, first allocations.
        batches = max(1, round(frames / batch_size))
        cpu_before, start = _cpu_seconds(), time.perf_counter()
        for _ in range(batches):
            predictor.predict_on_batch(luma)
        seconds, count = time.perf_counter() - start, batches * batch_size
    else:
        colorizer = inference.Colorizer(model, batch_size=batch_size, engine="tensorflow" if engine == "none" else engine)
        if engine == "none":
            colorizer._predictor.chroma_predictor = _InstantModel(image_size)
        chosen = colorizer._predictor.chroma_predictor.engine
        colorizer._predictor.chroma_predictor.predict_on_batch(luma)  # Warm-up, as above.
        with tempfile.TemporaryDirectory() as folder:
            cpu_before, start = _cpu_seconds(), time.perf_counter()
            count = colorize_files.colorize(colorizer, clip, pathlib.Path(folder) / "out.mp4",
                                            x264_preset=x264_preset).frames
            seconds = time.perf_counter() - start
    own, children = (1000 * (after - before) / count for after, before in zip(_cpu_seconds(), cpu_before))
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"engine": chosen, "frames_per_second": count / seconds, "frames": count, "peak_mib": peak_mib,
            "cpu_ms_own": own, "cpu_ms_ffmpeg": children}


def _measure(*arguments):
    result = subprocess.run([sys.executable, __file__, "--one", *map(str, arguments)], capture_output=True,
                            text=True)
    if result.returncode != 0:
        raise RuntimeError(f"measuring {arguments} failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


def _median_run(runs):
    """The run of median rate (the lower middle one of an even number), with the largest peak memory."""
    ordered = sorted(runs, key=lambda run: run["frames_per_second"])
    return {**ordered[(len(ordered) - 1) // 2], "peak_mib": max(run["peak_mib"] for run in runs)}


def _load():
    return "{:.1f}".format(os.getloadavg()[0]) if hasattr(os, "getloadavg") else "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[128, 224], help="model input sizes")
    parser.add_argument("--engines", nargs="+", default=["auto", "tensorflow"],
                        choices=("auto", "tensorflow", "onnxruntime", "openvino"))
    parser.add_argument("--frames", type=int, default=96, help="frames per clip (and for the model alone)")
    parser.add_argument("--clips", nargs="+", default=list(CLIPS), choices=list(CLIPS))
    parser.add_argument("--batch-size", type=int, default=8)
    parser.add_argument("--repeats", type=int, default=3,
                        help="measure each rate this many times, alternating, and report the median")
    parser.add_argument("--precision", choices=("auto", "float32", "bfloat16"), default="auto",
                        help="the models' precision, as colorize's --precision (auto: bfloat16 where the CPU has "
                             "AMX or AVX-512 BF16, which only TensorFlow runs)")
    parser.add_argument("--pipeline-alone", action="store_true",
                        help="also colour each clip with a stand-in model that answers at once: the work around "
                             "the model alone")
    parser.add_argument("--memory-check", action="store_true",
                        help="colour the first clip again at three times its length: peak memory should not grow")
    parser.add_argument("--no-record", action="store_true", help=f"do not append the results to {RESULTS}")
    parser.add_argument("--x264-preset", default="veryfast", help="x264's preset for the coloured clips (colorize's)")
    parser.add_argument("--one", nargs=7, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        size, engine, batch, precision_name, clip, frames, x264_preset = arguments.one
        result = run_one(int(size), engine, int(batch), precision_name, None if clip == "-" else clip, int(frames),
                         x264_preset)
        print(json.dumps(result))
        return

    say = Lines()
    say(f"CPU: {cpu_description()}; load average {_load()} at the start")
    say(f"{arguments.frames}-frame clips at 30 fps with AAC audio; batch {arguments.batch_size}; precision "
        f"{arguments.precision}; x264 {arguments.x264_preset} CRF 23; median of {arguments.repeats} alternated "
        "measurements (the ratio's range over them in brackets)")
    say()
    say("| model size | engine | clip | frames/s | model alone, frames/s | ratio | CPU-ms a frame: model alone; "
        "colorize, Python + model; ffmpeg | peak memory (MiB) |")
    say("|---:|---|---|---:|---:|---:|---|---:|")
    model_alone = {}
    with tempfile.TemporaryDirectory() as folder:
        clips = {}
        for name in arguments.clips:
            clips[name] = pathlib.Path(folder) / f"{name}.mp4"
            make_clip(clips[name], *CLIPS[name], arguments.frames)
        for size in arguments.sizes:
            for engine in arguments.engines:
                # Alternated, so that a change in the machine's load touches both sides of a ratio.
                alone_runs, clip_runs = [], {name: [] for name in arguments.clips}
                for _ in range(arguments.repeats):
                    alone_runs.append(_measure(size, engine, arguments.batch_size, arguments.precision, "-",
                                               arguments.frames, arguments.x264_preset))
                    for name in arguments.clips:
                        clip_runs[name].append(_measure(size, engine, arguments.batch_size, arguments.precision,
                                                        clips[name], arguments.frames, arguments.x264_preset))
                alone = model_alone[size, engine] = _median_run(alone_runs)
                label = engine if alone["engine"] == engine else f"{engine} ({alone['engine']})"
                for name in arguments.clips:
                    result = _median_run(clip_runs[name])
                    ratio = result["frames_per_second"] / alone["frames_per_second"]
                    each = [run["frames_per_second"] / alone_run["frames_per_second"]
                            for run, alone_run in zip(clip_runs[name], alone_runs)]
                    spread = f" ({min(each):.2f}-{max(each):.2f})" if len(each) > 1 else ""
                    say(f"| {size} | {label} | {name} | {result['frames_per_second']:.1f} | "
                        f"{alone['frames_per_second']:.1f} | {ratio:.2f}{spread}"
                        f"{'' if ratio >= TARGET_RATIO else ' (low)'} | {alone['cpu_ms_own']:.0f}; "
                        f"{result['cpu_ms_own']:.0f}; {result['cpu_ms_ffmpeg']:.0f} | {result['peak_mib']:.0f} |")
        if arguments.pipeline_alone:
            size = arguments.sizes[0]
            for name in arguments.clips:
                runs = [_measure(size, "none", arguments.batch_size, arguments.precision, clips[name],
                                 arguments.frames, arguments.x264_preset) for _ in range(arguments.repeats)]
                result = _median_run(runs)
                say(f"| {size} | none (the work around the model alone) | {name} | {result['frames_per_second']:.1f} "
                    f"| | | -; {result['cpu_ms_own']:.0f}; {result['cpu_ms_ffmpeg']:.0f} | {result['peak_mib']:.0f} |")
        if arguments.memory_check:
            name, size, engine = arguments.clips[0], arguments.sizes[0], arguments.engines[0]
            longer = pathlib.Path(folder) / f"{name}_long.mp4"
            make_clip(longer, *CLIPS[name], 3 * arguments.frames)
            result = _measure(size, engine, arguments.batch_size, arguments.precision, longer, 3 * arguments.frames,
                              arguments.x264_preset)
            say(f"| {size} | {engine} | {name}, {3 * arguments.frames} frames | {result['frames_per_second']:.1f} | "
                f"| | | {result['peak_mib']:.0f} |")
    say()
    for size in arguments.sizes:
        if (size, "auto") in model_alone and (size, "tensorflow") in model_alone:
            auto, tensorflow = model_alone[size, "auto"], model_alone[size, "tensorflow"]
            say(f"Model alone at {size}: auto ({auto['engine']}) {auto['frames_per_second']:.1f} frames/s, "
                f"TensorFlow {tensorflow['frames_per_second']:.1f}: "
                f"{auto['frames_per_second'] / tensorflow['frames_per_second']:.2f}x.")
    say(f"Load average {_load()} at the end.")
    if not arguments.no_record:
        append_record(RESULTS, say.lines)


class Lines:
    """`say(line)` prints a line at once and keeps it (`.lines`) for `append_record` at the end."""

    def __init__(self):
        self.lines = []

    def __call__(self, line=""):
        print(line, flush=True)
        self.lines.append(line)


def append_record(results, lines):
    """Appends a run's printed lines to a results file, under a heading naming the command, the
    commit and the time (UTC)."""
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=pathlib.Path(__file__).parent).stdout.strip() or "unknown"
    when = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    with results.open("a") as record:
        record.write(f"\n# benchmarks/{pathlib.Path(sys.argv[0]).name} {' '.join(sys.argv[1:])} at commit {commit}, {when}\n")
        record.write("\n".join(lines) + "\n")
    print(f"Appended to {results}.")


if __name__ == "__main__":
    main()
