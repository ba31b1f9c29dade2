"""Keyframes loaded and checked: whatever is not a colour picture of a frame of the clip is an
`InputError` of one line naming the keyframe."""

import numpy as np
import pytest

from colornn_keras import errors
from colornn_keras.data import keyframes as keyframe_pictures
from tests.conftest import make_scene


def test_keyframes_of_the_wrong_kind_are_input_errors_naming_the_keyframe(tmp_path):
    (tmp_path / "keyframes").mkdir()
    frame = make_scene((37, 51), seed=0)
    cases = [
        ([frame], r"Keyframes must be a dict \{0-based frame index: colour picture or image path\}, not a list"),
        ({2: frame.astype(np.float32) / 255}, r"Keyframe 2 must be an RGB uint8 picture \(H, W, 3\) or an image "
                                              r"path; got float32 \(37, 51, 3\) \(a float picture in \[0, 1\]"),
        ({1: frame[..., 0]}, r"Keyframe 1 must be an RGB uint8 picture .*; got uint8 \(37, 51\)\.$"),
        ({3: [[1, 2], [3]]}, r"Keyframe 3 must be an RGB uint8 picture .*; got a list that is no array"),
        ({0: tmp_path / "keyframes"}, r"Keyframe 0: .*keyframes is a folder, not an image\.$"),
        ({0: str(tmp_path / "missing.png")}, r"Keyframe 0: .*missing.png does not exist"),
    ]
    for keyframes, message in cases:
        with pytest.raises(errors.InputError, match=message) as failure:
            keyframe_pictures.read_keyframes(keyframes)
        assert len(str(failure.value).splitlines()) == 1


def test_keyframes_outside_the_clip_and_likely_mistakes_are_named():
    keyframe_pictures.check_keyframe_indices({0: None, 2: None}, 3)  # Frames 0 to 2: inside.
    with pytest.raises(errors.InputError, match=r"Keyframe 3 is outside clip.mp4's 3 frames \(0 to 2: frames count "
                                                r"from 0\)\.$"):
        keyframe_pictures.check_keyframe_indices({1: None, 3: None, 5: None}, 3, "clip.mp4")
    gray = np.full((37, 51, 3), 128, np.uint8)
    with pytest.warns(errors.ColorNNWarning) as warned:
        keyframe_pictures.warn_about_keyframes({0: gray, 1: make_scene((20, 20), seed=1)}, 51, 37)
    assert [str(warning.message) for warning in warned] == [
        "Keyframe 0 has almost no colour: it seeds gray.",
        "Keyframe 1 is 20x20, another shape than the 51x37 frames: it is stretched to fit."]
