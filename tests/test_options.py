"""The rules for which colorizing options combine, shared by the command line and Python."""

import subprocess
import sys

import pytest

from colornn_keras import errors
from colornn_keras.options import ColorizeOptions


@pytest.mark.parametrize("settings, keyframes, cli_message, python_message", [
    (dict(smooth_along_flow=1.5), False, "--smooth-along-flow takes a weight between 0 and 1",
     "smooth_along_flow takes a weight between 0 and 1"),
    (dict(both_ways=True), False, "--both-ways runs the smoothing of --smooth-along-flow WEIGHT",
     "both_ways runs the smoothing of smooth_along_flow=WEIGHT"),
    (dict(smooth_along_flow=0.9), True, "does not combine with --flow-guided-run, --keyframe,",
     "does not combine with flow_guided_run, keyframes,"),
    (dict(flow_guided_run="run", consistency=True), False, "--flow-guided-run RUN brings its own color model",
     "flow_guided_run=RUN brings its own color model"),
    (dict(keyframe_propagation="guided"), True, "--flow-guided-run RUN carries keyframes itself",
     "flow_guided_run=RUN carries keyframes itself"),
    (dict(color_run="run", keyframe_propagation="model"), True, "--keyframe uses the consistency model",
     "keyframes uses the consistency model"),
    (dict(flow_scale=2), False, "--flow-scale sets how --keyframe colours travel along the flow",
     "flow_scale sets how keyframes colours travel along the flow"),
    (dict(keyframe_blend="nearest", keyframe_propagation="model"), True,
     "--keyframe-blend sets how --keyframe colours travel along the flow: give keyframes, carried along the flow "
     "(--keyframe-propagation flow, the default)", "keyframe_propagation=flow, the default"),
    (dict(flow_scale=3), True, "--flow-scale must be one of 1, 2, 4", "flow_scale must be one of 1, 2, 4"),
    (dict(keyframe_fill="exemplar"), True, "--keyframe-fill must be one of 'model', 'keyframe', 'flow', 'features', "
     "got 'exemplar'", "keyframe_fill must be one of 'model', 'keyframe', 'flow', 'features'"),
    (dict(keyframe_fill="keyframe"), False, "--keyframe-fill sets how --keyframe colours travel along the flow",
     "keyframe_fill sets how keyframes colours travel along the flow"),
    (dict(decoding="median"), False, "--decoding must be one of", "decoding must be one of"),
    (dict(batch_size=0), False, "--batch-size must be a positive", "batch_size must be a positive"),
])
def test_combinations_that_cannot_work_are_refused_in_the_callers_terms(settings, keyframes, cli_message,
                                                                        python_message):
    options = ColorizeOptions(**settings)
    with pytest.raises(errors.ColorNNError) as raised:
        options.check(keyframes=keyframes, style="cli")
    assert cli_message in str(raised.value)
    with pytest.raises(errors.ColorNNError) as raised:
        options.check(keyframes=keyframes, style="python")
    assert python_message in str(raised.value) and "--" not in str(raised.value)


def test_combinations_that_work_pass_and_keyframes_default_to_flow():
    assert ColorizeOptions(smooth_along_flow=0.9, both_ways=True).check().propagation == "flow"
    assert ColorizeOptions(flow_guided_run="run").check(keyframes=True).propagation == "guided"
    assert ColorizeOptions(keyframe_propagation="model").check(keyframes=True, style="python").propagation == "model"
    assert ColorizeOptions(flow_scale=4, keyframe_blend="nearest").check(keyframes=True).propagation == "flow"
    assert ColorizeOptions(keyframe_fill="flow").check(keyframes=True).keyframe_fill == "flow"


def test_python_keywords_become_options_and_an_unknown_one_is_named():
    options = ColorizeOptions.from_keywords("paper", decoding="argmax")
    assert options.weights == "paper" and options.decoding == "argmax"
    with pytest.raises(errors.ColorNNError, match="Unknown option smoth_along_flow; the options are: preset, "):
        ColorizeOptions.from_keywords(smoth_along_flow=0.9)


def test_the_rules_load_without_tensorflow():
    code = ("import sys, colornn_keras.options; "
            "sys.exit(1 if any(name.startswith(('tensorflow', 'keras')) for name in sys.modules) else 0)")
    assert subprocess.run([sys.executable, "-c", code]).returncode == 0
