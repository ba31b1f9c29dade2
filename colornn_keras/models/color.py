"""The color model: luma Y in, per-pixel distributions over U and V bins out.

Ryan Dahl's 2016 hypercolumn colorizer (https://tinyclouds.org/colorize), as adapted by
Gupta & Kannan (ColorNN Book, section 3.1): a frozen ImageNet VGG16 is tapped at four depths and
a residual decoder adds the taps back in from coarse to fine; where Dahl regresses (U, V), the
paper classifies each pixel's U and V into `num_bins` bins with a softmax each.
"""

import keras

from colornn_keras import backbone
from colornn_keras import colorspace
from colornn_keras import errors

VARIANTS = ("classification", "regression")
# (VGG16 tap, decoder filters after adding it), coarse to fine, as in Dahl's residual encoder.
DECODER_TAPS = (
    ("block4_conv3", 256),
    ("block3_conv3", 128),
    ("block2_conv2", 64),
    ("block1_conv2", 64),
)
FEATURES_LAYER = "color_features"


def _check_arguments(image_size, num_bins, variant):
    if variant not in VARIANTS:
        raise errors.ColorNNError(f"variant must be one of {VARIANTS}, got {variant!r}.")
    if not isinstance(image_size, int) or image_size < 8 or image_size % 8:
        raise errors.ColorNNError(
            f"image_size must be a multiple of 8 (VGG16 is tapped after three poolings), "
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


def build_color_model(
    image_size=224,
    num_bins=colorspace.DEFAULT_NUM_BINS,
    variant="classification",
    feature_filters=64,
    backbone_weights="imagenet",
    dtype=None,
    synchronized_batch_norm=False,
    fine_tune_from=None,
    name="color_model",
):
    """Builds the color model (functional API); VGG16's layers are frozen.

    Args:
        image_size: int, side of the square input, a multiple of 8. The paper uses 224.
        num_bins: int, bins per chroma axis (classification). The paper uses 30.
        variant: "classification" (the paper: softmax over bins, summed cross-entropy) or
            "regression" (Dahl: U and V values, Euclidean loss).
        feature_filters: int, width of the full-resolution features the heads (and the
            consistency model) read.
        backbone_weights: "imagenet" (see `colornn_keras.backbone` for where they come from),
            a path to a VGG16 weights file, a dict from `backbone.load_vgg16_weights()`, or None
            for random weights (shape tests only).
        dtype: a Keras dtype policy such as "mixed_bfloat16"; None uses the global policy.
        synchronized_batch_norm: bool; batch statistics over the global batch of all replicas
            (TensorFlow), as one machine would compute them, for distributed training.
        fine_tune_from: None (the paper: VGG16 frozen), or a VGG16 convolution such as
            "block3_conv1": it and the later ones train too (beyond the paper).
        name: the model's name.

    Returns:
        A `keras.Model` from luma (B, H, W, 1) in [0, 1] to {"u": ..., "v": ...}.

    Example:
    >>> model = build_color_model(image_size=64)
    >>> tuple(model.get_layer("u").output.shape)
    (None, 64, 64, 30)
    """
    _check_arguments(image_size, num_bins, variant)
    weights = _resolve_backbone_weights(backbone_weights)

    # === Functional Model ===
    luma = keras.Input((image_size, image_size, 1), name="luma")
    vgg_input = backbone.VGGPreprocessing(dtype=dtype, name="vgg_preprocessing")(luma)
    taps = backbone.apply_vgg16(vgg_input, weights=weights, last_layer=DECODER_TAPS[0][0], dtype=dtype,
                                trainable_from=fine_tune_from)

    x = None
    for depth, (tap_name, filters) in enumerate(DECODER_TAPS):
        block = tap_name.split("_")[0]
        tap = keras.layers.BatchNormalization(
            synchronized=synchronized_batch_norm, dtype=dtype, name=f"{block}_norm")(taps[tap_name])
        if x is None:
            # The deepest tap starts the decoder through a 1x1 convolution.
            x = keras.layers.Conv2D(filters, 1, activation="relu", dtype=dtype, name=f"{block}_reduce")(tap)
        else:
            x = keras.layers.Add(dtype=dtype, name=f"{block}_add")([x, tap])
            x = keras.layers.Conv2D(
                filters, 3, padding="same", activation="relu", dtype=dtype, name=f"{block}_decode"
            )(x)
        if depth < len(DECODER_TAPS) - 1:
            x = keras.layers.UpSampling2D(2, interpolation="bilinear", dtype=dtype, name=f"{block}_upsample")(x)

    # Dahl joins the gray input at full resolution so edges come straight from the luma.
    x = keras.layers.Concatenate(dtype=dtype, name="join_luma")([x, luma])
    features = keras.layers.Conv2D(
        feature_filters, 3, padding="same", activation="relu", dtype=dtype, name=FEATURES_LAYER
    )(x)
    outputs = apply_output_heads(features, num_bins, variant)
    return keras.Model(inputs=luma, outputs=outputs, name=name)


def variant_of(model):
    """"classification" or "regression", read off the model's `u` head."""
    return "regression" if model.get_layer("u").output.shape[-1] == 1 else "classification"


def num_bins_of(model, default=colorspace.DEFAULT_NUM_BINS):
    """The number of bins of a classification model (`default` for a regression model)."""
    size = model.get_layer("u").output.shape[-1]
    return default if size == 1 else int(size)


def frozen_features_model(color_model, user):
    """The trained color model up to its final features (`color_features`), frozen in place: the
    fixed feature extractor the consistency models build on. `user` names them in the error."""
    if variant_of(color_model) != "classification":
        raise errors.RunRecordError(f"The {user} needs a classification color model (binned heads).")
    features_model = keras.Model(color_model.inputs, color_model.get_layer(FEATURES_LAYER).output,
                                 name="color_features_model")
    features_model.trainable = False
    return features_model
