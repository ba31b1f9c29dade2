"""Dense optical flow and warping along it, written once for propagation and for the metrics.

Two algorithms, on purpose:
- `dis_flow` (OpenCV DIS, medium preset) carries colours in the video modes (keyframes,
  smoothing along the flow, the flow-guided model): fast enough to run on every frame.
- `farneback_flow` measures the warp error of a colouring (`metrics.warp_error`). The yardstick
  must not be the tool being measured: scored with the flow that carried them, colours carried
  by DIS would look steadier than they are.

`forward_backward_confidence` says where a flow can be trusted (it comes back to where it
started, and stays inside the frame), and `resize_flow` carries a flow computed on a smaller
picture to a larger one, so that the flow can be computed at a fraction of the output's size.
"""

import numpy as np

from colornn_keras import resizing

# Resizing a plane, named here too for the callers that bring flows and luma to the flow's size.
resize = resizing.resize

# DIS refuses pictures under 8 pixels on a side or 12 on both: smaller ones are padded to 12 on
# each short side, their edges repeated (quarter-size flow of a small frame).
DIS_MIN_SIDE = 12


def _uint8(gray):
    gray = np.asarray(gray)
    if gray.dtype == np.uint8:
        return gray
    return np.clip(np.round(gray.astype(np.float32) * 255.0), 0, 255).astype(np.uint8)


def dis_flow(source_luma, target_luma):
    """Dense flow (H, W, 2) from `source` to `target` (OpenCV DIS, medium preset): luma in [0, 1]
    or uint8 codes, (H, W) or (H, W, 1)."""
    import cv2

    source, target = (_uint8(np.asarray(luma)[..., 0] if np.ndim(luma) == 3 else luma)
                      for luma in (source_luma, target_luma))
    height, width = source.shape
    if min(height, width) < DIS_MIN_SIDE:
        padding = ((0, max(0, DIS_MIN_SIDE - height)), (0, max(0, DIS_MIN_SIDE - width)))
        source, target = (np.pad(picture, padding, mode="edge") for picture in (source, target))
    motion = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(source, target, None)
    return np.ascontiguousarray(motion[:height, :width])


def farneback_flow(first_gray, second_gray):
    """Dense flow (H, W, 2) from `first` to `second` (OpenCV Farneback) on uint8 gray (H, W)."""
    import cv2

    return cv2.calcOpticalFlowFarneback(first_gray, second_gray, None, 0.5, 3, 15, 3, 5, 1.2, 0)


def warp(image, flow):
    """`image` (H, W) or (H, W, C) sampled at each pixel + `flow`: bilinear, edges replicated."""
    import cv2

    height, width = flow.shape[:2]
    grid_x, grid_y = np.meshgrid(np.arange(width, dtype=np.float32), np.arange(height, dtype=np.float32))
    return cv2.remap(np.asarray(image, np.float32), grid_x + flow[..., 0], grid_y + flow[..., 1], cv2.INTER_LINEAR,
                     borderMode=cv2.BORDER_REPLICATE)


def resize_flow(flow, size):
    """A flow (H, W, 2) brought to `size` (width, height), its vectors scaled with the picture: the
    flow of a downscaled luma, made the flow of the full-size picture (or of its chroma planes)."""
    height, width = flow.shape[:2]
    resized = resize(flow, size)
    if resized is flow:
        return flow
    resized[..., 0] *= size[0] / width
    resized[..., 1] *= size[1] / height
    return resized


def forward_backward_confidence(flow_there, flow_back):
    """How far `flow_there` (H, W, 2), from a picture A to a picture B, can be trusted: (H, W) in [0, 1].

    Following a pixel of A to B along `flow_there` and back along `flow_back` (from B to A)
    should bring it home: the check of Sundaram et al. (2010) trusts it fully where the round trip
    misses by less than 0.5 pixel plus 1% of the two motions' squared length, and falls to 0 at
    twice that (occlusions, new content, flow errors). A pixel whose flow leads outside B is not
    trusted either: B does not show where it went.
    """
    flow_there = np.asarray(flow_there, np.float32)
    back_there = warp(flow_back, flow_there)  # The backward flow where each pixel lands.
    miss = np.sum(np.square(flow_there + back_there), axis=-1)
    bound = 0.01 * (np.sum(np.square(flow_there), axis=-1) + np.sum(np.square(back_there), axis=-1)) + 0.5
    confidence = np.clip(2.0 - miss / bound, 0.0, 1.0)
    height, width = flow_there.shape[:2]
    landing_x = np.arange(width, dtype=np.float32)[None, :] + flow_there[..., 0]
    landing_y = np.arange(height, dtype=np.float32)[:, None] + flow_there[..., 1]
    inside = (landing_x >= -0.5) & (landing_x <= width - 0.5) & (landing_y >= -0.5) & (landing_y <= height - 0.5)
    return np.where(inside, confidence, 0.0).astype(np.float32)
