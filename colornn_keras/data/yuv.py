"""How a video's YUV planes code colour (`YuvFormat`): its matrix and range, read from ffmpeg's
description of the stream, and the model's colours turned into that format's 4:2:0 Cb and Cr.

Colorizing a video file keeps its luma plane as the file holds it and writes Cb and Cr for it in
the source's own colour matrix and range, so the luma goes from the source to x264 untouched.
"""

import dataclasses
import functools
import re

import numpy as np

from colornn_keras import colorspace

# Colour matrices, as ffmpeg names them, whose Cb and Cr `YuvFormat` writes: their luma weights
# (K_R, K_B). BT.601 has two names, for 625-line (bt470bg) and 525-line (smpte170m) video.
# Constant-luminance (bt2020c, ictcp), YCgCo and RGB-coded (gbr) streams are read as RGB instead.
MATRICES = {
    "bt709": (0.2126, 0.0722),
    "bt470bg": (0.299, 0.114),
    "smpte170m": (0.299, 0.114),
    "fcc": (0.30, 0.11),
    "smpte240m": (0.212, 0.087),
    "bt2020nc": (0.2627, 0.0593),
}
# A stream that states no matrix is taken as BT.709 when it is HD and BT.601 otherwise, as
# players guess (mpv: 1280 pixels wide or more, or more than 576 lines).
HD_MIN_WIDTH = 1280
SD_MAX_HEIGHT = 576
# Pixel formats whose luma is one 8-bit plane, which ffmpeg hands over as the file holds it.
# Others (10- and 12-bit, packed or semi-planar) are converted to 8-bit planar by ffmpeg first.
PLANAR_8_BIT = re.compile(r"yuvj?a?(410|411|420|422|440|444)p|gray")
_YUV_FAMILY = re.compile(r"(yuv|nv\d|p[0-4]\d\d|y2\d\d|xv\d|v210|v30|ayuv|vuy|uyvy|yvyu|gray)")
_UNSTATED = ("unknown", "reserved", "unspecified")
# The pixel format, then what ffmpeg says of its range, colour space and field order in
# brackets: "yuv420p(tv, bt709, progressive), 1280x720" or "yuv420p(bt470bg/bt709/bt709)".
_STREAM_FORMAT = re.compile(r"Stream #\S+.*?: Video: .*?, ([a-z0-9_]+)(?:\(([^()]*(?:\([^()]*\)[^()]*)*)\))?,\s*\d+x\d+")


@functools.cache
def _channel_offsets(matrix):
    """(U weight, V weight) of each of red, green and blue's offsets from the luma, in `matrix`
    (a key of `MATRICES`), for the model's BT.601 (U, V): the offsets are linear in U and V.

    U and V are the BT.601 differences B - Y and R - Y, scaled. In another matrix those offsets
    would move that matrix's luma; the luma is the source's, so what the player adds back to it
    is the offsets less that move.
    """
    red = np.array([0.0, 1 / colorspace.V_SCALE])
    blue = np.array([1 / colorspace.U_SCALE, 0.0])
    green = -(colorspace.WEIGHT_RED * red + colorspace.WEIGHT_BLUE * blue) / colorspace.WEIGHT_GREEN
    weight_red, weight_blue = MATRICES[matrix]
    shift = weight_red * red + (1 - weight_red - weight_blue) * green + weight_blue * blue
    return tuple(tuple(np.float32(weight) for weight in channel - shift) for channel in (red, green, blue))


@dataclasses.dataclass(frozen=True)
class YuvFormat:
    """How a video's YUV planes code colour, and how to write colours the same way.

    The color model predicts BT.601 analog U and V (`colorspace`); a video codes Y', Cb and Cr
    in its own matrix and range. `chroma_codes` turns the model's colours into this format's Cb
    and Cr for the source's own luma, and `encoder_options` states the format in the written file.

    Attributes:
        pixel_format: ffmpeg's name of the source's format ("yuv420p", "yuvj420p", "yuv420p10le").
        matrix: ffmpeg's name of the colour matrix, a key of `MATRICES`: the stream's own, or
            where it states none, "bt709" for HD and "smpte170m" (BT.601) for SD.
        full_range: codes use 0-255 ("pc", JPEG) rather than 16-235 and 16-240 ("tv", video's usual).
        primaries, transfer: ffmpeg's names where the stream states them, else None.
        matrix_stated: False where the matrix was guessed from the frame size.
    """

    pixel_format: str
    matrix: str
    full_range: bool = False
    primaries: str = None
    transfer: str = None
    matrix_stated: bool = True

    @classmethod
    def from_header(cls, header, width, height):
        """The format of the first video stream ffmpeg describes in `header`; None where it is
        not YUV (RGB-coded, palette) or its matrix is not one of `MATRICES`."""
        match = _STREAM_FORMAT.search(header)
        if match is None or not _YUV_FAMILY.match(match[1]):
            return None
        pixel_format, tokens = match[1], [token.strip() for token in (match[2] or "").split(",")]
        colour = next((token for token in tokens if token not in ("tv", "pc", "progressive") and "first" not in token
                       and token), None)
        matrix, primaries, transfer = (colour.split("/") if "/" in colour else [colour] * 3) if colour else [None] * 3
        stated = {name: None if name in _UNSTATED else name for name in (matrix, primaries, transfer)}
        if stated[matrix] is not None and matrix not in MATRICES:
            return None
        guess = "bt709" if width >= HD_MIN_WIDTH or height > SD_MAX_HEIGHT else "smpte170m"
        return cls(pixel_format, stated[matrix] or guess, "pc" in tokens or pixel_format.startswith("yuvj"),
                   stated[primaries], stated[transfer], stated[matrix] is not None)

    @property
    def luma_untouched(self):
        """True where the luma plane reaches the model and the encoder exactly as the file holds it."""
        return bool(PLANAR_8_BIT.fullmatch(self.pixel_format))

    def read_filter(self):
        """ffmpeg's filter chain that leaves the 8-bit luma plane alone: extracted as it is,
        after a conversion to 8 bits for the formats that need one."""
        if self.luma_untouched:
            return "extractplanes=y"
        # Through a format of the same family: a gray stream stays gray, whose range swscale
        # would otherwise change on the way to YUV.
        return f"format={'gray' if self.pixel_format.startswith('gray') else 'yuv420p'},extractplanes=y"

    def luma_to_unit(self, codes):
        """Luma codes (uint8) as Y in [0, 1], the model's input: (Y' - 16) / 219 for video range."""
        units = np.array(codes, np.float32)  # A copy, then in place: each pass over a frame counts.
        if self.full_range:
            units *= np.float32(1 / 255)
            return units
        units -= np.float32(16)
        units *= np.float32(1 / 219)
        return np.clip(units, 0.0, 1.0, out=units)

    def chroma_codes(self, uv, luma_plane):
        """Cb and Cr planes (uint8, 4:2:0) in this format for the model's BT.601 (U, V).

        Args:
            uv: float (ceil(H / 2), ceil(W / 2), 2), U and V at the chroma planes' resolution.
            luma_plane: the source's luma plane (uint8 (H, W)) in this format.

        U and V stand for the colour differences B - Y and R - Y. Those are re-expressed in this
        format's matrix for the source's own luma, and scaled toward gray just enough that every
        channel a player decodes stays in [0, 1], so that colours keep their brightness (as
        `colorspace.yuv_to_rgb_keeping_luma` does for RGB output). That scale is found for each
        pixel of a chroma sample's 2x2 and averaged, as 4:2:0 averages the chroma of RGB output:
        the Cb and Cr of the RGB path, to rounding, where U and V are even over the 2x2.
        """
        uv = np.asarray(uv, np.float32)
        u, v = np.ascontiguousarray(uv[..., 0]), np.ascontiguousarray(uv[..., 1])
        red, green, blue = (u * u_weight + v * v_weight for u_weight, v_weight in _channel_offsets(self.matrix))
        fall = np.minimum(np.minimum(red, green), blue)
        np.negative(fall, out=fall)
        scale = self._gamut_scale(np.maximum(np.maximum(red, green), blue), fall, luma_plane)
        weight_red, weight_blue = MATRICES[self.matrix]
        low, high, span = (0, 255, 255) if self.full_range else (16, 240, 224)
        planes = []
        for offset, weight in ((blue, weight_blue), (red, weight_red)):
            offset *= scale  # In place: each pass over a frame's samples counts, beside the model.
            offset *= np.float32(span / (2 * (1 - weight)))
            offset += np.float32(128)
            np.rint(offset, out=offset)
            planes.append(np.clip(offset, low, high, out=offset).astype(np.uint8))
        return tuple(planes)

    def _gamut_scale(self, rise, fall, luma_plane):
        """For each chroma sample, the mean over its 2x2 pixels of the largest s <= 1 that keeps
        Y + s * offset in [0, 1] in every channel: min(1, (1 - Y) / rise, Y / fall), where `rise`
        and `fall` are the largest offset up and down of the three channels."""
        plane = np.asarray(luma_plane)
        height, width = plane.shape
        if height % 2 or width % 2:
            plane = np.pad(plane, ((0, height % 2), (0, width % 2)), mode="edge")
        # A tiny floor makes the bound of a colour that does not move that way huge, not infinite.
        per_rise = np.float32(1) / np.maximum(rise, np.float32(1e-12))
        per_fall = np.float32(1) / np.maximum(fall, np.float32(1e-12))
        # Every sample, in place: measured faster than fitting only the samples that need it
        # (gathering them cost more than the fit), on smooth footage and on noise alike.
        total = np.zeros(rise.shape, np.float32)
        for quad in (plane[0::2, 0::2], plane[0::2, 1::2], plane[1::2, 0::2], plane[1::2, 1::2]):
            luma = self.luma_to_unit(quad)
            down = luma * per_fall
            luma -= np.float32(1)
            luma *= -per_rise
            np.minimum(luma, down, out=luma)
            total += np.minimum(luma, np.float32(1), out=luma)
        total *= np.float32(0.25)
        return total

    def encoder_options(self):
        """ffmpeg's options that state this format (matrix, range, and the primaries and
        transfer where the source states them) on a stream."""
        options = ["-colorspace", self.matrix, "-color_range", "pc" if self.full_range else "tv"]
        if self.primaries:
            options += ["-color_primaries", self.primaries]
        if self.transfer:
            options += ["-color_trc", self.transfer]
        return options
