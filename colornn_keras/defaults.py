"""The library's defaults that the command line shows, importable without TensorFlow.

The modules that define them (colorspace, data.images, data.clips, data.video) import
TensorFlow, which takes seconds; `colornn --help` and argument errors should not wait for it.
These are copies: tests/test_cli_startup.py checks that each equals the library's own.
"""

# colornn_keras.colorspace
DEFAULT_NUM_BINS = 30
DECODING_METHODS = ("argmax", "expectation", "annealed_mean")

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

# colornn_keras.data.video
DEFAULT_SCENE_CUT_THRESHOLD = 0.25
