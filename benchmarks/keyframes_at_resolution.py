"""Keyframes carried along the flow at the output's own resolution, against plain DIS flow (issue #29).

Colours the test clips (the `test` split recorded in `SPLIT_RECORD`, or `--clips`) from true
frames given as keyframes, through the library's own path: `api.make_colorizer` of the shipped
default color preset, as `colornn colorize --keyframe` builds it, fed as `colorize_video_file`
feeds a video (its luma planes, the colours at its 4:2:0 chroma planes' size, for a YUV file; RGB
frames otherwise, or with `--rgb-frames`). Each frame's (U, V) is scored against the truth's at
`--short-side` (the clip resized with its aspect kept; never enlarged), and measures, per clip:

1. true frame 0 as the keyframe, with the flow at full, half and quarter size (`--flow-scales`),
   against the issue's baseline: frame 0's true colours carried frame to frame along OpenCV DIS
   flow (medium preset) at the clip's own resolution, each frame keeping its own luma, nothing
   filled where the flow fails (`dis_baseline`, written here apart from the library's code);
2. true frames 0 and the last as keyframes, blended by confidence against the nearer alone;
3. one true keyframe every `--spacings` frames, on the clips at least as long as the largest;
4. what fills where the flow fails (`--fills`: the color model's colours, the keyframe's own
   matched by luma, or none, as the baseline), with true frame 0 as the keyframe and with true
   frames 0 and the last blended by confidence, at `--flow-scale`.

Each colouring's scores: the project's AuC (`metrics.WithinThresholdCounts`, distances 0 to 0.3
in YUV units), the AuC over 0 to 0.15 (the issue's independent script), the AuC of the frames
that are not keyframes, U and V bin accuracy, CDC (`metrics.color_distribution_consistency`,
on the truth's luma with the colouring's (U, V), as `evaluation` scores clips), and its seconds a
frame: the time spent producing its colours, its own reading of the clip included, the reading of
the truth and the scoring left out. Clips stream: a few frames are held, besides the keyframes'
pictures, and the library's runs backwards spill to a temporary file (TMPDIR).

Appends the tables to `--output`/keyframes_at_resolution.md (default benchmarks/results/) under a
heading naming the command, the commit and the time, and the full results to the JSON beside it
(a list of runs). Usage:

    python benchmarks/keyframes_at_resolution.py [--clips NAME_OR_PATH ...] [--max-frames N]
        [--short-side 224] [--flow-scales 1 2 4] [--flow-scale 2] [--spacings 30 100 300]
        [--fills model keyframe flow] [--rgb-frames] [--precision auto] [--output FOLDER]

Measurements 1-3 fill as the library does by default; `--fills model` measures no other fill.
"""

import argparse
import collections
import datetime
import itertools
import json
import os
import pathlib
import resource
import subprocess
import sys
import time

import numpy as np

sys.path.insert(0, str(pathlib.Path(__file__).parent))
import colorize_speed  # noqa: E402 - the CPU's description and the record, as there.

ROOT = pathlib.Path(__file__).resolve().parents[1]
RESULTS = pathlib.Path(__file__).parent / "results"
NAME = "keyframes_at_resolution"
# The run whose recorded split names the project's test clips.
SPLIT_RECORD = ROOT / "experiments" / "2026-12-01_consistency_scheduled_sampling_block4_128" / "data.json"
# The AuC's largest distance in the issue's independent script (the project's is 0.3).
ISSUE_AUC_MAX_DISTANCE = 0.15
BASELINE = "frame 0 along DIS at the clip's resolution, no fill (baseline)"
CEILING = "true colours at the 4:2:0 planes' size (the most such output scores)"


def test_clips(record=SPLIT_RECORD):
    """The video files of the test split a run recorded, and the folder they are under."""
    data = json.loads(record.read_text())
    folder = (record.parents[2] / data["videos"]).resolve()
    return [folder / clip for clip in data["splits"]["test"]["clips"]], folder


def find_clip(name, folder):
    """A clip's video file from a path, a file under `folder`, or a folder under it holding one video."""
    from colornn_keras.data import video

    for path in (pathlib.Path(name), folder / name):
        if path.is_file():
            return path
        if path.is_dir():
            files = sorted(file for file in path.iterdir() if file.is_file() and video.is_video_file(file))
            if len(files) == 1:
                return files[0]
            raise SystemExit(f"{path} holds {len(files)} videos; name one of them.")
    raise SystemExit(f"No clip {name!r}: neither a video file nor a folder of one under {folder}.")


def scoring_size(width, height, short_side):
    """(width, height) with the shorter side `short_side` and the aspect kept; the clip's own if smaller."""
    if min(width, height) <= short_side:
        return width, height
    scale = short_side / min(width, height)
    return (short_side, round(height * scale)) if width <= height else (round(width * scale), short_side)


def resized(array, size):
    """A float array (H, W, C) at `size` (width, height): averaged where it shrinks, bilinear where it grows."""
    import cv2

    array = np.asarray(array, np.float32)
    height, width = array.shape[:2]
    if (width, height) == tuple(size):
        return array
    shrinking = size[0] <= width and size[1] <= height
    return cv2.resize(array, tuple(size), interpolation=cv2.INTER_AREA if shrinking else cv2.INTER_LINEAR)


def truth_yuv(frame, size):
    """A true RGB uint8 frame's BT.601 YUV (h, w, 3) at the scoring size `size`."""
    from colornn_keras import colorspace

    return colorspace.rgb_to_yuv(resized(np.asarray(frame, np.float32) / 255.0, size))


def dis_baseline(read_frames):
    """The issue's baseline: yields each frame's (U, V) at the clip's resolution, frame 0's true
    colours carried frame to frame along OpenCV DIS flow (medium preset), nothing filled where the
    flow fails; the frame's own luma is the truth's, as the scoring joins it."""
    import cv2

    from colornn_keras import colorspace

    dis = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM)
    previous_gray = uv = grid = None
    for frame in read_frames():
        gray = cv2.cvtColor(np.ascontiguousarray(frame), cv2.COLOR_RGB2GRAY)
        if uv is None:
            uv = np.ascontiguousarray(colorspace.rgb_to_yuv(frame.astype(np.float32) / 255.0)[..., 1:])
            height, width = gray.shape
            grid = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
        else:
            motion = dis.calc(gray, previous_gray, None)  # Where each pixel of this frame was in the previous.
            uv = cv2.remap(uv, grid[0] + motion[..., 0], grid[1] + motion[..., 1], cv2.INTER_LINEAR,
                           borderMode=cv2.BORDER_REPLICATE)
        previous_gray = gray
        yield uv


class DistributionConsistency:
    """`metrics.color_distribution_consistency` of frames given one at a time: only the last few
    frames' histograms are held."""

    def __init__(self, steps=(1, 2, 4), bins=64):
        self.steps, self.bins = steps, bins
        self.recent = collections.deque(maxlen=max(steps))
        self.sums = {step: [0.0, 0] for step in steps}

    def add(self, rgb):
        from colornn_keras import metrics

        histograms = metrics._channel_histograms(rgb, self.bins)  # The same histograms as the metric's.
        for step in self.steps:
            if len(self.recent) >= step:
                earlier = self.recent[-step]
                self.sums[step][0] += np.mean([metrics.jensen_shannon(a, b) for a, b in zip(earlier, histograms)])
                self.sums[step][1] += 1
        self.recent.append(histograms)

    def value(self):
        per_step = [total / count for total, count in self.sums.values() if count]
        return float(np.mean(per_step)) if per_step else None


class Score:
    """One colouring of one clip, scored frame by frame against the truth at the scoring size, and
    the seconds spent producing its colours (`timed`)."""

    def __init__(self, keyframes, num_bins):
        from colornn_keras import metrics

        self.keyframes, self.num_bins = set(keyframes), num_bins
        self.within = metrics.WithinThresholdCounts()
        self.within_issue = metrics.WithinThresholdCounts(ISSUE_AUC_MAX_DISTANCE)
        self.within_between = metrics.WithinThresholdCounts()
        self.correct, self.pixels, self.frames, self.seconds = {"u": 0, "v": 0}, 0, 0, 0.0
        self.consistency = DistributionConsistency()

    def add(self, index, truth, uv):
        """Scores frame `index`'s (U, V) (any size: brought to the truth's) against `truth`, the true YUV."""
        from colornn_keras import colorspace

        uv = resized(uv, (truth.shape[1], truth.shape[0]))
        true_uv = truth[..., 1:]
        self.within.add(uv, true_uv)
        self.within_issue.add(uv, true_uv)
        if index not in self.keyframes:
            self.within_between.add(uv, true_uv)
        predicted, true = colorspace.quantize_uv(uv, self.num_bins), colorspace.quantize_uv(true_uv, self.num_bins)
        for axis in ("u", "v"):
            self.correct[axis] += int(np.sum(predicted[axis] == true[axis]))
        self.pixels += true_uv[..., 0].size
        self.consistency.add(colorspace.yuv_to_rgb(np.concatenate([truth[..., :1], uv], axis=-1)))
        self.frames += 1

    def timed(self, colours):
        """`colours`' items, the time spent producing each added to `seconds`."""
        iterator = iter(colours)
        while True:
            start = time.perf_counter()
            item = next(iterator, None)
            self.seconds += time.perf_counter() - start
            if item is None:
                return
            yield item

    def summary(self):
        return {
            "auc": self.within.auc(), "auc_0_to_0.15": self.within_issue.auc(),
            "auc_between_keyframes": self.within_between.auc() if self.within_between.pixels else None,
            "u_accuracy": self.correct["u"] / self.pixels, "v_accuracy": self.correct["v"] / self.pixels,
            "cdc": self.consistency.value(), "seconds_per_frame": self.seconds / self.frames, "frames": self.frames,
            "keyframes": sorted(self.keyframes),
        }


class Clip:
    """One clip as the measurements read it: its first `frames` frames, streamed each time."""

    def __init__(self, path, name, max_frames, short_side, rgb_frames, keyframe_indices):
        from colornn_keras.data import video

        self.path, self.name, self.info = path, name, video.probe(path)
        self.count = self.info.frame_count
        if max_frames:
            self.count = min(self.count or max_frames, max_frames)
        self.size = scoring_size(self.info.width, self.info.height, short_side)
        self.as_planes = self.info.yuv_format is not None and not rgb_frames
        # One reading first: the true pictures of every keyframe asked for, the frames there are,
        # and the truth's own CDC (the floor of any colouring's, at the scoring size).
        self.pictures, truth_consistency, count = {}, DistributionConsistency(), 0
        wanted = keyframe_indices(self.count)
        for index, frame in enumerate(self.read_frames()):
            if index in wanted:
                self.pictures[index] = np.array(frame)
            truth_consistency.add(np.clip(resized(frame / np.float32(255.0), self.size), 0.0, 1.0))
            count += 1
        if count != self.count:
            raise SystemExit(f"{path} decodes to {count} frames, not the {self.count} it states.")
        self.truth_cdc = truth_consistency.value()

    def read_frames(self):
        from colornn_keras.data import video

        return video.read_frames(self.path, max_frames=self.count)

    def read_planes(self):
        from colornn_keras.data import video
        from colornn_keras.data import video_pipeline

        # As `colorize_video_file` reads them: decoded ahead in a thread.
        planes = itertools.islice(video.read_luma_planes(self.info), self.count)
        return video_pipeline.read_ahead(planes, depth=video_pipeline.PIPELINE_DEPTH)

    def truth(self):
        return (truth_yuv(frame, self.size) for frame in self.read_frames())

    def record(self):
        return {"path": str(self.path), "width": self.info.width, "height": self.info.height,
                "frames": self.count, "frames_in_file": self.info.frame_count, "fps": self.info.fps,
                "chroma": self.chroma, "scored_at": list(self.size), "ground_truth_cdc": self.truth_cdc}

    @property
    def chroma(self):
        if self.as_planes:
            return (f"4:2:0 planes {-(-self.info.width // 2)}x{-(-self.info.height // 2)} "
                    f"({self.info.yuv_format.matrix})")
        return f"RGB frames {self.info.width}x{self.info.height}"


def score_colouring(clip, colours, keyframes, num_bins):
    """Scores `colours` (each frame's (U, V), in order) against the clip's truth."""
    score = Score(keyframes, num_bins)
    truth = clip.truth()
    for index, uv in enumerate(score.timed(colours)):
        score.add(index, next(truth), uv)
    if score.frames != clip.count:
        raise RuntimeError(f"{clip.name}: {score.frames} frames coloured of {clip.count}.")
    return score.summary()


def library_colours(colorizer, clip, keyframes):
    """Each frame's (U, V) from `keyframes` (indices) carried along the flow by `colorizer`."""
    pictures = {index: clip.pictures[index] for index in keyframes}
    if clip.as_planes:
        pairs = colorizer.predict_chroma_planes_along_flow(clip.read_planes, clip.info.yuv_format, pictures,
                                                           source=clip.name)
    else:
        pairs = colorizer.predict_chroma_along_flow(clip.read_frames, pictures, source=clip.name)
    return (uv for _, uv in pairs)


def true_colours_at_chroma_size(colorizer, clip):
    """Each true frame's (U, V) at the chroma's size, as a keyframe is brought there: where that is
    the 4:2:0 planes', the best any colouring written in them can score against full-size truth."""
    width, height = clip.info.width, clip.info.height
    chroma_size = (-(-width // 2), -(-height // 2)) if clip.as_planes else (width, height)
    return (colorizer.keyframe_uv(frame, (width, height), chroma_size) for frame in clip.read_frames())


class Colorizers:
    """The library's `Colorizer` of the shipped default color preset, as `colornn colorize
    --keyframe ... --flow-scale S --keyframe-blend B --keyframe-fill F` builds it, one for each
    (S, B, F), warmed up on a small synthetic clip before anything is timed."""

    def __init__(self, precision):
        from colornn_keras import api, presets
        from colornn_keras.options import ColorizeOptions

        self.precision, self.made = precision, {}
        self.options = ColorizeOptions(precision=precision).check(keyframes=True)
        self.default = api.make_colorizer(self.options, keyframes=True)
        self.preset = presets.default_preset("color")

    def __call__(self, flow_scale, blend, fill):
        import dataclasses

        from colornn_keras.options import ColorizeOptions

        if (flow_scale, blend, fill) not in self.made:
            # The options `colornn colorize` would check; the same loaded model underneath.
            ColorizeOptions(precision=self.precision, flow_scale=flow_scale, keyframe_blend=blend,
                            keyframe_fill=fill).check(keyframes=True)
            colorizer = dataclasses.replace(self.default, flow_scale=flow_scale, keyframe_blend=blend,
                                            keyframe_fill=fill)
            # Warm-up: the first predictions of each batch size trace the model's graph.
            frames = [np.full((48, 64, 3), (60 + 4 * index, 90, 120), np.uint8)
                      for index in range(2 * colorizer.batch_size + 1)]
            for _ in colorizer.predict_chroma_along_flow(frames, {0: frames[0], len(frames) - 1: frames[-1]}):
                pass
            self.made[flow_scale, blend, fill] = colorizer
        return self.made[flow_scale, blend, fill]


# What each fill puts where the flow fails, for the tables (`--fills`).
FILLS_SHOWN = ("Fills: model, the color model's colours; keyframe, the keyframe's own matched by luma; flow, none "
               "(the colours carried, as the baseline, with the forward-backward check still lowering the confidence "
               "that weighs two keyframes' runs); features, the colours carried mixed with those of the color model's "
               "head refitted to the keyframes, by trust and age.")


def _fill_label(fill, keyframes, flow_scale):
    """A fill's run: "fill keyframe: keyframe 0, flow scale 2"."""
    return f"fill {fill}: {keyframes}, flow scale {flow_scale}"


def _mean(values):
    values = [value for value in values if value is not None]
    return float(np.mean(values)) if values else None


def _number(value, digits=3):
    return "–" if value is None else f"{value:.{digits}f}"


def _scores(summary, baseline=None):
    """A row's score cells: AuC (and its difference to `baseline`'s), AuC 0-0.15, U and V accuracy, CDC, s a frame."""
    difference = "" if baseline is None else f" ({summary['auc'] - baseline['auc']:+.3f})"
    return (f"{summary['auc']:.3f}{difference} | {summary['auc_0_to_0.15']:.3f} | "
            f"{_number(summary['auc_between_keyframes'])} | {100 * summary['u_accuracy']:.1f}% | "
            f"{100 * summary['v_accuracy']:.1f}% | {_number(summary['cdc'], 5)} | "
            f"{_number(summary['seconds_per_frame'])}")


HEADER = ("| AuC (vs baseline) | AuC 0-0.15 | AuC, keyframes left out | U acc | V acc | CDC | s a frame |",
          "|---:|---:|---:|---:|---:|---:|---:|")


def _mean_summary(summaries):
    keys = ("auc", "auc_0_to_0.15", "auc_between_keyframes", "u_accuracy", "v_accuracy", "cdc", "seconds_per_frame")
    return {key: _mean([summary[key] for summary in summaries]) for key in keys}


def main():
    from colornn_keras import defaults  # Light: no TensorFlow before the arguments are checked.

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", nargs="+",
                        help="clip folders under the videos folder (xiph_container_qcif), their files, or paths; "
                             f"default: the test split recorded in {SPLIT_RECORD.relative_to(ROOT)}")
    parser.add_argument("--max-frames", type=int, help="colour and score only each clip's first N frames")
    parser.add_argument("--short-side", type=int, default=224,
                        help="score at this shorter side, the aspect kept (a smaller clip at its own size)")
    parser.add_argument("--flow-scales", type=int, nargs="+", default=[1, 2, 4],
                        help="flow scales to measure with true frame 0 as the keyframe")
    parser.add_argument("--flow-scale", type=int,
                        help="the flow scale of the two-keyframe and spacing measurements (default: the library's)")
    parser.add_argument("--spacings", type=int, nargs="+", default=[30, 100, 300],
                        help="one true keyframe every N frames, on the clips at least as long as the largest N")
    parser.add_argument("--fills", nargs="+", choices=defaults.KEYFRAME_FILLS, default=list(defaults.KEYFRAME_FILLS),
                        help="what fills where the flow fails, each measured with true frame 0, and with true frames "
                             "0 and the last, as keyframes (at --flow-scale); default: all")
    parser.add_argument("--rgb-frames", action="store_true",
                        help="feed RGB frames (colours at the frames' size) even to YUV files, as the Python API's "
                             "frames do, instead of their luma planes (colours at the 4:2:0 planes' size)")
    parser.add_argument("--precision", default="auto", choices=("auto", "float32", "bfloat16"),
                        help="the color model's precision, as colorize's --precision")
    parser.add_argument("--output", type=pathlib.Path, default=RESULTS,
                        help=f"folder for {NAME}.md (appended) and {NAME}.json (a list of runs)")
    arguments = parser.parse_args()

    from colornn_keras import startup

    startup.import_tensorflow()  # Quietly.
    import tensorflow as tf

    tf.get_logger().setLevel("ERROR")  # Each flow scale's Colorizer traces its model afresh: not news.
    from colornn_keras import flow_carry, keyframes_along_flow, metrics
    from colornn_keras.models import color as color_models

    flow_scale = arguments.flow_scale or keyframes_along_flow.DEFAULT_FLOW_SCALE
    default_fill = flow_carry.DEFAULT_KEYFRAME_FILL
    fills = list(dict.fromkeys(arguments.fills))
    spacings = sorted(set(arguments.spacings))
    paths, videos = test_clips()
    if arguments.clips:
        paths = [find_clip(name, videos) for name in arguments.clips]
    load_at_start = colorize_speed._load()
    started = time.perf_counter()
    colorizers = Colorizers(arguments.precision)
    num_bins = color_models.num_bins_of(colorizers.default.color_model)

    def keyframe_indices(count):
        wanted = {0, count - 1}
        if count >= max(spacings):
            for spacing in spacings:
                wanted.update(range(0, count, spacing))
        return wanted

    results = {}
    for path in paths:
        # A clip of the videos folder by its folder's name (its file's names repeat), another by its file's.
        name = path.parent.name if path.resolve().parent.parent == videos else path.stem
        name = name if name not in results else f"{name} ({path})"
        clip = Clip(path, name, arguments.max_frames, arguments.short_side, arguments.rgb_frames, keyframe_indices)
        runs, done = {}, {}
        results[clip.name] = {**clip.record(), "runs": runs}
        print(f"{clip.name}: {clip.info.width}x{clip.info.height}, {clip.count} frames, {clip.chroma}, scored at "
              f"{clip.size[0]}x{clip.size[1]}", flush=True)

        def measure(label, colours, keyframes, key=None):
            if key is not None and key in done:
                runs[label] = done[key]
            else:
                runs[label] = score_colouring(clip, colours() if callable(colours) else colours, keyframes, num_bins)
                if key is not None:
                    done[key] = runs[label]
            summary = runs[label]
            print(f"  {label}: AuC {summary['auc']:.4f}, CDC {_number(summary['cdc'], 5)}, "
                  f"{_number(summary['seconds_per_frame'])} s a frame ({time.perf_counter() - started:.0f} s so far)",
                  flush=True)

        def along_flow(keyframes, scale, blend, fill=default_fill):
            key = (tuple(sorted(keyframes)), scale, blend, fill)
            measure_key = key if len(keyframes) > 1 else (key[0], scale, fill)  # The blend does not matter for one.
            return measure_key, lambda: library_colours(colorizers(scale, blend, fill), clip, keyframes)

        measure(BASELINE, lambda: dis_baseline(clip.read_frames), [0])
        if clip.as_planes:
            measure(CEILING, lambda: true_colours_at_chroma_size(colorizers.default, clip), range(clip.count))
            runs[CEILING]["seconds_per_frame"] = None  # A bound, not a way of colouring.
        for scale in arguments.flow_scales:
            key, colours = along_flow([0], scale, "confidence")
            measure(f"keyframe 0, flow scale {scale}", colours, [0], key)
        two = sorted({0, clip.count - 1})
        for blend in ("confidence", "nearest"):
            key, colours = along_flow(two, flow_scale, blend)
            measure(f"keyframes {two[0]} and {two[-1]}, {blend}, flow scale {flow_scale}", colours, two, key)
        if clip.count >= max(spacings):
            for spacing in spacings:
                keyframes = list(range(0, clip.count, spacing))
                key, colours = along_flow(keyframes, flow_scale, "confidence")
                measure(f"every {spacing} frames, flow scale {flow_scale}", colours, keyframes, key)
        for fill in fills:  # The default fill's runs are those above, not measured twice.
            key, colours = along_flow([0], flow_scale, "confidence", fill)
            measure(_fill_label(fill, "keyframe 0", flow_scale), colours, [0], key)
            key, colours = along_flow(two, flow_scale, "confidence", fill)
            measure(_fill_label(fill, f"keyframes {two[0]} and {two[-1]}, confidence", flow_scale), colours, two, key)
        clip.pictures = None

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    say = colorize_speed.Lines()
    say(f"CPU: {colorize_speed.cpu_description()}; load average {load_at_start} at the start, "
        f"{colorize_speed._load()} at the end; {time.perf_counter() - started:.0f} s in all; peak memory "
        f"{peak_mib:.0f} MiB")
    say(f"Shipped color preset {colorizers.preset}, precision {arguments.precision}, decoding "
        f"{colorizers.default.method}; flow scale {flow_scale}, blend by confidence and fill {default_fill} unless a "
        f"row says otherwise (the library's defaults: {keyframes_along_flow.DEFAULT_FLOW_SCALE}, confidence, "
        f"{default_fill}).")
    say("Scored against the true colours at the clip's size below: AuC over distances 0 to "
        f"{metrics.DEFAULT_AUC_MAX_DISTANCE} in YUV units (the project's), and 0 to {ISSUE_AUC_MAX_DISTANCE} (the "
        "issue's script); keyframes included, except in \"keyframes left out\". CDC on the truth's luma with the "
        "colouring's (U, V). s a frame: producing the colours, reading the clip included, scoring not.")
    say()
    say("| clip | size | frames | chroma coloured at | scored at | ground truth's CDC |")
    say("|---|---|---:|---|---|---:|")
    for name, record in results.items():
        say(f"| {name} | {record['width']}x{record['height']} | {record['frames']} | {record['chroma']} | "
            f"{record['scored_at'][0]}x{record['scored_at'][1]} | {_number(record['ground_truth_cdc'], 5)} |")

    def table(title, labels_of):
        say()
        say(f"## {title}")
        say()
        say(f"| clip | colouring {HEADER[0]}")
        say(f"|---|---{HEADER[1]}")
        by_label = collections.defaultdict(list)
        for name, record in results.items():
            baseline = record["runs"][BASELINE]
            for label, shown in labels_of(record):
                summary = record["runs"][label]
                by_label[shown].append((summary, baseline))
                say(f"| {name} | {shown} | {_scores(summary, None if label == BASELINE else baseline)} |")
        if len(results) > 1:
            for shown, pairs in by_label.items():
                if len(pairs) == len(results):
                    mean, mean_baseline = (_mean_summary([pair[index] for pair in pairs]) for index in (0, 1))
                    say(f"| mean of {len(pairs)} clips | {shown} | "
                        f"{_scores(mean, None if shown == BASELINE else mean_baseline)} |")

    table("1. True frame 0 as the keyframe: the flow's scale, against plain DIS flow",
          lambda record: [(label, label) for label in (BASELINE, CEILING) if label in record["runs"]]
          + [(f"keyframe 0, flow scale {scale}", f"flow scale {scale}") for scale in arguments.flow_scales])
    table("2. True frames 0 and the last as keyframes: blended by confidence, or the nearer alone",
          lambda record: [(label, label.split(", ")[1]) for label in record["runs"] if label.startswith("keyframes ")])
    spaced = {name: record for name, record in results.items()
              if any(label.startswith("every ") for label in record["runs"])}
    say()
    say(f"## 3. One true keyframe every {', '.join(map(str, spacings))} frames (clips of at least {max(spacings)} "
        "frames)")
    say()
    if spaced:
        say(f"| clip | spacing {HEADER[0]}")
        say(f"|---|---{HEADER[1]}")
        for name, record in spaced.items():
            for spacing in spacings:
                label = f"every {spacing} frames, flow scale {flow_scale}"
                keyframes = len(record["runs"][label]["keyframes"])
                say(f"| {name} | every {spacing} ({keyframes} keyframe{'s' * (keyframes > 1)}) | "
                    f"{_scores(record['runs'][label], record['runs'][BASELINE])} |")
    else:
        say(f"No clip has {max(spacings)} frames: not measured.")
    if fills:
        table(f"4. What fills where the flow fails (flow scale {flow_scale})",
              lambda record: [(BASELINE, BASELINE)] + [
                  (_fill_label(fill, label, flow_scale), f"{shown}, fill {fill}") for fill in fills
                  for label, shown in (("keyframe 0", "keyframe 0"),
                                       (f"keyframes 0 and {record['frames'] - 1}, confidence", "first and last"))])
        say()
        say(FILLS_SHOWN)

    arguments.output.mkdir(parents=True, exist_ok=True)
    colorize_speed.append_record(arguments.output / f"{NAME}.md", say.lines)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                            cwd=ROOT).stdout.strip() or "unknown"
    record = {
        "command": " ".join([f"benchmarks/{pathlib.Path(sys.argv[0]).name}", *sys.argv[1:]]), "commit": commit,
        "time": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": colorize_speed.cpu_description(), "cores": len(os.sched_getaffinity(0)),
        "load_average": {"start": load_at_start, "end": colorize_speed._load()}, "peak_mib": peak_mib,
        "preset": colorizers.preset, "precision": arguments.precision,
        "short_side": arguments.short_side, "flow_scale": flow_scale, "spacings": spacings, "fills": fills,
        "default_fill": default_fill,
        "auc_max_distance": metrics.DEFAULT_AUC_MAX_DISTANCE, "clips": results,
        "means": {label: _mean_summary([record["runs"][label] for record in results.values()])
                  for label in results[next(iter(results))]["runs"]
                  if all(label in record["runs"] for record in results.values())},
    }
    json_path = arguments.output / f"{NAME}.json"
    previous = json.loads(json_path.read_text()) if json_path.exists() else []
    json_path.write_text(json.dumps(previous + [record], indent=1) + "\n")
    print(f"Appended to {json_path}.")


if __name__ == "__main__":
    main()
