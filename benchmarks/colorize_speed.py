"""End-to-end video colorization speed: decode, predict, upsample, encode, audio.

Makes a synthetic 720p and 1080p clip with a sound track (ffmpeg's test source; no dataset
needed), colorizes each with `colornn_keras.inference`, and prints frames/s and the process's
peak resident memory for each precision, batch size and mode. Each configuration runs in its
own process, so peak memory is that configuration's. The models have the real ImageNet VGG16
and an untrained decoder: speed does not depend on the decoder's values. Usage:

    python benchmarks/colorize_speed.py [--image-size 224] [--frames 48] [--batches 1 4 8 16]
"""

import argparse
import json
import os
import pathlib
import resource
import subprocess
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def make_clip(path, width, height, frames, fps=30):
    import imageio_ffmpeg

    duration = frames / fps
    subprocess.run(
        [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i",
         f"testsrc2=size={width}x{height}:rate={fps}:duration={duration}", "-f", "lavfi", "-i",
         f"sine=frequency=440:duration={duration}", "-c:v", "libx264", "-pix_fmt", "yuv420p", "-c:a", "aac",
         "-shortest", str(path)], check=True,
    )


def run_one(clip, image_size, precision_name, batch_size, mode):
    """Colorizes `clip` once (after a short warm-up) and returns frames/s and peak memory."""
    from colornn_keras import inference, precision
    from colornn_keras.models import color, consistency

    dtype = precision.resolve_dtype_policy(precision_name)
    color_model = color.build_color_model(image_size=image_size, dtype=dtype)
    if mode == "model_only":
        return _model_only(color_model, clip, image_size, batch_size)
    consistency_model = consistency.build_consistency_model(color_model) if mode == "free_running" else None
    colorizer = inference.Colorizer(color_model, consistency_model, batch_size=batch_size)
    warm = list(colorizer.colorize_frames([__import__("numpy").zeros((64, 64, 3), "uint8")] * batch_size))
    del warm
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        report = inference.colorize(colorizer, clip, pathlib.Path(folder) / "out.mp4")
        seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"frames_per_second": report.frames / seconds, "peak_mib": peak_mib, "frames": report.frames}


def _model_only(color_model, clip, image_size, batch_size):
    """The ceiling: the color model's predictions alone, on model-size luma, as many as the clip has frames."""
    import numpy as np

    from colornn_keras.data import video

    frames = video.probe(clip).frame_count
    luma = np.random.default_rng(0).random((batch_size, image_size, image_size, 1), dtype=np.float32)
    color_model.predict_on_batch(luma)
    batches = max(1, round(frames / batch_size))
    start = time.perf_counter()
    for _ in range(batches):
        color_model.predict_on_batch(luma)
    seconds = time.perf_counter() - start
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"frames_per_second": batches * batch_size / seconds, "peak_mib": peak_mib, "frames": batches * batch_size}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image-size", type=int, default=224)
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 4, 8, 16])
    parser.add_argument("--only-bfloat16", action="store_true", help="skip the float32 rows")
    parser.add_argument("--one", nargs=5, metavar=("CLIP", "SIZE", "PRECISION", "BATCH", "MODE"), help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.one:
        clip, size, precision_name, batch, mode = arguments.one
        print(json.dumps(run_one(clip, int(size), precision_name, int(batch), mode)))
        return

    print(f"CPU cores: {os.cpu_count()}; model size {arguments.image_size}; {arguments.frames}-frame clips with audio")
    print("| clip | precision | batch | mode | frames/s | peak memory (MiB) |")
    print("|---|---|---:|---|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        clips = {}
        for name, (width, height) in {"720p": (1280, 720), "1080p": (1920, 1080)}.items():
            clips[name] = pathlib.Path(folder) / f"{name}.mp4"
            make_clip(clips[name], width, height, arguments.frames)
        configurations = [("720p", "bfloat16", batch, "per_frame") for batch in arguments.batches]
        if not arguments.only_bfloat16:
            configurations += [("720p", "float32", batch, "per_frame") for batch in arguments.batches]
        configurations += [("720p", "bfloat16", 1, "free_running"), ("1080p", "bfloat16", 8, "per_frame"),
                           ("1080p", "bfloat16", 1, "free_running"), ("720p", "bfloat16", 8, "model_only")]
        for clip, precision_name, batch, mode in configurations:
            result = subprocess.run(
                [sys.executable, __file__, "--one", str(clips[clip]), str(arguments.image_size), precision_name,
                 str(batch), mode], capture_output=True, text=True, check=True,
            )
            figures = json.loads(result.stdout.strip().splitlines()[-1])
            print(f"| {clip} | {precision_name} | {batch} | {mode} | {figures['frames_per_second']:.1f} | "
                  f"{figures['peak_mib']:.0f} |", flush=True)


if __name__ == "__main__":
    main()
