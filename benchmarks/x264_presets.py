"""x264's presets: CPU time a frame and file size, coding a clip's own luma planes with fixed chroma.

What `colornn colorize --x264-preset` trades: on two cores the encoder's time is taken from the
model's. Makes 720p and 1080p test clips (ffmpeg's testsrc2, no dataset needed), reads their luma
planes as colorize does, and writes them with `video_encoding.VideoWriter` at each preset; prints the
encoder's CPU time a frame (user + system of the ffmpeg process), the wall time, the file's size,
and the CPU time of decoding the luma planes. Appends to benchmarks/results/x264_presets.md
unless `--no-record`. Usage:

    python benchmarks/x264_presets.py [--frames 96] [--presets veryfast superfast ultrafast] [--no-record]
"""

import argparse
import pathlib
import resource
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import colorize_speed  # noqa: E402 - the clips, the CPU's description and the record, as there.

RESULTS = pathlib.Path(__file__).parent / "results" / "x264_presets.md"


def _children_cpu_seconds():
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main():
    from colornn_keras.data import video
    from colornn_keras.data import video_encoding

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--frames", type=int, default=96)
    parser.add_argument("--presets", nargs="+", default=["veryfast", "superfast", "ultrafast"],
                        choices=video_encoding.X264_PRESETS)
    parser.add_argument("--no-record", action="store_true")
    arguments = parser.parse_args()
    say = colorize_speed.Lines()
    say(f"CPU: {colorize_speed.cpu_description()}")
    say(f"{arguments.frames}-frame testsrc2 clips; Cb 110 and Cr 150 everywhere; CRF {video_encoding.DEFAULT_CRF}")
    say()
    say("| clip | preset | encoder CPU-ms a frame | wall ms a frame | file (MB) | size against the first preset |")
    say("|---|---|---:|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for name, (width, height) in colorize_speed.CLIPS.items():
            clip = pathlib.Path(folder) / f"{name}.mp4"
            colorize_speed.make_clip(clip, width, height, arguments.frames)
            info = video.probe(clip)
            before = _children_cpu_seconds()
            planes = list(video.read_luma_planes(info))
            decoding = 1000 * (_children_cpu_seconds() - before) / len(planes)
            cb = np.full(((height + 1) // 2, (width + 1) // 2), 110, np.uint8)
            cr = np.full_like(cb, 150)
            first_size = None
            for preset in arguments.presets:
                target = pathlib.Path(folder) / f"{name}_{preset}.mp4"
                before, start = _children_cpu_seconds(), time.perf_counter()
                with video_encoding.VideoWriter(target, fps=info.fps, yuv_format=info.yuv_format,
                                                preset=preset) as writer:
                    for plane in planes:
                        writer.write_planes(plane, cb, cr)
                cpu = 1000 * (_children_cpu_seconds() - before) / len(planes)
                wall = 1000 * (time.perf_counter() - start) / len(planes)
                size = target.stat().st_size
                first_size = first_size or size
                say(f"| {name} | {preset} | {cpu:.1f} | {wall:.1f} | {size / 1e6:.2f} | {size / first_size:.2f} |")
            say(f"| {name} | (decoding its luma planes) | {decoding:.1f} | | | |")
    if not arguments.no_record:
        colorize_speed.append_record(RESULTS, say.lines)


if __name__ == "__main__":
    main()
