"""How a video's planes code colour: the format read from the stream, and Cb and Cr written in it."""

import numpy as np
import pytest

from colornn_keras.data import yuv
from tests.conftest import make_scene


HEADER = "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'clip.mp4':\n  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), {}, {} [SAR 1:1 DAR 16:9], 1185 kb/s, 30 fps\n"


@pytest.mark.parametrize(
    "description, size, expected",
    [
        ("yuv420p(tv, bt709, progressive)", "1280x720", ("yuv420p", "bt709", False, "bt709", "bt709", True)),
        # No matrix stated: BT.709 for HD, BT.601 for SD, as players guess.
        ("yuv420p(progressive)", "1280x720", ("yuv420p", "bt709", False, None, None, False)),
        ("yuv420p", "640x352", ("yuv420p", "smpte170m", False, None, None, False)),
        ("yuvj420p(pc, bt470bg/unknown/unknown, progressive)", "640x480",
         ("yuvj420p", "bt470bg", True, None, None, True)),
        ("yuv420p10le(tv, bt2020nc/bt2020/smpte2084)", "3840x2160",
         ("yuv420p10le", "bt2020nc", False, "bt2020", "smpte2084", True)),
        ("yuv420p(tv, smpte170m, top coded first (swapped))", "720x480",
         ("yuv420p", "smpte170m", False, "smpte170m", "smpte170m", True)),
        ("gray(progressive)", "720x576", ("gray", "smpte170m", False, None, None, False)),
    ],
)
def test_the_yuv_format_is_read_from_the_stream(description, size, expected):
    width, height = map(int, size.split("x"))
    found = yuv.YuvFormat.from_header(HEADER.format(description, size), width, height)
    assert (found.pixel_format, found.matrix, found.full_range, found.primaries, found.transfer,
            found.matrix_stated) == expected


@pytest.mark.parametrize("description", ["gbrp(pc, gbr/unknown/unknown, progressive)", "rgb24", "pal8",
                                         "yuv420p(tv, bt2020c)", "yuv444p(tv, ycgco)"])
def test_rgb_and_other_matrices_are_read_as_rgb(description):
    assert yuv.YuvFormat.from_header(HEADER.format(description, "640x480"), 640, 480) is None


def _rgb_path_chroma(rgb, yuv_format):
    """Cb and Cr codes of RGB uint8 output, as an encoder computes them in `yuv_format` without
    rounding, averaged over each 2x2 (4:2:0)."""
    weight_red, weight_blue = yuv.MATRICES[yuv_format.matrix]
    rgb = rgb.astype(np.float64) / 255
    luma = weight_red * rgb[..., 0] + (1 - weight_red - weight_blue) * rgb[..., 1] + weight_blue * rgb[..., 2]
    span = 255 if yuv_format.full_range else 224
    planes = []
    for difference, weight in ((rgb[..., 2] - luma, weight_blue), (rgb[..., 0] - luma, weight_red)):
        plane = 128 + span * difference / (2 * (1 - weight))
        planes.append(plane.reshape(plane.shape[0] // 2, 2, plane.shape[1] // 2, 2).mean(axis=(1, 3)))
    return planes


class _ModelSize:
    """Stands for a 32x32 color model where only the Colorizer's joining is tested."""

    input_shape = (None, 32, 32, 1)


def _smooth_uv(amplitude, size=32):
    """Smooth model-size colours, as the model's decoded (U, V) are."""
    rows, columns = np.meshgrid(np.linspace(0, 3, size), np.linspace(0, 3, size), indexing="ij")
    return amplitude * np.stack([np.sin(rows + columns), np.cos(2 * rows - columns)], axis=-1).astype(np.float32)


def _luma_plane(yuv_format, seed=4, brightness=(0.0, 1.0)):
    """A scene's luma plane in `yuv_format`, its Y squeezed into `brightness`."""
    from colornn_keras import colorspace

    low, span = (0, 255) if yuv_format.full_range else (16, 219)
    luma = colorspace.rgb_to_luma(make_scene((96, 128), seed=seed) / 255.0)[..., 0]
    luma = brightness[0] + (brightness[1] - brightness[0]) * luma
    return np.round(low + span * luma).astype(np.uint8)


@pytest.mark.parametrize("yuv_format, amplitude, brightness", [
    # BT.601, the model's own: colours saturated enough that dark and bright pixels need fitting
    # into the gamut, which both paths do alike.
    (yuv.YuvFormat("yuv420p", "smpte170m"), 0.35, (0.0, 1.0)),
    # Other matrices fit colours to the gamut their decoder shows, the RGB path to BT.601's: the
    # two apply alike to colours inside both, here the model's usual saturation on mid-tones.
    (yuv.YuvFormat("yuv420p", "bt709"), 0.12, (0.25, 0.8)),
    (yuv.YuvFormat("yuvj420p", "bt709", full_range=True), 0.12, (0.25, 0.8)),
])
def test_chroma_planes_are_the_rgb_path_s_within_one_code_value(yuv_format, amplitude, brightness):
    from colornn_keras import inference

    colorizer = inference.Colorizer(_ModelSize())
    luma_plane, uv = _luma_plane(yuv_format, brightness=brightness), _smooth_uv(amplitude)
    rgb = colorizer.join(yuv_format.luma_to_unit(luma_plane)[..., None], uv)
    got = colorizer.chroma_planes(luma_plane, uv, yuv_format)
    for plane, reference in zip(got, _rgb_path_chroma(rgb, yuv_format)):
        assert plane.shape == (48, 64) and plane.dtype == np.uint8
        assert np.abs(plane.astype(float) - np.round(reference)).max() <= 1
    gray = colorizer.chroma_planes(luma_plane, np.zeros_like(uv), yuv_format)
    assert all((plane == 128).all() for plane in gray)


def test_bt709_chroma_decodes_in_gamut_around_the_source_s_luma():
    from colornn_keras import inference

    yuv_format = yuv.YuvFormat("yuv420p", "bt709")
    # Black to white, even over each 2x2 (whose pixels share one Cb and Cr), with saturated colours.
    rows, columns = np.meshgrid(np.linspace(0, 1, 48), np.linspace(0, 1, 64), indexing="ij")
    luma_plane = np.repeat(np.repeat(np.round(16 + 219 * (rows + columns) / 2), 2, axis=0), 2, axis=1).astype(np.uint8)
    cb, cr = (np.repeat(np.repeat(plane.astype(float), 2, axis=0), 2, axis=1)
              for plane in inference.Colorizer(_ModelSize()).chroma_planes(luma_plane, _smooth_uv(0.35), yuv_format))
    # A BT.709 decoder's RGB from the source's luma and these Cb, Cr: in gamut, to the rounding of
    # Cb and Cr to code values, so a player clips no channel and the luma is what it shows.
    luma, cb, cr = (luma_plane - 16) / 219, (cb - 128) / 224, (cr - 128) / 224
    red, blue = luma + 1.5748 * cr, luma + 1.8556 * cb
    green = (luma - 0.2126 * red - 0.0722 * blue) / 0.7152
    rgb = np.stack([red, green, blue], axis=-1)
    assert rgb.min() > -0.01 and rgb.max() < 1.01
    assert np.abs(cb).max() > 0.15 and np.abs(cr).max() > 0.15  # Colourful, not made gray to fit.
