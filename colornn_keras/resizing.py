"""Resizing a float plane (luma, chroma, a flow) to another size: the one resize every caller uses.

Pillow's bilinear filter, which widens to a triangle over the source pixels where it shrinks (so a
shrunk luma is averaged, not aliased): colorizing brings each frame's luma to the model's square
and the model's (U, V) back to the frame's (or its 4:2:0 chroma planes') size with it, and
keyframes carried along the flow bring their luma, flow and confidence to the flow's and the
chroma's sizes with it.
"""

import numpy as np
from PIL import Image


def resize(array, size):
    """A float array (H, W) or (H, W, C) at `size` (width, height), float32, bilinear (averaged over
    a triangle where it shrinks); the array itself (as float32) where it is that size already.

    Example:
    >>> resize(np.ones((4, 6, 2)), (3, 2)).shape
    (2, 3, 2)
    """
    array = np.asarray(array, np.float32)
    height, width = array.shape[:2]
    size = (int(size[0]), int(size[1]))
    if (width, height) == size:
        return array
    if array.ndim == 2:
        return np.asarray(Image.fromarray(array, mode="F").resize(size, Image.BILINEAR))
    channels = [Image.fromarray(np.ascontiguousarray(array[..., index]), mode="F").resize(size, Image.BILINEAR)
                for index in range(array.shape[-1])]
    return np.stack([np.asarray(channel) for channel in channels], axis=-1)
