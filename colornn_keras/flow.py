"""Dense optical flow and warping along it, written once for propagation and for the metrics.

Two algorithms, on purpose:
- `dis_flow` (OpenCV DIS, medium preset) carries colours in the video modes (keyframes,
  smoothing along the flow, the flow-guided model): fast enough to run on every frame.
- `farneback_flow` measures the warp error of a colouring (`metrics.warp_error`). The yardstick
  must not be the tool being measured: scored with the flow that carried them, colours carried
  by DIS would look steadier than they are.
"""

import numpy as np


def _uint8(gray):
    return np.clip(np.round(np.asarray(gray, np.float32) * 255.0), 0, 255).astype(np.uint8)


def dis_flow(source_luma, target_luma):
    """Dense flow (H, W, 2) from `source` to `target` (OpenCV DIS, medium preset): luma in [0, 1],
    (H, W) or (H, W, 1)."""
    import cv2

    source, target = (_uint8(np.asarray(luma)[..., 0] if np.ndim(luma) == 3 else luma)
                      for luma in (source_luma, target_luma))
    return cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(source, target, None)


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
