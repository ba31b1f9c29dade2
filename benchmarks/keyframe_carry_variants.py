"""Why one keyframe carried along the flow does not beat plain DIS flow by +0.02 AuC (issue #29).

Self-contained, no model: frame 0's true colours carried frame to frame along OpenCV DIS flow
(medium preset) at each test clip's own resolution, as `keyframes_at_resolution.dis_baseline`
carries them (the issue's baseline), against three ways the carrying might lose less:

- composed: the flow's positions composed frame to frame, and frame 0's colours sampled once at
  the composed positions, instead of resampled (and blurred) at every step;
- baseline + guided filter: the carried colours re-fitted to this frame's luma by a guided filter
  (He et al. 2010: in each window, U and V linear in the luma), so that colour edges follow this
  frame's luma edges instead of drifting;
- composed + linear model: frame 0's colours as the guided filter's linear model of its own luma,
  the model's coefficients carried along the composed positions and applied to each frame's luma,
  so that colours follow the luma's changes (glints, shading).

Scored as `keyframes_at_resolution` scores (the truth at `--short-side`, the project's AuC over 0 to
0.3 in YUV units), each clip cut into stretches of `--stretch` frames: the AuC of each stretch, and
the share of the frame whose composed position has left frame 0 (new content, for which frame 0
holds no colours at all). Appends a table to benchmarks/results/keyframe_carry_variants.md.

    python benchmarks/keyframe_carry_variants.py [--max-frames 120] [--stretch 60] [--radius 8] [--epsilon 1e-3]
"""

import argparse
import itertools
import pathlib
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import colorize_speed  # noqa: E402 - the CPU's description and the record, as there.
import keyframes_at_resolution  # noqa: E402 - the test clips, the baseline and the scoring size.

RESULTS = pathlib.Path(__file__).parent / "results" / "keyframe_carry_variants.md"
VARIANTS = ("baseline", "composed", "baseline + guided filter", "composed + linear model")


def box(plane, radius):
    import cv2

    return cv2.blur(plane, (2 * radius + 1, 2 * radius + 1), borderType=cv2.BORDER_REFLECT)


def linear_model(luma, uv, radius, epsilon):
    """The guided filter's per-pixel coefficients (a_U, b_U, a_V, b_V) of `uv` on `luma`, averaged over windows."""
    mean_luma = box(luma, radius)
    variance = box(luma * luma, radius) - mean_luma * mean_luma
    coefficients = []
    for axis in range(2):
        plane = np.ascontiguousarray(uv[..., axis])
        mean_plane = box(plane, radius)
        slope = (box(luma * plane, radius) - mean_luma * mean_plane) / (variance + epsilon)
        coefficients += [box(slope, radius), box(mean_plane - slope * mean_luma, radius)]
    return np.stack(coefficients, axis=-1).astype(np.float32)


def apply_model(coefficients, luma):
    return np.stack([coefficients[..., 0] * luma + coefficients[..., 1],
                     coefficients[..., 2] * luma + coefficients[..., 3]], axis=-1)


def remap(image, map_x, map_y):
    import cv2

    return cv2.remap(image, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def measure(path, max_frames, stretch, radius, epsilon, short_side):
    """{variant: [AuC of each stretch]}, [new content share of each stretch], frames, size, seconds."""
    import cv2

    from colornn_keras import colorspace, metrics
    from colornn_keras.data import video

    started = time.perf_counter()
    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    aucs, new_content = {name: [] for name in VARIANTS}, []
    counts, new_here = {name: metrics.WithinThresholdCounts() for name in VARIANTS}, []
    previous_gray = None
    frames = 0
    for index, frame in enumerate(itertools.islice(video.read_frames(path), max_frames)):
        yuv = colorspace.rgb_to_yuv(frame.astype(np.float32) / 255.0)
        luma = np.ascontiguousarray(yuv[..., 0])
        gray = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
        if previous_gray is None:
            height, width = gray.shape
            size = keyframes_at_resolution.scoring_size(width, height, short_side)
            grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
            first_uv = np.ascontiguousarray(yuv[..., 1:])
            first_model = linear_model(luma, first_uv, radius, epsilon)
            carried, map_x, map_y = first_uv, grid_x.copy(), grid_y.copy()
        else:
            motion = dis.calc(gray, previous_gray, None)  # Where each pixel of this frame was in the previous.
            step_x, step_y = grid_x + motion[..., 0], grid_y + motion[..., 1]
            carried = remap(carried, step_x, step_y)
            # A step that leaves the frame carries its overshoot, so that composed positions outside
            # frame 0 stay outside (replicating the border's positions would hide new content).
            map_x = remap(map_x, step_x, step_y) + (step_x - np.clip(step_x, 0, width - 1))
            map_y = remap(map_y, step_x, step_y) + (step_y - np.clip(step_y, 0, height - 1))
        previous_gray = gray
        colours = {
            "baseline": carried,
            "composed": remap(first_uv, map_x, map_y),
            "baseline + guided filter": apply_model(linear_model(luma, carried, radius, epsilon), luma),
            "composed + linear model": apply_model(remap(first_model, map_x, map_y), luma),
        }
        truth = keyframes_at_resolution.truth_yuv(frame, size)[..., 1:]
        for name, uv in colours.items():
            counts[name].add(keyframes_at_resolution.resized(uv, size), truth)
        outside = (map_x < 0) | (map_x > width - 1) | (map_y < 0) | (map_y > height - 1)
        new_here.append(float(np.mean(outside)))
        frames += 1
        if frames % stretch == 0:
            for name in VARIANTS:
                aucs[name].append(counts[name].auc())
            counts = {name: metrics.WithinThresholdCounts() for name in VARIANTS}
            new_content.append(float(np.mean(new_here)))
            new_here = []
    return aucs, new_content, frames, (width, height), time.perf_counter() - started



def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-frames", type=int, default=120)
    parser.add_argument("--stretch", type=int, default=60, help="frames in each scored stretch")
    parser.add_argument("--radius", type=int, default=8, help="the guided filter's window radius, in pixels")
    parser.add_argument("--epsilon", type=float, default=1e-3, help="the guided filter's regularization")
    parser.add_argument("--short-side", type=int, default=224)
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS)
    arguments = parser.parse_args()
    paths, _ = keyframes_at_resolution.test_clips()
    load_at_start = colorize_speed._load()
    lines = [f"CPU: {colorize_speed.cpu_description()}; load average {load_at_start} at the start",
             f"Guided filter radius {arguments.radius} px, epsilon {arguments.epsilon}; AuC over 0 to 0.3 in YUV "
             f"units, the truth at a {arguments.short_side}-pixel short side; frame 0 is the keyframe.", "",
             "| clip | size | frames | " + " | ".join(f"{name} AuC" for name in VARIANTS) + " | new content |",
             "|---|---|---|" + "---:|" * (len(VARIANTS) + 1)]
    for path in paths:
        aucs, new_content, frames, (width, height), seconds = measure(
            path, arguments.max_frames, arguments.stretch, arguments.radius, arguments.epsilon,
            arguments.short_side)
        for number, share in enumerate(new_content):
            first = number * arguments.stretch
            baseline = aucs["baseline"][number]
            cells = [f"{baseline:.4f}"] + [f"{aucs[name][number]:.4f} ({aucs[name][number] - baseline:+.4f})"
                                           for name in VARIANTS[1:]]
            line = (f"| {path.parent.name} | {width}x{height} | {first}-{first + arguments.stretch - 1} | "
                    + " | ".join(cells) + f" | {share:.0%} |")
            lines.append(line)
            print(line, flush=True)
        print(f"{path.parent.name}: {frames} frames in {seconds:.0f} s", flush=True)
    lines += ["", "New content: the share of the stretch's pixels whose composed position lies outside frame 0.",
              f"Load average {colorize_speed._load()} at the end."]
    arguments.output.parent.mkdir(parents=True, exist_ok=True)
    colorize_speed.append_record(arguments.output, lines)


if __name__ == "__main__":
    main()
