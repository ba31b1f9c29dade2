"""Which colorizing options combine: one set of rules for the command line and for Python.

`ColorizeOptions` holds what `colornn colorize` and `colornn_keras.colorize` / `colorize_video`
let a user choose beside the input and output; `check` refuses the combinations that cannot work,
with a one-line message that names the options as the caller wrote them (`--smooth-along-flow`
on the command line, `smooth_along_flow` in Python). Importable without TensorFlow, so that
the command line refuses a bad combination before the models load.
"""

import dataclasses

from colornn_keras import defaults
from colornn_keras import errors

COLORIZE_MODELS = defaults.COLORIZE_MODELS
KEYFRAME_PROPAGATIONS = ("flow", "model", "guided")
STYLES = ("cli", "python")
# Where the two spellings differ beyond dashes and underscores.
_PYTHON_NAMES = {"weights": "preset", "keyframe": "keyframes"}


def option_name(field, style):
    """`smooth_along_flow` as the caller wrote it: `--smooth-along-flow` or `smooth_along_flow`."""
    if style == "cli":
        return "--" + field.replace("_", "-")
    return _PYTHON_NAMES.get(field, field)


@dataclasses.dataclass(frozen=True)
class ColorizeOptions:
    """The models and modes a colorizing run uses (frozen: a key for caching its `Colorizer`).

    Args:
        weights: a shipped preset (`colornn presets`), or "paper"; None for the default.
        model: "color" or "consistency" (= `consistency`).
        consistency: videos: the shipped consistency model, free-running.
        color_run, consistency_run, flow_guided_run: models of a run folder instead of a preset.
        keyframe_propagation: how keyframes are carried: "flow" (default), "model" or "guided".
        flow_scale: keyframes carried along the flow: the flow computed on the luma at full (1),
            half (2) or quarter (4) size; None for the default (2).
        keyframe_blend: keyframes carried along the flow: between two keyframes of a shot, blend
            both runs by confidence ("confidence") or take the nearer keyframe's ("nearest");
            None for the default ("confidence").
        keyframe_fill: keyframes carried along the flow, where the flow fails: the color model's
            colours ("model"), the keyframe's own matched by luma ("keyframe") or the colours the
            flow carried ("flow"); None for the default ("model").
        smooth_along_flow: videos: the weight of the previous frame's colours carried along flow.
        both_ways: with `smooth_along_flow`: each shot smoothed backwards too.
        decoding: "argmax", "expectation" or "annealed_mean".
        precision: "auto", "float32" or "bfloat16".
        batch_size: frames per prediction where frames are independent.
        engine: what runs the models (`colornn_keras.engines`).
        scene_cut_threshold: luma-histogram jump that resets a video's colour context.
    """

    weights: str | None = None
    model: str = "color"
    consistency: bool = False
    color_run: str | None = None
    consistency_run: str | None = None
    flow_guided_run: str | None = None
    keyframe_propagation: str | None = None
    flow_scale: int | None = None
    keyframe_blend: str | None = None
    keyframe_fill: str | None = None
    smooth_along_flow: float | None = None
    both_ways: bool = False
    decoding: str = "annealed_mean"
    precision: str = "auto"
    batch_size: int = 8
    engine: str = "tensorflow"
    scene_cut_threshold: float = defaults.DEFAULT_SCENE_CUT_THRESHOLD

    @classmethod
    def from_arguments(cls, arguments):
        """The options of a parsed `colornn colorize` or `colornn demo` command line."""
        return cls(**{field.name: getattr(arguments, field.name) for field in dataclasses.fields(cls)
                      if getattr(arguments, field.name, None) is not None})

    @classmethod
    def from_keywords(cls, preset=None, **keywords):
        """The options of a Python call; an unknown keyword is the caller's error, named."""
        names = {field.name for field in dataclasses.fields(cls)} - {"weights"}
        unknown = sorted(set(keywords) - names)
        if unknown:
            raise errors.ColorNNError(f"Unknown option {unknown[0]}; the options are: preset, "
                                      f"{', '.join(sorted(names))}.")
        return cls(weights=preset, **keywords)

    @property
    def propagation(self):
        """How keyframes are carried: as asked, else "guided" with a flow-guided run, else "flow"."""
        return self.keyframe_propagation or ("guided" if self.flow_guided_run else "flow")

    def check(self, keyframes=False, style="cli"):
        """Refuses, with one line naming the options (`style`: "cli" or "python"), a combination
        that cannot work. `keyframes`: whether the run is given keyframes."""
        def name(field):
            return option_name(field, style)

        def valued(field, value):  # `--model recurrent` or `model=recurrent`
            return f"{name(field)} {value}" if style == "cli" else f"{name(field)}={value}"

        choices = {"model": COLORIZE_MODELS, "keyframe_propagation": (None, *KEYFRAME_PROPAGATIONS),
                   "flow_scale": (None, *defaults.FLOW_SCALES), "keyframe_blend": (None, *defaults.KEYFRAME_BLENDS),
                   "keyframe_fill": (None, *defaults.KEYFRAME_FILLS),
                   "decoding": defaults.DECODING_METHODS, "precision": defaults.PRECISIONS}
        for field, allowed in choices.items():
            if getattr(self, field) not in allowed:
                shown = ", ".join(repr(value) for value in allowed if value is not None)
                raise errors.ColorNNError(f"{name(field)} must be one of {shown}, got {getattr(self, field)!r}.")
        if not (isinstance(self.batch_size, int) and self.batch_size >= 1):
            raise errors.ColorNNError(f"{name('batch_size')} must be a positive whole number, got {self.batch_size!r}.")
        by_model = keyframes and self.propagation == "model"
        if by_model and self.color_run and not self.consistency_run:
            # Keyframes seed the paper's consistency model, which is built on its own color model.
            raise errors.ColorNNError(
                f"{name('keyframe')} uses the consistency model: the shipped one, or "
                f"{valued('consistency_run', 'RUN')}; not "
                f"{name('color_run')}.")
        flow_settings = [field for field in ("flow_scale", "keyframe_blend", "keyframe_fill")
                         if getattr(self, field) is not None]
        if flow_settings and not (keyframes and self.propagation == "flow"):
            raise errors.ColorNNError(
                f"{name(flow_settings[0])} sets how {name('keyframe')} colours travel along the flow: give keyframes, "
                f"carried along the flow ({valued('keyframe_propagation', 'flow')}, the default).")
        if (self.propagation == "guided") != bool(self.flow_guided_run):
            raise errors.ColorNNError(
                f"{valued('flow_guided_run', 'RUN')} carries keyframes itself: {valued('keyframe_propagation', 'guided')} "
                "needs it, and it does not combine with flow or model.")
        if self.flow_guided_run and (self.consistency or self.consistency_run or self.color_run
                                     or self.model != "color"):
            raise errors.ColorNNError(
                f"{valued('flow_guided_run', 'RUN')} brings its own color model: it does not combine with "
                f"{name('consistency')}, {name('consistency_run')}, {name('color_run')} or {name('model')}.")
        smoothing = self.smooth_along_flow
        if smoothing is not None and (self.flow_guided_run or keyframes or self.consistency or self.consistency_run
                                      or self.model != "color"):
            raise errors.ColorNNError(
                f"{name('smooth_along_flow')} colours shots without keyframes from the color model; it does not "
                f"combine with {name('flow_guided_run')}, {name('keyframe')}, {name('consistency')}, "
                f"{name('consistency_run')} or {name('model')}.")
        if smoothing is not None and not 0.0 < smoothing < 1.0:
            raise errors.ColorNNError(
                f"{name('smooth_along_flow')} takes a weight between 0 and 1 (exclusive), got {smoothing}.")
        if self.both_ways and smoothing is None:
            raise errors.ColorNNError(
                f"{name('both_ways')} runs the smoothing of {valued('smooth_along_flow', 'WEIGHT')} "
                "backwards too: "
                "give both.")
        return self
