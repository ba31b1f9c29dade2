"""The commands that colour, `colornn colorize` and `colornn demo`: their checks, progress and messages.

What `colornn colorize` can refuse without TensorFlow it refuses first (`precheck_colorize`), then
before the models load (a bad keyframe, an output name of another kind); the library does the
colouring (`colorize_files`, `demo`).
"""

import os
import pathlib
import sys

from colornn_keras import errors
from colornn_keras.cli import run_commands


def colorize_options(arguments):
    """The checked `ColorizeOptions` of a colorize or demo command line (no TensorFlow needed)."""
    from colornn_keras.options import ColorizeOptions

    options = ColorizeOptions.from_arguments(arguments)
    return options.check(keyframes=bool(getattr(arguments, "keyframe", None)), style="cli")


def load_colorizer(arguments, frames=1):
    from colornn_keras import api

    options = colorize_options(arguments)
    for run_dir in (options.consistency_run, options.color_run, options.flow_guided_run):
        if run_dir:
            run_commands.check_run(run_dir)
    return api.make_colorizer(options, keyframes=bool(getattr(arguments, "keyframe", None)), frames=frames,
                              announce=None if arguments.quiet else _announce_exports)


def _announce_exports(engine, *models):
    """Says so before a model is exported for an engine: once per weights and size, it takes a while."""
    from colornn_keras import engines

    for model in models:
        path = engines.pending_export(model, engine)
        if path is not None:
            print(f"colornn: exporting {model.name} for {engines.choose(engine, model)[0]}, once (cached as {path}); "
                  "this takes a minute or so", file=sys.stderr)


# Without a terminal (a log file, a pipe), progress is a plain line at most this often.
PLAIN_PROGRESS_SECONDS = 30.0


def progress_for(arguments, total, unit="frame", stream=None):
    """A progress callable (given the count just finished) for `total` units of work: a bar on a
    terminal; elsewhere a plain line every `PLAIN_PROGRESS_SECONDS` and at the end, so a log
    holds no escape codes; None with --quiet."""
    if arguments.quiet:
        return None
    stream = stream or sys.stdout
    if stream.isatty():
        import keras

        bar = keras.utils.Progbar(total, unit_name=unit)
        return lambda count: bar.add(count)
    import time

    state = {"done": 0, "start": time.monotonic(), "shown": time.monotonic()}
    units = unit + ("es" if unit.endswith("s") else "s")  # frames, frame-passes

    def report(count):
        state["done"] += count
        now = time.monotonic()
        if state["done"] >= total or now - state["shown"] >= PLAIN_PROGRESS_SECONDS:
            state["shown"] = now
            rate = state["done"] / max(now - state["start"], 1e-9)
            print(f"colornn: {state['done']}/{total} {units} ({rate:.1f} {units}/s)", file=stream, flush=True)

    return report


def _count_work(source, allow_truncated, is_video):
    from colornn_keras.data import images
    from colornn_keras.data import pictures
    from colornn_keras.data import video

    source = pathlib.Path(source)
    if is_video:
        return video.probe(source, allow_truncated=allow_truncated).frame_count
    if source.is_dir():
        return len(images.find_images(source))
    if source.suffix.lower() in images.IMAGE_EXTENSIONS:
        pictures.read_image(source)
    return 1


def _parse_keyframes(specs):
    """{frame index: image path} from `--keyframe INDEX:IMAGE` arguments; a one-line error for a
    malformed or repeated one."""
    keyframes = {}
    for spec in specs or ():
        index, separator, image = spec.partition(":")
        index = index.strip()
        if not (separator and index.isascii() and index.isdigit() and image):
            raise errors.ColorNNError(f"--keyframe {spec!r} is not INDEX:IMAGE (a frame number from 0, a colon, an "
                                      "image file), e.g. --keyframe 0:first_frame.png.")
        if int(index) in keyframes:
            raise errors.ColorNNError(f"--keyframe gives frame {int(index)} twice.")
        keyframes[int(index)] = image
    return keyframes


def colorize(arguments):
    from colornn_keras import colorize_files
    from colornn_keras.data import images
    from colornn_keras.data import keyframes as keyframe_pictures

    source = pathlib.Path(arguments.input)
    if not source.exists():
        raise errors.InputError(f"{source} does not exist.")
    keyframes = _parse_keyframes(arguments.keyframe)
    is_video = colorize_files.colored_as_video(source, arguments.folder_as)  # --as video: frames of one size.
    if keyframes and not is_video:
        raise errors.InputError(f"{source} is not a video (or a folder of numbered frames): --keyframe colours videos.")
    # Also rejects unreadable and truncated videos, bad frames and empty folders before any work.
    total = _count_work(source, arguments.allow_truncated, is_video)
    if source.is_dir() and arguments.folder_as is None and not arguments.quiet:
        print(f"colornn: {_folder_decision(source, is_video, total)}", file=sys.stderr)
    if keyframes:  # Bad keyframes too, before the models load.
        keyframe_pictures.check_keyframe_indices(keyframes, total, source)
        keyframes = keyframe_pictures.read_keyframes(keyframes)
    if arguments.output is not None:  # A name that says another kind of output, before the models load.
        colorize_files.check_output_name(source, arguments.output, source.is_dir() and is_video)
    colorizer = load_colorizer(arguments, total)
    passes = colorizer.passes(bool(keyframes)) if is_video else 1
    work = colorizer.progress_total(total, keyframes) if is_video else total
    if passes > 1 and not arguments.quiet:
        print(f"colornn: {total} frames read whole, {passes} passes over them (reading, colouring, "
              f"{'smoothing both ways, ' if colorizer.both_ways and not keyframes else ''}writing); the progress "
              "counts every pass", file=sys.stderr)
    elif work > total and not arguments.quiet:
        print(f"colornn: {total} frames, and {work - total} frame-passes before the last keyframe (read ahead, and "
              "its colours carried back); the progress counts every one", file=sys.stderr)
    unit = ("frame" if work == total else "frame-pass") if is_video else "photo"
    progress = progress_for(arguments, work, unit)
    # A folder as decided above, whatever it is named.
    folder_as = ("video" if is_video else "photos") if source.is_dir() else arguments.folder_as
    report = colorize_files.colorize(colorizer, source, arguments.output, arguments.overwrite, progress,
                                     allow_truncated=arguments.allow_truncated, keyframes=keyframes,
                                     x264_preset=arguments.x264_preset, crf=arguments.crf, folder_as=folder_as)
    if report.skipped:
        shown = ", ".join(report.skipped[:5]) + (", ..." if len(report.skipped) > 5 else "")
        print(f"colornn: skipped {len(report.skipped)} files that are not images it colours "
              f"({', '.join(extension[1:] for extension in images.IMAGE_EXTENSIONS)}): {shown}", file=sys.stderr)
    for path, message in report.failures:
        print(f"colornn: failed: {path}: {message}", file=sys.stderr)
    if not arguments.quiet:
        print(_wrote(report, source, arguments.output, is_video))
    if report.failures:
        raise errors.ColorNNError(
            f"{len(report.failures)} of {len(report.failures) + len(report.outputs)} files failed (listed above).")


def _folder_decision(folder, is_video, count):
    """One line: how a folder of `count` images was decided to be coloured (without --as), why,
    and how to have the other; e.g. "12 numbered images of one size: coloured as a video; --as
    photos colours them as photos"."""
    from colornn_keras.data import frame_folders

    if is_video:
        return f"{count} numbered images of one size: coloured as a video; --as photos colours them as photos"
    because = frame_folders.not_frames_because(folder)
    line = f"{count} image{'' if count == 1 else 's'}, {because}: coloured as photos"
    if because == "not named by frame number":
        line += "; --as video colours them as one video, in name order"
    return line


def _wrote(report, source, output, is_video):
    """The last line of a colorize run: what was written, and where."""
    from colornn_keras import colorize_files

    if is_video:
        return f"Wrote {report.outputs[0]} ({report.frames} frames)"
    if len(report.outputs) == 1 and not source.is_dir():
        return f"Wrote {report.outputs[0]}"
    folder = pathlib.Path(output) if output else colorize_files.default_output(source)
    return f"Wrote {len(report.outputs)} photo{'s' if len(report.outputs) != 1 else ''} to {folder}{os.sep}"


def make_demo(arguments):
    from colornn_keras import demo

    folder = pathlib.Path(arguments.output) if arguments.output else demo.free_folder(pathlib.Path("colornn_demo"))
    # A bad input or folder is reported before the model loads, and before the folder is made.
    demo_input = demo.check_input(arguments.input, folder, arguments.overwrite, arguments.allow_truncated)
    written = demo.write_demo(load_colorizer(arguments), demo_input)
    print("Wrote " + ", ".join(str(path) for path in written))


def precheck_colorize(arguments):
    """What `colornn colorize` can refuse before TensorFlow loads (seconds): a missing input, a
    malformed keyframe, options that do not combine."""
    colorize_options(arguments)
    if not pathlib.Path(arguments.input).exists():
        raise errors.InputError(f"{arguments.input} does not exist.")
    _parse_keyframes(arguments.keyframe)
