"""The `colornn` command line's arguments: `build_parser` describes each command and its options.

It runs nothing: each command names its handler (in `run_commands` or `colorize_commands`) as
`handler`, and `colornn colorize` a `precheck` too, what it can refuse before TensorFlow loads.
"""

import argparse

# Light on purpose: TensorFlow loads only once a command runs (see `colornn_keras.cli`).
from colornn_keras import defaults
from colornn_keras import startup
from colornn_keras.cli import colorize_commands
from colornn_keras.cli import run_commands


def _add_run_arguments(parser, default_name):
    """The arguments every training run has: naming, resuming, seeding, limits, progress."""
    parser.add_argument("--resume", metavar="RUN_DIR", help="continue a killed run from its last finished epoch")
    parser.add_argument("--name", default=default_name, help="run name: the folder is experiments/<date>_<name>")
    parser.add_argument("--runs-root", default="experiments", help="where run folders are created")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, shuffling and initialization")
    parser.add_argument("--max-minutes", type=float,
                        help="stop at an epoch end before this much time has passed (with --resume: for this continuation)")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def _progressive_stage(text):
    """`64:3` -> (64, 3), for argparse."""
    size, separator, epochs = text.partition(":")
    if not (separator and size.isdigit() and epochs.isdigit()):
        raise argparse.ArgumentTypeError(f"{text!r} is not SIZE:EPOCHS, e.g. 64:3")
    return int(size), int(epochs)


def _oversampled_sets(text):
    """`sun_*:3` -> ("sun_*", 3), for argparse."""
    pattern, separator, times = text.rpartition(":")
    if not (separator and pattern and times.isdigit() and int(times) >= 1):
        raise argparse.ArgumentTypeError(f"{text!r} is not GLOB:TIMES with TIMES at least 1, e.g. 'sun_*:3'")
    return pattern, int(times)


def _add_color_training_arguments(parser):
    parser.add_argument("--data", help="folder of colour images (searched recursively)")
    _add_run_arguments(parser, default_name="color")
    parser.add_argument("--variant", choices=defaults.VARIANTS, default="classification")
    parser.add_argument("--image-size", type=int, default=224, help="model input side (paper: 224)")
    parser.add_argument("--num-bins", type=int, default=defaults.DEFAULT_NUM_BINS, help="bins per chroma axis")
    parser.add_argument("--batch-size", type=int, default=15)
    parser.add_argument("--epochs", type=int, default=100, help="most epochs (paper: 100)")
    parser.add_argument("--patience", type=int, default=10, help="epochs without val_loss improvement before stopping")
    parser.add_argument("--learning-rate", type=float, default=1e-3, help="Adam's learning rate")
    parser.add_argument("--precision", choices=defaults.PRECISIONS, default="auto",
                        help="auto: bfloat16 where the CPU/GPU computes it in hardware")
    parser.add_argument("--split", type=float, nargs=3, default=defaults.PAPER_SPLIT, metavar=("TRAIN", "VAL", "TEST"),
                        help="counts (3000 500 500) or fractions (0.8 0.1 0.1) of the colour images")
    parser.add_argument("--grayscale-threshold", type=float, default=defaults.DEFAULT_GRAYSCALE_THRESHOLD,
                        help="mean chroma (0-255) below which a photo is black-and-white and left out")
    parser.add_argument("--distribute", choices=defaults.STRATEGIES, default="auto",
                        help="auto: several workers in TF_CONFIG -> multi_worker, several GPUs -> mirrored; "
                             "--batch-size is then per replica")
    parser.add_argument("--rebalance", type=float, metavar="MIX",
                        help="class rebalancing (Zhang et al.): weight bins by rarity, mixed with uniform by MIX "
                             "(their lambda, 0.5; 1 = none)")
    parser.add_argument("--max-images", type=int,
                        help="use a seeded sample of at most this many colour images (for a quick run or a class)")
    beyond = parser.add_argument_group("data selection and training beyond the paper")
    beyond.add_argument("--include", action="append", metavar="GLOB",
                        help="train on the sets (top-level folders of --data) matching GLOB; repeatable. Default: "
                             f"the paper's water sets where --data holds them ({', '.join(defaults.PAPER_SETS)}), "
                             "else all; --include '*' for all")
    beyond.add_argument("--exclude", action="append", default=[], metavar="GLOB", help="leave out matching sets; repeatable")
    beyond.add_argument("--wide-holdout", type=int, nargs=2, default=defaults.WIDE_HOLDOUT, metavar=("VAL", "TEST"),
                        help="photos of the non-water sets held out for validation and the wide test split")
    beyond.add_argument("--augmentation", choices=defaults.AUGMENTATIONS, default="crop_flip",
                        help="crop_flip: random square crop and mirror (paper era); resized_crop: random resized "
                             "crop (35-100%% of the area) and mirror")
    beyond.add_argument("--schedule", choices=defaults.SCHEDULES, default="constant",
                        help="learning rate: constant (paper) or linear warm-up then cosine decay over --epochs")
    beyond.add_argument("--warmup-epochs", type=float, default=1.0, help="cosine: epochs of linear warm-up")
    beyond.add_argument("--optimizer", choices=defaults.OPTIMIZERS, default="adam")
    beyond.add_argument("--weight-decay", type=float, default=1e-4, help="AdamW's decoupled weight decay")
    beyond.add_argument("--steps-per-epoch", type=int,
                        help="batches per epoch (default: one pass); shorter epochs validate and checkpoint more often")
    beyond.add_argument("--progressive", action="append", type=_progressive_stage, default=[], metavar="SIZE:EPOCHS",
                        help="progressive resizing: train EPOCHS epochs at SIZE first (repeatable, in order), then "
                             "the rest at --image-size; every epoch is validated at --image-size")
    beyond.add_argument("--oversample", action="append", type=_oversampled_sets, default=[], metavar="GLOB:TIMES",
                        help="repeat the training photos of the sets matching GLOB TIMES times in each pass (a "
                             "weighted mix, e.g. the water sets against the rest); repeatable")
    beyond.add_argument("--init-from", metavar="RUN_OR_FILE",
                        help="start the decoder from a color run folder, a trained-part file, or 'color' (shipped)")
    beyond.add_argument("--fine-tune-from", metavar="LAYER",
                        help="also train VGG16 from this convolution on (e.g. block3_conv1); beyond the paper, "
                             "which keeps VGG16 frozen. Best with --init-from a converged run and a lower rate")
    beyond.add_argument("--deepest-tap", choices=defaults.DEEPEST_TAPS, default=defaults.DEEPEST_TAPS[0],
                        help="the decoder's coarsest VGG16 tap: block5_conv3 adds a fifth, for more context "
                             "(--image-size then a multiple of 16)")


# A video model's color run from another file of its model: the run's own may not be kept.
COLOR_WEIGHTS_HELP = ("load this trained-part file of the color run's model instead of the run's own (the file "
                      "shipped from it, say)")


def _add_consistency_training_arguments(parser):
    parser.add_argument("--videos", help="folder of clips: video files or folders of numbered frames")
    parser.add_argument("--color-run", help="run folder of the trained color model (frozen inside)")
    _add_run_arguments(parser, default_name="consistency")
    parser.add_argument("--stride", type=int, default=1, help="keep every k-th frame (the lower-frame-rate test)")
    parser.add_argument("--epochs", type=int, default=10, help="epochs (paper: 10); the best val epoch is kept")
    parser.add_argument("--batch-size", type=int, default=15)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--split", type=float, nargs=3, default=defaults.PAPER_CLIP_SPLIT, metavar=("TRAIN", "VAL", "TEST"),
                        help="clips for train/val/test (paper: 7 3 3), split by clip, never by frame")
    parser.add_argument("--max-frames", type=int, help="use at most this many frames of each clip")
    parser.add_argument("--decoding", choices=defaults.DECODING_METHODS, default="annealed_mean",
                        help="how distributions become colours, for the fed-back context and the measures")
    parser.add_argument("--scheduled-sampling", type=float, default=0.0, metavar="P",
                        help="feed the model's own prediction of the previous frame with probability P "
                             "(0: always the ground truth, as the paper)")
    parser.add_argument("--sampled-context", choices=defaults.SAMPLED_CONTEXTS, default="one_step",
                        help="with --scheduled-sampling: the model's prediction of the previous frame from its true "
                             "colours (one_step), or from the model's own roll-out over the clip (free_running)")
    parser.add_argument("--scene-cut-threshold", type=float, default=defaults.DEFAULT_SCENE_CUT_THRESHOLD,
                        help="luma-histogram jump that resets the context to the color model")
    parser.add_argument("--model", choices=defaults.CONSISTENCY_MODELS, default="paper",
                        help="paper: the previous frame's colours as context; recurrent: a ConvLSTM memory")
    parser.add_argument("--window", type=int, default=8,
                        help="recurrent: frames per training window (truncated back-propagation through time)")
    parser.add_argument("--hidden-filters", type=int, default=32, help="recurrent: channels of the ConvLSTM state")
    parser.add_argument("--residual", action="store_true",
                        help="paper model: add a learned correction, starting at zero, to the color model's own "
                             "logits (beyond the paper; the untrained model colours as the color model alone)")
    parser.add_argument("--color-weights", metavar="FILE", help=COLOR_WEIGHTS_HELP)


def _add_flow_guided_training_arguments(parser):
    parser.add_argument("--videos", required=True, help="folder of clips: video files or folders of numbered frames")
    parser.add_argument("--color-run", required=True, help="run folder of the trained color model (its colours are the fallback)")
    parser.add_argument("--name", default="flow_guided", help="run name: the folder is experiments/<date>_<name>")
    parser.add_argument("--runs-root", default="experiments", help="where run folders are created")
    parser.add_argument("--seed", type=int, default=0, help="seed of the split, shuffling and initialization")
    parser.add_argument("--max-minutes", type=float, help="start no new round after this much time")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.add_argument("--start", choices=defaults.GUIDED_STARTS, default="keyframe",
                        help="what roll-outs start from: keyframe (true colours: for --keyframe) or color_model "
                             "(the color model's: the automatic mode)")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of roll-outs of the current model, then fit")
    parser.add_argument("--epochs-per-round", type=int, default=2)
    parser.add_argument("--rollout-length", type=int, default=100, help="frames each roll-out runs on its own output")
    parser.add_argument("--rollout-stride", type=int, default=50, help="frames between roll-out starts")
    parser.add_argument("--crop-size", type=int, default=64, help="side of the random training crops")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--learning-rate", type=float, default=1e-3)
    parser.add_argument("--filters", type=int, default=32)
    parser.add_argument("--split", type=float, nargs=3, default=defaults.PAPER_CLIP_SPLIT, metavar=("TRAIN", "VAL", "TEST"),
                        help="clips for train/val/test, split by clip as `train consistency` splits them")
    parser.add_argument("--max-frames", type=int, help="use at most this many frames of each clip")
    parser.add_argument("--cache-dir", help="keep the color model's colours of each clip here, for later runs")


def _crf(text):
    """x264's constant-rate factor, 0 to 51, for argparse."""
    try:
        value = float(text)
    except ValueError:
        value = None
    if value is None or not 0 <= value <= 51:
        raise argparse.ArgumentTypeError(f"a number from 0 to 51 is expected, got {text!r}")
    return int(value) if value.is_integer() else value


def _colorize_groups(parser):
    """The argument groups of `colornn colorize` and `colornn demo`, in the order `--help` shows
    them. Help texts stay short and hold no measured figures: docs/cli.md explains each option."""
    return {name: parser.add_argument_group(name) for name in
            ("input and output", "video", "models", "engine and speed")}


def _add_colorize_arguments(groups, quiet_help="no progress or notes"):
    """The options `colornn colorize` and `colornn demo` share, into `_colorize_groups`."""
    put, video, models, speed = (groups[name] for name in ("input and output", "video", "models", "engine and speed"))
    put.add_argument("--overwrite", action="store_true", help="replace existing output")
    put.add_argument("--quiet", action="store_true", help=quiet_help)
    video.add_argument("--consistency", action="store_true",
                       help="the shipped consistency model, free-running with resets at scene cuts (opt-in: it "
                            "drifts; the default colours each frame with the color model)")
    video.add_argument("--scene-cut-threshold", type=float, default=defaults.DEFAULT_SCENE_CUT_THRESHOLD,
                       help="luma-histogram jump that counts as a scene cut and resets the colour context")
    video.add_argument("--allow-truncated", action="store_true",
                       help="colour what a truncated or damaged video holds, with a warning, instead of refusing it")
    models.add_argument("--weights", metavar="PRESET",
                        help="a shipped preset instead of the default (`colornn presets` lists them); "
                             "'paper': the paper-protocol color model")
    models.add_argument("--model", choices=defaults.COLORIZE_MODELS, default="color",
                        help="videos: which shipped model colours them (consistency = --consistency)")
    models.add_argument("--decoding", choices=defaults.DECODING_METHODS, default="annealed_mean",
                        help="how a distribution over colour bins becomes a colour")
    models.add_argument("--color-run", metavar="RUN", help="the color model of a `colornn train color` run folder")
    models.add_argument("--consistency-run", metavar="RUN",
                        help="the models of a `colornn train consistency` run folder")
    speed.add_argument("--precision", choices=defaults.PRECISIONS, default="auto",
                       help="auto: bfloat16 where the CPU or GPU computes it in hardware, else float32")
    speed.add_argument("--batch-size", type=int, default=8, help="frames per prediction where frames are independent")


def build_parser():
    parser = argparse.ArgumentParser(
        prog="colornn",
        description="ColorNN-Keras: colorize black-and-white photos and video (Gupta & Kannan's ColorNN Book).",
    )
    parser.add_argument("--verbose", action="store_true",
                        help=f"show TensorFlow's start-up messages (also {startup.VERBOSE_ENV_VARIABLE}=1)")
    commands = parser.add_subparsers(dest="command", required=True)

    train = commands.add_parser("train", help="train a model and record the run in experiments/")
    train_models = train.add_subparsers(dest="model", required=True)
    train_color = train_models.add_parser("color", help="the color model on a folder of colour images")
    _add_color_training_arguments(train_color)
    train_color.set_defaults(handler=run_commands.train_color)
    train_consistency = train_models.add_parser("consistency", help="the consistency model on video clips")
    _add_consistency_training_arguments(train_consistency)
    train_consistency.set_defaults(handler=run_commands.train_consistency)
    train_guided = train_models.add_parser(
        "flow-guided", help="the flow-guided propagator (beyond the paper) on video clips, over a color run")
    _add_flow_guided_training_arguments(train_guided)
    train_guided.set_defaults(handler=run_commands.train_flow_guided)

    colorize = commands.add_parser(
        "colorize", help="colorize an image, a folder of images, a video or a folder of numbered frames",
        description="Colorize an image, a folder of images, a video or a folder of numbered frames. Every "
                    "option is explained in docs/cli.md.")
    groups = _colorize_groups(colorize)
    put, video_options, models, speed = groups.values()
    put.add_argument("input", help="an image, a folder of images, a video, or a folder of numbered frames")
    put.add_argument("-o", "--output",
                     help="output file or folder (default: <input>_colorized beside the input: photo_colorized.jpg, "
                          "clip_colorized.mp4, or a folder)")
    put.add_argument("--as", dest="folder_as", choices=("photos", "video"),
                     help="how a folder is coloured: photos (one by one, into a folder) or video (its images in name "
                          "order, all of one size, into an .mp4). Default: a video when its images are named by "
                          "frame number and of one size, else photos; the choice is printed")
    video_options.add_argument("--keyframe", action="append", metavar="INDEX:IMAGE",
                               help="IMAGE is a colour picture of frame INDEX (from 0), any size; repeatable. Its "
                                    "colours are carried through its shot")
    video_options.add_argument("--keyframe-propagation", choices=("flow", "model", "guided"),
                               help="how keyframes' colours travel: flow (along optical flow at the video's own "
                                    "resolution, the default), model (the consistency model), guided (the model of "
                                    "--flow-guided-run); model and guided work at the model's 128x128 size")
    video_options.add_argument("--flow-scale", type=int, choices=defaults.FLOW_SCALES,
                               help="keyframes along the flow: compute the flow on the luma at full (1), half (2) "
                                    f"or quarter (4) size (default {defaults.DEFAULT_FLOW_SCALE}); smaller is faster "
                                    "and follows less fine motion")
    video_options.add_argument("--keyframe-blend", choices=defaults.KEYFRAME_BLENDS,
                               help="keyframes along the flow, between two keyframes of a shot: confidence (the "
                                    "default: both keyframes' colours, weighted by how well each was carried and how "
                                    "near it is) or nearest (the nearer keyframe's alone)")
    video_options.add_argument("--keyframe-fill", choices=defaults.KEYFRAME_FILLS,
                               help="keyframes along the flow, where the flow fails (occlusions, new content, frame "
                                    "edges): model (the color model's colours), keyframe (the keyframe's own colours "
                                    "matched by luma), flow (the colours carried all the same, as plain optical "
                                    "flow does) or features (the colours carried, mixed by trust and age with those "
                                    "of the color model's head refitted to the keyframes); default "
                                    f"{defaults.DEFAULT_KEYFRAME_FILL}")
    video_options.add_argument("--smooth-along-flow", type=float, metavar="WEIGHT",
                               help="steadier colour: each frame takes WEIGHT of the previous frame's colours, "
                                    "carried along optical flow (try 0.9). Off by default")
    video_options.add_argument("--both-ways", action="store_true",
                               help="with --smooth-along-flow: smooth each shot backwards too and take the mean (the "
                                    "video is read twice)")
    _add_colorize_arguments(groups, quiet_help="errors only: no progress, notes or final 'Wrote' line")
    video_options.add_argument("--x264-preset", choices=defaults.X264_PRESETS, default=defaults.DEFAULT_X264_PRESET,
                               help="x264's speed against file size (default veryfast; ultrafast: faster, larger "
                                    "files)")
    video_options.add_argument("--crf", type=_crf, default=defaults.DEFAULT_CRF,
                               help="x264's constant-rate factor, 0 (lossless) to 51 (default 23; lower: larger files, "
                                    "closer to the colours computed)")
    models.add_argument("--flow-guided-run", metavar="RUN",
                        help="videos: the models of a `colornn train flow-guided` run folder: they carry keyframes, "
                             "and colour shots without one automatically")
    speed.add_argument("--engine", choices=defaults.ENGINES, default="auto",
                       help="what runs the models: auto (default: the fastest installed of OpenVINO, ONNX Runtime and "
                            "TensorFlow), or one by name; OpenVINO and ONNX Runtime are optional "
                            "(pip install \"colornn-keras[engines]\")")
    colorize.set_defaults(handler=colorize_commands.colorize, precheck=colorize_commands.precheck_colorize)

    demo = commands.add_parser(
        "demo", help="colorize a real photograph (or your file) turned gray, side by side",
        description="Turn a photograph (or your image or video) gray, colorize it, and write the gray, colorized "
                    "and original pictures and a labelled side-by-side into a new folder.")
    demo_groups = _colorize_groups(demo)
    demo_groups["input and output"].add_argument(
        "input", nargs="?", help="your image or video (default: a photograph shipped with matplotlib)")
    demo_groups["input and output"].add_argument(
        "-o", "--output", help="output folder (default: colornn_demo, or colornn_demo_2, ... if taken)")
    _add_colorize_arguments(demo_groups)
    demo.set_defaults(handler=colorize_commands.make_demo)

    reproduce = commands.add_parser(
        "reproduce", help="the paper's whole protocol (color, regression, consistency, lower frame rate) and a report")
    reproduce.add_argument("--data", help="folder of colour photos")
    reproduce.add_argument("--videos", help="folder of clips: video files or folders of numbered frames")
    reproduce.add_argument("--profile", choices=("quick", "paper"), default="quick",
                           help="quick: a small sample in minutes, a check of the pipeline (its claims are not graded); "
                                "paper: the full protocol at 224x224 (6.6 hours of training on two CPU cores: "
                                "run it in sittings with --max-minutes)")
    reproduce.add_argument("--resume", metavar="FOLDER", help="continue a reproduction where it stopped")
    reproduce.add_argument("--max-minutes", type=float,
                           help="pause between epochs before this much time has passed; --resume goes on")
    reproduce.add_argument("--runs-root", default="experiments", help="where the reproduction folder is created")
    reproduce.add_argument("--image-size", type=int, help="override the profile's image size (paper: 224)")
    reproduce.add_argument("--clip-split", type=float, nargs=3, metavar=("TRAIN", "VAL", "TEST"),
                           help="override the profile's clip split (counts or fractions)")
    reproduce.add_argument("--precision", choices=defaults.PRECISIONS, default="auto")
    reproduce.add_argument("--seed", type=int, default=0)
    reproduce.add_argument("--quiet", action="store_true", help="no progress bars")
    reproduce.set_defaults(handler=run_commands.reproduce)

    table = commands.add_parser("table", help="Markdown tables of finished runs beside the paper's numbers")
    table.add_argument("runs", nargs="+", help="run folders (color and/or consistency), and JSON files of `evaluate color --split-from`")
    table.set_defaults(handler=run_commands.show_table)

    presets = commands.add_parser("presets", help="the shipped models by name, with their data and test numbers")
    presets.add_argument("--markdown", action="store_true", help="as the README's table")
    presets.add_argument("--refresh", action="store_true",
                         help="maintainers: first rewrite weights.json's checksums, parameter counts and test numbers "
                              "from the weights files and the runs' records")
    presets.add_argument("--project-root", default=".", help="with --refresh: where the runs' experiments/ folder is")
    presets.set_defaults(handler=run_commands.list_presets, needs_tensorflow=False)  # It reads JSON only.

    evaluate = commands.add_parser("evaluate", help="recompute a run's metrics, on its own split or any folder")
    evaluate_models = evaluate.add_subparsers(dest="model", required=True)
    evaluate_color = evaluate_models.add_parser("color", help="evaluate a recorded color-model run")
    evaluate_color.add_argument("--run", required=True, help="the run folder")
    evaluate_color.add_argument("--data", help="folder of images (default: the run's own train/val/test split)")
    evaluate_color.add_argument("--split-from", metavar="RUN",
                                help="score on another run's held-out photos (its val, test and test_wide), to "
                                     "compare runs on the same photos")
    evaluate_color.add_argument("--weights-file", metavar="FILE",
                                help="score this trained-part file of the run's model instead of the run's own "
                                     "(the file shipped from it, say)")
    evaluate_color.add_argument("--output", help="also write the results to this JSON file")
    evaluate_color.add_argument("--overwrite", action="store_true", help="allow --output to replace a file")
    evaluate_color.set_defaults(handler=run_commands.evaluate_color)
    evaluate_consistency = evaluate_models.add_parser(
        "consistency", help="three-mode video table (per-frame, teacher-forced, free-running) of a run")
    evaluate_consistency.add_argument("--run", required=True, help="the consistency run folder")
    evaluate_consistency.add_argument("--videos", help="folder of clips (default: the run's own val/test clips)")
    evaluate_consistency.add_argument("--parts", nargs="+", choices=("val", "test"), default=["val", "test"],
                                      help="which of the run's own clip splits to score")
    evaluate_consistency.add_argument("--keyframes", action="store_true",
                                      help="also the seeded mode (each clip's first true colours given, then "
                                           "free-running) and its baselines: hold them, carry them along optical flow")
    evaluate_consistency.add_argument("--plot", metavar="PNG",
                                      help="with --keyframes: accuracy against the distance from the keyframe")
    evaluate_consistency.add_argument("--color-weights", metavar="FILE", help=COLOR_WEIGHTS_HELP)
    evaluate_consistency.add_argument("--output", help="also write the results to this JSON file")
    evaluate_consistency.add_argument("--overwrite", action="store_true", help="allow --output to replace a file")
    evaluate_consistency.set_defaults(handler=run_commands.evaluate_consistency)
    evaluate_guided = evaluate_models.add_parser(
        "flow-guided", help="video table of a flow-guided run: per-frame, flow from the first frame, and the "
                            "model from the first frame's true colours and automatically")
    evaluate_guided.add_argument("--run", required=True, help="the flow-guided run folder")
    evaluate_guided.add_argument("--videos", help="folder of clips (default: the run's own val/test clips)")
    evaluate_guided.add_argument("--parts", nargs="+", choices=("val", "test"), default=["val", "test"],
                                 help="which of the run's own clip splits to score")
    evaluate_guided.add_argument("--output", help="also write the results to this JSON file")
    evaluate_guided.add_argument("--overwrite", action="store_true", help="allow --output to replace a file")
    evaluate_guided.set_defaults(handler=run_commands.evaluate_flow_guided)
    return parser


# Options whose value may start with a dash (`--keyframe -1:a.png`): argparse would take the value
# for an option and print its usage block; joined as `--keyframe=-1:a.png`, it reaches our check.
_DASHED_VALUE_OPTIONS = ("--keyframe",)


def join_dashed_values(argv):
    """`argv` with each of `_DASHED_VALUE_OPTIONS` joined by "=" to a value that starts with a dash."""
    joined, index = [], 0
    while index < len(argv):
        if argv[index] in _DASHED_VALUE_OPTIONS and index + 1 < len(argv) and argv[index + 1].startswith("-"):
            joined.append(f"{argv[index]}={argv[index + 1]}")
            index += 2
        else:
            joined.append(argv[index])
            index += 1
    return joined
