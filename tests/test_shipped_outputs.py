"""What each shipped color preset outputs on a fixed picture, pinned: a change to the shipped
weights, to decoding or to joining the colours with the luma shows here, not only in the records.

After shipping a new preset on purpose: `python tests/test_shipped_outputs.py` rewrites the
expected values (from float32, which every CPU computes alike).
"""

import json
import pathlib
import sys

import numpy as np
import pytest

EXPECTED_FILE = pathlib.Path(__file__).with_name("shipped_outputs.json")


def _picture():
    sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1]))
    from tests.conftest import make_scene

    return make_scene((48, 64), seed=7)


def _summary(name):
    import colornn_keras
    from colornn_keras import colorspace

    rgb = colornn_keras.colorize(_picture(), preset=name, precision="float32")
    yuv = colorspace.rgb_to_yuv(rgb.astype(np.float32) / 255.0)
    return {"shape": list(rgb.shape), "mean_u": float(yuv[..., 1].mean()), "mean_v": float(yuv[..., 2].mean()),
            "mean_abs_u": float(np.abs(yuv[..., 1]).mean()), "mean_abs_v": float(np.abs(yuv[..., 2]).mean())}


def _color_presets():
    from colornn_keras import presets

    return presets.names("color")


def test_every_shipped_color_preset_is_pinned():
    assert sorted(json.loads(EXPECTED_FILE.read_text())) == sorted(_color_presets())


@pytest.mark.parametrize("name", _color_presets())
def test_each_color_preset_outputs_what_it_did_when_it_shipped(name):
    expected = json.loads(EXPECTED_FILE.read_text())[name]
    got = _summary(name)
    assert got["shape"] == expected["shape"] == [48, 64, 3]
    for key in ("mean_u", "mean_v", "mean_abs_u", "mean_abs_v"):
        assert got[key] == pytest.approx(expected[key], abs=2e-3), key
    # Not gray: a preset that lost its colours would pass near-zero means above only by luck.
    assert max(got["mean_abs_u"], got["mean_abs_v"]) > 0.005


if __name__ == "__main__":
    EXPECTED_FILE.write_text(json.dumps({name: _summary(name) for name in _color_presets()}, indent=2) + "\n")
    print(f"Wrote {EXPECTED_FILE}")
