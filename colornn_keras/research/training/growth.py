"""Growing a color model: a block-4 colorizer's trained weights start a block-5 one as nearly the same function.

A run with `--deepest-tap block5_conv3 --init-from <block-4 weights>` keeps what the block-4 model
learnt instead of starting its decoder afresh. In Dahl's decoder the deepest tap is reduced by a 1x1
convolution (`block4_reduce`); with a fifth tap, block 4 is added to the upsampled block-5 path and
decoded by a 3x3 convolution (`block4_decode`). So the 1x1 kernel becomes the 3x3 kernel's centre,
and the new block-5 reduction starts scaled down to near zero: the grown model's output starts
within a hair of the block-4 model's, and the new path still has gradients to learn from (a zero
kernel behind a ReLU would have none).
"""

import h5py
import numpy as np

from colornn_keras import backbone
from colornn_keras.models import checkpoints
from colornn_keras.models import color as color_models

BLOCK4_TAP = color_models.DECODER_TAPS[0][0]
BLOCK5_TAP = color_models.BLOCK5_TAP[0]
# How far the new block-5 reduction starts from zero: small enough to keep the block-4 model's
# colours (its output is added to block 4's normalized tap, of unit scale), large enough to learn.
NEW_PATH_SCALE = 1e-3


def is_growth(model, path):
    """True where `path` holds a block-4 color model's weights and `model` taps block 5."""
    if getattr(model, "deepest_tap", None) != BLOCK5_TAP:
        return False
    with h5py.File(path, "r") as file:
        return "block4_reduce" in file and "block5_reduce" not in file


def grow_from_block4(model, path, new_path_scale=NEW_PATH_SCALE):
    """Loads a block-4 color model's trained-part file (`path`) into `model`, a block-5 `ColorModel`.

    Every layer the file holds is copied by name (VGG16 layers the file lacks keep ImageNet's
    weights); `block4_reduce` becomes the centre of `block4_decode`, and `block5_reduce` starts at
    `new_path_scale` times its initial weights. Returns `model`.
    """
    smaller = color_models.ColorModel(
        image_size=model.image_size, num_bins=model.num_bins, variant=model.variant,
        feature_filters=model.feature_filters, backbone_weights=None, fine_tune_from="block1_conv1",
        deepest_tap=BLOCK4_TAP, dtype="float32", name="block4_color_model",
    )
    checkpoints.load_trained_part(smaller, path, skip_missing=backbone.VGG16_CONV_LAYERS)
    with h5py.File(path, "r") as file:
        names = sorted(file.keys())
    for name in names:
        if name != "block4_reduce":
            model.get_layer(name).set_weights(smaller.get_layer(name).get_weights())
    reduce_kernel, reduce_bias = smaller.get_layer("block4_reduce").get_weights()
    decode = model.get_layer("block4_decode")
    decode_kernel = np.zeros(tuple(decode.kernel.shape), "float32")
    centre = decode_kernel.shape[0] // 2
    decode_kernel[centre, centre] = reduce_kernel[0, 0]
    decode.set_weights([decode_kernel, reduce_bias])
    new_reduce = model.get_layer("block5_reduce")
    new_reduce.set_weights([new_path_scale * np.asarray(weight) for weight in new_reduce.get_weights()])
    return model
