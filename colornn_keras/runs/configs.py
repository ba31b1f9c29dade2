"""The settings of a training run, one dataclass per kind; their defaults are the paper's protocol.

Each is recorded whole in the run's config.json, and read back from it (`records.read_run_config`)
to load the run's model, resume it or evaluate it; the training procedures that take them are
`colornn_keras.research.training`.
"""

import dataclasses

from colornn_keras import backbone
from colornn_keras import colorspace
from colornn_keras import defaults
from colornn_keras import errors
from colornn_keras import precision
from colornn_keras.data import clips
from colornn_keras.data import images
from colornn_keras.data import scene_cuts
from colornn_keras.models import color as color_models

SCHEDULES = defaults.SCHEDULES
OPTIMIZERS = defaults.OPTIMIZERS
CONSISTENCY_MODELS = defaults.CONSISTENCY_MODELS
SAMPLED_CONTEXTS = defaults.SAMPLED_CONTEXTS


@dataclasses.dataclass
class ColorTrainingConfig:
    """Every setting of a color-model run; the defaults are the paper's protocol (section 4.1)."""

    data: str
    name: str = "color"
    variant: str = "classification"
    image_size: int = 224
    num_bins: int = colorspace.DEFAULT_NUM_BINS
    batch_size: int = 15
    epochs: int = 100
    patience: int = 10
    learning_rate: float = 1e-3
    precision: str = "auto"
    seed: int = 0
    split: tuple = images.PAPER_SPLIT
    grayscale_threshold: float = images.DEFAULT_GRAYSCALE_THRESHOLD
    max_images: int = None
    rebalance: float = None
    distribute: str = "auto"
    num_samples: int = 8
    max_minutes: float = None
    runs_root: str = "experiments"
    # Beyond the paper (its protocol is the default of each):
    include: tuple = None  # Set-name globs to train on; None: the paper's water sets where present.
    exclude: tuple = ()
    wide_holdout: tuple = images.WIDE_HOLDOUT  # (val, test) photos held out of the other sets.
    augmentation: str = "crop_flip"
    schedule: str = "constant"  # or "cosine": linear warm-up, then cosine decay to zero.
    warmup_epochs: float = 1.0
    optimizer: str = "adam"  # or "adamw"
    weight_decay: float = 1e-4  # AdamW only.
    steps_per_epoch: int = None  # None: one pass over the training photos.
    init_from: str = None  # A color run folder or trained-part file to start the decoder from.
    fine_tune_from: str = None  # A VGG16 layer: it and every later one are trained too.
    deepest_tap: str = color_models.DECODER_TAPS[0][0]  # or "block5_conv3": capacity beyond Dahl's.
    # Progressive resizing: ((size, epochs), ...) trained first, at sizes below image_size.
    progressive: tuple = ()
    # ((set glob, times), ...): the matched sets' training photos repeated, for a weighted mix.
    oversample: tuple = ()

    def __post_init__(self):
        if self.variant not in color_models.VARIANTS:
            raise errors.ColorNNError(f"variant must be one of {color_models.VARIANTS}, got {self.variant!r}.")
        for field in ("image_size", "batch_size", "epochs", "patience"):
            if int(getattr(self, field)) < 1:
                raise errors.ColorNNError(f"{field} must be a positive integer, got {getattr(self, field)!r}.")
        if not self.learning_rate > 0:
            raise errors.ColorNNError(f"learning_rate must be positive, got {self.learning_rate!r}.")
        if self.rebalance is not None and not 0.0 <= self.rebalance <= 1.0:
            raise errors.ColorNNError(f"rebalance is Zhang et al.'s mix in [0, 1] (0.5 in their paper), got {self.rebalance!r}.")
        if self.rebalance is not None and self.variant != "classification":
            raise errors.ColorNNError("Class rebalancing weights the bins of the classification variant; the regression one has none.")
        if self.max_images is not None and int(self.max_images) < 3:
            raise errors.ColorNNError(f"max_images must be at least 3 (one image per split), got {self.max_images!r}.")
        if self.distribute not in defaults.STRATEGIES:
            raise errors.ColorNNError(f"distribute must be one of {defaults.STRATEGIES}, got {self.distribute!r}.")
        precision.resolve_dtype_policy(self.precision)  # Validates the name early.
        if self.augmentation not in images.AUGMENTATIONS:
            raise errors.ColorNNError(f"augmentation must be one of {images.AUGMENTATIONS}, got {self.augmentation!r}.")
        if self.schedule not in SCHEDULES:
            raise errors.ColorNNError(f"schedule must be one of {SCHEDULES}, got {self.schedule!r}.")
        if self.optimizer not in OPTIMIZERS:
            raise errors.ColorNNError(f"optimizer must be one of {OPTIMIZERS}, got {self.optimizer!r}.")
        if self.steps_per_epoch is not None and int(self.steps_per_epoch) < 1:
            raise errors.ColorNNError(f"steps_per_epoch must be a positive integer, got {self.steps_per_epoch!r}.")
        color_models.decoder_taps(self.deepest_tap)  # Validates the name early.
        tunable = backbone.VGG16_CONV_LAYERS[:backbone.VGG16_CONV_LAYERS.index(self.deepest_tap) + 1]
        if self.fine_tune_from is not None and self.fine_tune_from not in tunable:
            raise errors.ColorNNError(f"fine_tune_from must name a VGG16 convolution up to "
                             f"{self.deepest_tap}, got {self.fine_tune_from!r}.")
        self.progressive = tuple((int(size), int(epochs)) for size, epochs in self.progressive or ())
        for size, epochs in self.progressive:
            if size < 8 or size % 8 or size >= int(self.image_size) or epochs < 1:
                raise errors.ColorNNError(f"progressive stage {size}:{epochs} must be a size below image_size "
                                          f"({self.image_size}), a multiple of 8, for at least one epoch.")
        if sum(epochs for _, epochs in self.progressive) >= int(self.epochs):
            raise errors.ColorNNError(f"The progressive stages take {sum(e for _, e in self.progressive)} of the "
                                      f"{self.epochs} epochs; leave at least one at image_size {self.image_size}.")
        self.oversample = tuple((str(pattern), int(times)) for pattern, times in self.oversample or ())
        for pattern, times in self.oversample:
            if times < 1:
                raise errors.ColorNNError(f"oversample {pattern}:{times} must repeat the set at least once.")
        self.split = tuple(self.split)
        self.wide_holdout = tuple(self.wide_holdout)
        self.include = None if self.include is None else tuple(self.include)
        self.exclude = tuple(self.exclude)

    def stages(self):
        """[(image size, first epoch, end epoch)]: the progressive stages, then image_size to the end."""
        stages, first = [], 0
        for size, epochs in self.progressive:
            stages.append((size, first, first + epochs))
            first += epochs
        return [*stages, (int(self.image_size), first, int(self.epochs))]


@dataclasses.dataclass
class ConsistencyTrainingConfig:
    """Every setting of a consistency-model run; the defaults are the paper's (section 4.2)."""

    videos: str
    color_run: str
    name: str = "consistency"
    stride: int = 1
    epochs: int = 10
    batch_size: int = 15
    learning_rate: float = 1e-3
    split: tuple = clips.PAPER_CLIP_SPLIT
    seed: int = 0
    max_frames_per_clip: int = None
    context_filters: int = 32
    filters: int = 64
    residual: bool = False
    decoding: str = "annealed_mean"
    scheduled_sampling: float = 0.0
    sampled_context: str = "one_step"
    scene_cut_threshold: float = scene_cuts.DEFAULT_SCENE_CUT_THRESHOLD
    model: str = "paper"
    window: int = 8
    hidden_filters: int = 32
    max_minutes: float = None
    runs_root: str = "experiments"
    color_weights: str = None

    def __post_init__(self):
        if self.model not in CONSISTENCY_MODELS:
            raise errors.ColorNNError(f"model must be one of {CONSISTENCY_MODELS}, got {self.model!r}.")
        if self.model == "recurrent" and self.scheduled_sampling:
            raise errors.ColorNNError("Scheduled sampling feeds back colours; the recurrent model has no colour input.")
        if self.model == "recurrent" and self.residual:
            raise errors.ColorNNError("residual is an option of the paper's consistency model: "
                                      "the recurrent model's heads are always a correction to the color model's")
        for field in ("stride", "epochs", "batch_size", "window", "hidden_filters"):
            if int(getattr(self, field)) < 1:
                raise errors.ColorNNError(f"{field} must be a positive integer, got {getattr(self, field)!r}.")
        if self.sampled_context not in SAMPLED_CONTEXTS:
            raise errors.ColorNNError(f"sampled_context must be one of {SAMPLED_CONTEXTS}, "
                                      f"got {self.sampled_context!r}.")
        if self.sampled_context != "one_step" and not self.scheduled_sampling:
            raise errors.ColorNNError(f"sampled_context {self.sampled_context!r} is what scheduled sampling feeds: "
                                      "give scheduled_sampling above 0.")
        if not 0.0 <= self.scheduled_sampling <= 1.0:
            raise errors.ColorNNError(f"scheduled_sampling is a probability in [0, 1], got {self.scheduled_sampling!r}.")
        if self.decoding not in colorspace.DECODING_METHODS:
            raise errors.ColorNNError(f"decoding must be one of {colorspace.DECODING_METHODS}, got {self.decoding!r}.")
        self.split = tuple(self.split)


GUIDED_STARTS = defaults.GUIDED_STARTS


@dataclasses.dataclass
class FlowGuidedTrainingConfig:
    """Every setting of a flow-guided propagator run (beyond the paper; `research/training/flow_guided.py`).

    `start` says what its roll-outs start from, i.e. what the model is for: "keyframe" (true
    colours, as `colorize --keyframe` gives) or "color_model" (the color model's colours: the
    automatic mode). Clips are split as a consistency run with the same `split` and `seed` splits them.
    """

    videos: str
    color_run: str
    name: str = "flow_guided"
    start: str = "keyframe"
    rounds: int = 3
    epochs_per_round: int = 2
    rollout_length: int = 100
    rollout_stride: int = 50
    sample_every: int = 2
    crop_size: int = 64
    batch_size: int = 16
    learning_rate: float = 1e-3
    filters: int = 32
    split: tuple = clips.PAPER_CLIP_SPLIT
    seed: int = 0
    max_frames_per_clip: int = None
    decoding: str = "annealed_mean"
    scene_cut_threshold: float = scene_cuts.DEFAULT_SCENE_CUT_THRESHOLD
    max_minutes: float = None
    runs_root: str = "experiments"

    def __post_init__(self):
        if self.start not in GUIDED_STARTS:
            raise errors.ColorNNError(f"start must be one of {GUIDED_STARTS}, got {self.start!r}.")
        for field in ("rounds", "epochs_per_round", "rollout_length", "rollout_stride", "sample_every", "crop_size",
                      "batch_size", "filters"):
            if int(getattr(self, field)) < 1:
                raise errors.ColorNNError(f"{field} must be a positive integer, got {getattr(self, field)!r}.")
        if not self.learning_rate > 0:
            raise errors.ColorNNError(f"learning_rate must be positive, got {self.learning_rate!r}.")
        if self.decoding not in colorspace.DECODING_METHODS:
            raise errors.ColorNNError(f"decoding must be one of {colorspace.DECODING_METHODS}, got {self.decoding!r}.")
        self.split = tuple(self.split)
