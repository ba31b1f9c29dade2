"""The library's defaults and choices that the command line shows, importable without TensorFlow.

The modules that use them (colorspace, precision, distribution, models.color, data.images,
data.clips, data.scene_cuts, data.video_encoding, training) import TensorFlow, which takes
seconds; `colornn --help` and argument errors should not wait for it. So they are defined here,
once: those modules take them from this one (tests/test_cli_startup.py checks that each does).
"""

# colornn_keras.colorspace
DEFAULT_NUM_BINS = 30
DECODING_METHODS = ("argmax", "expectation", "annealed_mean")

# colornn_keras.models.color
VARIANTS = ("classification", "regression")

# colornn_keras.precision
PRECISIONS = ("auto", "float32", "bfloat16")

# colornn_keras.research.training.distribution
STRATEGIES = ("auto", "none", "mirrored", "multi_worker")

# colornn_keras.data.images
PAPER_SPLIT = (3000, 500, 500)
DEFAULT_GRAYSCALE_THRESHOLD = 6.0
PAPER_SETS = (
    "sun_ocean", "sun_waterfall", "miniplaces_coast", "miniplaces_harbor", "miniplaces_river",
    "miniplaces_lighthouse", "miniplaces_iceberg",
)
WIDE_HOLDOUT = (500, 1000)
AUGMENTATIONS = ("crop_flip", "resized_crop")

# colornn_keras.data.clips
PAPER_CLIP_SPLIT = (7, 3, 3)

# colornn_keras.runs.configs (flow-guided runs): what the roll-outs start from.
GUIDED_STARTS = ("keyframe", "color_model")

# colornn_keras.data.scene_cuts
DEFAULT_SCENE_CUT_THRESHOLD = 0.25
# colornn_keras.data.video_encoding
DEFAULT_CRF = 23
X264_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow")
DEFAULT_X264_PRESET = "veryfast"

# colornn_keras.keyframes_along_flow: keyframes carried along optical flow at the output's
# resolution. The flow is computed on the luma at full, half or quarter size; two keyframes' runs
# are blended by their confidence, or the nearer keyframe's is taken alone (to measure the blend
# against).
FLOW_SCALES = (1, 2, 4)
DEFAULT_FLOW_SCALE = 2
KEYFRAME_BLENDS = ("confidence", "nearest")
# colornn_keras.flow_carry: where the flow fails, a run takes the color model's colours, its
# keyframe's colours matched by luma, keeps the colours the flow carried, or mixes in the keyframes'
# colours matched by the color model's features (issue #29: to measure).
KEYFRAME_FILLS = ("model", "keyframe", "flow", "features")
DEFAULT_KEYFRAME_FILL = "flow"

# colornn_keras.engines
ENGINES = ("auto", "tensorflow", "onnxruntime", "openvino")

# colornn_keras.runs.configs
SCHEDULES = ("constant", "cosine")
OPTIMIZERS = ("adam", "adamw")
# "paper": the previous frame's colours as context (section 3.2); "recurrent": a ConvLSTM memory.
CONSISTENCY_MODELS = ("paper", "recurrent")
# What scheduled sampling feeds in place of the true previous colours: the model's prediction of
# the previous frame from its true predecessor (one step of its own error), or its own roll-out
# over the whole clip from the color model's first frame (every step of it, as on a real film).
SAMPLED_CONTEXTS = ("one_step", "free_running")
# The decoder's coarsest VGG16 tap: Dahl's (and the paper's) block 4, or a fifth at block 5.
DEEPEST_TAPS = ("block4_conv3", "block5_conv3")
# The shipped models `colornn colorize --model` colours videos with. The recurrent model (the
# paper's "truly recurrent" future work) is not offered while none ships: its run diverged
# (issue #29); a recurrent run still loads with --consistency-run.
COLORIZE_MODELS = ("color", "consistency")
