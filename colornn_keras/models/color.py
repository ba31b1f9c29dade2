"""The color model: luma Y in, per-pixel distributions over U and V bins out.

Ryan Dahl's 2016 hypercolumn colorizer (https://tinyclouds.org/colorize), as adapted by
Gupta & Kannan (ColorNN Book, section 3.1): a frozen ImageNet VGG16 is tapped at four depths and
a residual decoder adds the taps back in from coarse to fine; where Dahl regresses (U, V), the
paper classifies each pixel's U and V into `num_bins` bins with a softmax each.
"""

import keras

from colornn_keras import backbone
from colornn_keras import colorspace
from colornn_keras import defaults
from colornn_keras import errors
from colornn_keras import presets
from colornn_keras.models import checkpoints

VARIANTS = defaults.VARIANTS
# (VGG16 tap, decoder filters after adding it), coarse to fine, as in Dahl's residual encoder.
DECODER_TAPS = (
    ("block4_conv3", 256),
    ("block3_conv3", 128),
    ("block2_conv2", 64),
    ("block1_conv2", 64),
)
# Capacity beyond Dahl's: a fifth tap, VGG16's last convolution (a quarter of block 4's side),
# reduced to block 4's width and added back in like the others.
BLOCK5_TAP = ("block5_conv3", 512)
DEEPEST_TAPS = defaults.DEEPEST_TAPS
FEATURES_LAYER = "color_features"
# The frozen color model up to FEATURES_LAYER, as the video models hold it.
FEATURES_MODEL = "color_features_model"


def decoder_taps(deepest_tap=DECODER_TAPS[0][0]):
    """(VGG16 tap, decoder filters) from `deepest_tap` (one of `DEEPEST_TAPS`), coarse to fine."""
    if deepest_tap not in DEEPEST_TAPS:
        raise errors.ColorNNError(f"deepest_tap must be one of {DEEPEST_TAPS}, got {deepest_tap!r}.")
    return DECODER_TAPS if deepest_tap == DECODER_TAPS[0][0] else (BLOCK5_TAP, *DECODER_TAPS)


def _check_arguments(image_size, num_bins, variant, deepest_tap):
    if variant not in VARIANTS:
        raise errors.ColorNNError(f"variant must be one of {VARIANTS}, got {variant!r}.")
    poolings = len(decoder_taps(deepest_tap)) - 1
    if not isinstance(image_size, int) or image_size < 2**poolings or image_size % 2**poolings:
        raise errors.ColorNNError(
            f"image_size must be a multiple of {2**poolings} (VGG16 is tapped after {poolings} poolings), "
            f"got {image_size!r}."
        )
    if not isinstance(num_bins, int) or num_bins < 2:
        raise errors.ColorNNError(f"num_bins must be an integer of at least 2, got {num_bins!r}.")


def _resolve_backbone_weights(backbone_weights):
    if backbone_weights is None or isinstance(backbone_weights, dict):
        return backbone_weights
    if backbone_weights == "imagenet":
        return backbone.load_vgg16_weights()
    return backbone.load_vgg16_weights(weights_path=backbone_weights)


def apply_output_heads(features, num_bins, variant):
    """The two per-pixel heads `u` and `v`, computed in float32 whatever the model's precision.

    Classification: (H, W, num_bins) softmax each. Regression: (H, W, 1) values each.
    """
    outputs = {}
    for axis in ("u", "v"):
        if variant == "classification":
            logits = keras.layers.Conv2D(num_bins, 1, dtype="float32", name=f"{axis}_logits")(features)
            outputs[axis] = keras.layers.Activation("softmax", dtype="float32", name=axis)(logits)
        else:
            outputs[axis] = keras.layers.Conv2D(1, 1, dtype="float32", name=axis)(features)
    return outputs


@keras.saving.register_keras_serializable(package="colornn_keras")
class ColorModel(keras.Model):
    """The color model: luma (B, H, W, 1) in [0, 1] to per-pixel {"u": ..., "v": ...}.

    Dahl's hypercolumn colorizer (https://tinyclouds.org/colorize) with the binned heads of
    Gupta & Kannan, ColorNN Book (Stanford CS229), section 3.1. VGG16's layers are frozen
    (unless `fine_tune_from` says otherwise).

    Args:
        image_size: int, side of the square input, a multiple of 8. Defaults to 224 (the paper).
        num_bins: int, bins per chroma axis. Defaults to 30 (the paper).
        variant: str, "classification" (the paper: softmax over bins, summed cross-entropy) or
            "regression" (Dahl: U and V values, Euclidean loss). Defaults to "classification".
        feature_filters: int, width of the full-resolution features the heads (and the
            consistency models) read. Defaults to 64.
        backbone_weights: "imagenet" (see `colornn_keras.backbone` for where they come from),
            a path to a VGG16 weights file, a dict from `backbone.load_vgg16_weights()`, or None
            for random weights (shape tests, or a model whose weights are loaded next: the
            config stores None, since a `.keras` file holds every weight).
        synchronized_batch_norm: bool, batch statistics over the global batch of all replicas
            (TensorFlow), as one machine would compute them, for distributed training.
        fine_tune_from: None (the paper: VGG16 frozen), or a VGG16 convolution such as
            "block3_conv1": it and the later ones train too (beyond the paper).
        deepest_tap: "block4_conv3" (Dahl's, the paper's) or "block5_conv3": a fifth, coarser tap
            for more context (beyond the paper; `image_size` then a multiple of 16).
        dtype: a Keras dtype policy such as "mixed_bfloat16"; None uses the global policy.
            The heads compute in float32 whatever it is.
        name: str, the model's name.

    Examples:
    >>> model = ColorModel(image_size=64, backbone_weights=None)
    >>> tuple(model.get_layer("u").output.shape), model.num_bins
    ((None, 64, 64, 30), 30)
    """

    def __init__(
        self,
        image_size=224,
        num_bins=colorspace.DEFAULT_NUM_BINS,
        variant="classification",
        feature_filters=64,
        backbone_weights="imagenet",
        synchronized_batch_norm=False,
        fine_tune_from=None,
        deepest_tap=DECODER_TAPS[0][0],
        dtype=None,
        name="color_model",
        **kwargs,
    ):
        _check_arguments(image_size, num_bins, variant, deepest_tap)
        taps_and_filters = decoder_taps(deepest_tap)
        weights = _resolve_backbone_weights(backbone_weights)
        # Resolved now, so that the config names the policy the layers were built with, not
        # whatever the global policy is when the model is loaded again.
        dtype_policy = keras.dtype_policies.get(dtype) if dtype is not None else keras.config.dtype_policy()

        # === Functional Model ===
        luma = keras.Input((image_size, image_size, 1), name="luma")
        vgg_input = backbone.VGGPreprocessing(dtype=dtype_policy, name="vgg_preprocessing")(luma)
        taps = backbone.apply_vgg16(vgg_input, weights=weights, last_layer=deepest_tap, dtype=dtype_policy,
                                    trainable_from=fine_tune_from)
        x = None
        for depth, (tap_name, filters) in enumerate(taps_and_filters):
            block = tap_name.split("_")[0]
            tap = keras.layers.BatchNormalization(
                synchronized=synchronized_batch_norm, dtype=dtype_policy, name=f"{block}_norm")(taps[tap_name])
            if x is None:
                # The deepest tap starts the decoder through a 1x1 convolution.
                x = keras.layers.Conv2D(filters, 1, activation="relu", dtype=dtype_policy, name=f"{block}_reduce")(tap)
            else:
                x = keras.layers.Add(dtype=dtype_policy, name=f"{block}_add")([x, tap])
                x = keras.layers.Conv2D(
                    filters, 3, padding="same", activation="relu", dtype=dtype_policy, name=f"{block}_decode"
                )(x)
            if depth < len(taps_and_filters) - 1:
                x = keras.layers.UpSampling2D(2, interpolation="bilinear", dtype=dtype_policy,
                                              name=f"{block}_upsample")(x)
        # Dahl joins the gray input at full resolution so edges come straight from the luma.
        x = keras.layers.Concatenate(dtype=dtype_policy, name="join_luma")([x, luma])
        features = keras.layers.Conv2D(
            feature_filters, 3, padding="same", activation="relu", dtype=dtype_policy, name=FEATURES_LAYER
        )(x)
        outputs = apply_output_heads(features, num_bins, variant)
        super().__init__(inputs=luma, outputs=outputs, name=name, **kwargs)

        # === Config ===
        self.image_size = image_size
        self.num_bins = num_bins
        self.variant = variant
        self.feature_filters = feature_filters
        self.synchronized_batch_norm = synchronized_batch_norm
        self.fine_tune_from = fine_tune_from
        self.deepest_tap = deepest_tap
        self.dtype_policy = dtype_policy

    def get_config(self):
        # backbone_weights is None: a `.keras` file holds VGG16's weights with the others, so
        # loading one needs neither the ImageNet source nor a network.
        return {
            "image_size": self.image_size,
            "num_bins": self.num_bins,
            "variant": self.variant,
            "feature_filters": self.feature_filters,
            "backbone_weights": None,
            "synchronized_batch_norm": self.synchronized_batch_norm,
            "fine_tune_from": self.fine_tune_from,
            "deepest_tap": self.deepest_tap,
            "dtype": self.dtype_policy.name,
            "name": self.name,
        }

    @classmethod
    def from_preset(cls, preset, dtype=None, folder=None):
        """A shipped color model by name (`colornn presets` lists them), its weights checked, offline.

        Args:
            preset: str, a color preset such as "colornn_water_128".
            dtype: a Keras dtype policy such as "mixed_bfloat16"; None uses the global policy.
            folder: a weights folder; default `presets.weights_dir()`.
        """
        entry = presets.preset_entry(preset, folder, kind="color")
        path = presets.preset_file(preset, folder)
        # Read once: VGG16 is built with them, and a fine-tuned block stored as differences adds to them.
        imagenet = backbone.load_vgg16_weights()
        model = cls(**presets.settings(entry), backbone_weights=imagenet, dtype=dtype)
        return checkpoints.load_trained_part(model, path, imagenet_weights=imagenet)


def build_color_model(
    image_size=224,
    num_bins=colorspace.DEFAULT_NUM_BINS,
    variant="classification",
    feature_filters=64,
    backbone_weights="imagenet",
    dtype=None,
    synchronized_batch_norm=False,
    fine_tune_from=None,
    deepest_tap=DECODER_TAPS[0][0],
    name="color_model",
):
    """Builds a `ColorModel` (see its arguments); kept for the code and notebooks that call it.

    Example:
    >>> model = build_color_model(image_size=64, backbone_weights=None)
    >>> tuple(model.get_layer("u").output.shape)
    (None, 64, 64, 30)
    """
    return ColorModel(
        image_size=image_size, num_bins=num_bins, variant=variant, feature_filters=feature_filters,
        backbone_weights=backbone_weights, synchronized_batch_norm=synchronized_batch_norm,
        fine_tune_from=fine_tune_from, deepest_tap=deepest_tap, dtype=dtype, name=name,
    )


def variant_of(model):
    """"classification" or "regression": the model's `variant` where it has one (the classes of
    this package), else read off its `u` head (a plain Keras model of the same graph)."""
    if getattr(model, "variant", None) in VARIANTS:
        return model.variant
    return "regression" if model.get_layer("u").output.shape[-1] == 1 else "classification"


def num_bins_of(model, default=colorspace.DEFAULT_NUM_BINS):
    """The model's `num_bins` where it has one (the classes of this package); else the size of
    its `u` head, or `default` for a plain regression model (one value per axis)."""
    if isinstance(getattr(model, "num_bins", None), int):
        return model.num_bins
    size = model.get_layer("u").output.shape[-1]
    return default if size == 1 else int(size)


def frozen_features_model(color_model, user):
    """The trained color model up to its final features (`color_features`), frozen in place: the
    fixed feature extractor the consistency models build on. `user` names them in the error."""
    if variant_of(color_model) != "classification":
        raise errors.RunRecordError(f"The {user} needs a classification color model (binned heads).")
    features_model = keras.Model(color_model.inputs, color_model.get_layer(FEATURES_LAYER).output,
                                 name=FEATURES_MODEL)
    features_model.trainable = False
    return features_model


class VideoModel(keras.Model):
    """The base of the video models, which stand on a trained color model (frozen inside them): it
    is kept as `.color_model` and serialized with them; `preset_kind` names their presets' kind."""

    preset_kind = None

    def _keep_color_model(self, color_model, num_bins):
        # Not tracked as a layer: the color model's own heads are not in this graph, and as a
        # tracked layer their weights would count among this model's (trainable) weights.
        object.__setattr__(self, "color_model", color_model)
        self.num_bins = num_bins
        self.variant = "classification"

    def get_config(self):
        return {"color_model": keras.saving.serialize_keras_object(self.color_model), "name": self.name}

    @classmethod
    def from_config(cls, config):
        config = {**config, "color_model": keras.saving.deserialize_keras_object(config["color_model"])}
        return cls(**config)

    @classmethod
    def from_preset(cls, preset, dtype=None, folder=None):
        """A shipped model of this kind by name (`colornn presets` lists them), standing on the
        color preset it was trained on (`.color_model`), their weights checked, offline.

        Args:
            preset: str, a preset of this kind.
            dtype: a Keras dtype policy for the model and its color model.
            folder: a weights folder; default `presets.weights_dir()`.
        """
        entry = presets.preset_entry(preset, folder, kind=cls.preset_kind)
        path = presets.preset_file(preset, folder)
        color_model = ColorModel.from_preset(presets.color_preset_of(preset, entry), dtype=dtype, folder=folder)
        return checkpoints.load_trained_part(cls(color_model, **presets.settings(entry)), path)
