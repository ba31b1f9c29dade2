"""Scene cuts: a jump in the luma histogram, not a pan."""

from colornn_keras.data import scene_cuts
from tests.conftest import make_scene
from tests.data.video_clips import moving_frames


def test_scene_cut_triggers_on_a_cut_and_not_on_a_pan():
    pan = moving_frames(20)
    detector = scene_cuts.SceneCutDetector()
    assert not any(detector.is_cut(frame) for frame in pan)
    other_shot = (255 - make_scene((48, 64), seed=99)) // 2 + 100  # A brighter, different scene.
    assert detector.is_cut(other_shot)
    assert not detector.is_cut(other_shot)
