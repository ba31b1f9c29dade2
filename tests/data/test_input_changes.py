"""An input that changes between a run's two readings is caught before anything is written (issue #30)."""

import re

import pytest
from PIL import Image

from colornn_keras import errors
from colornn_keras.data import input_changes
from colornn_keras.data import video
from tests.data.video_clips import Reddish, faststart_clip, moving_frames, write_clip


def _both_ways():
    from colornn_keras import inference
    from colornn_keras.models import flow_guided

    return inference.Colorizer(Reddish(), batch_size=2, flow_guided_model=flow_guided.FlowSmoothingModel(0.9),
                               both_ways=True)


def _changing_after_first_reading(monkeypatch, name, change):
    """Makes `video.<name>` call `change()` once its first reading has gone through every frame."""
    real, readings = getattr(video, name), []

    def reading(*arguments, **keywords):
        readings.append(None)
        yield from real(*arguments, **keywords)
        if len(readings) == 1:
            change()

    monkeypatch.setattr(video, name, reading)
    return readings


@pytest.mark.parametrize("how", ["replaced", "rewritten_keeping_its_time", "a_frame_rewritten"])
def test_an_input_that_changes_between_its_two_readings_is_refused_and_nothing_is_written(tmp_path, monkeypatch,
                                                                                         how):
    """Both ways reads the input twice: another clip of the same size put in its place after the
    first reading would give its luma the first clip's colours."""
    import os

    from colornn_keras import colorize_files

    frames, others = moving_frames(5), [255 - frame for frame in moving_frames(5, step=3)]
    if how == "a_frame_rewritten":  # A folder of numbered frames, read as RGB frames.
        source = tmp_path / "frames"
        source.mkdir()
        for index, frame in enumerate(frames):
            Image.fromarray(frame).save(source / f"frame{index}.png")
        readings = _changing_after_first_reading(
            monkeypatch, "read_frames", lambda: Image.fromarray(others[2]).save(source / "frame2.png"))
    else:  # A video file, read as luma planes.
        source, other = write_clip(tmp_path / "clip.mp4", frames), write_clip(tmp_path / "other.mp4", others)

        def change():
            if how == "replaced":
                os.replace(other, source)
            else:  # Copied over it in place, its time put back as `cp -p` would.
                status = source.stat()
                source.write_bytes(other.read_bytes())
                os.utime(source, ns=(status.st_atime_ns, status.st_mtime_ns))

        readings = _changing_after_first_reading(monkeypatch, "read_luma_planes", change)
    target = tmp_path / "out" / "colorized.mp4"
    with pytest.raises(errors.InputError, match=rf"^{source} changed during the run \(.+\): nothing was written"):
        colorize_files.colorize(_both_ways(), source, target)
    assert len(readings) == 2  # Caught after the second reading, not by it.
    assert not target.parent.exists() or list(target.parent.iterdir()) == []


def test_an_input_left_alone_is_coloured_both_ways(tmp_path):
    from colornn_keras import colorize_files

    source = write_clip(tmp_path / "clip.mp4", moving_frames(5))
    identity = input_changes.input_identity(source)
    assert identity.changed(input_changes.input_identity(source)) is None and identity.digest
    assert colorize_files.colorize(_both_ways(), source, tmp_path / "out.mp4").frames == 5


@pytest.mark.large
def test_an_input_replaced_by_a_clip_without_audio_is_an_input_error_and_nothing_is_written(tmp_path, monkeypatch):
    """The encoder opens the input for its audio when the second reading begins: a clip without
    audio put in its place stops it, which was reported as an output error."""
    import os

    from colornn_keras import colorize_files

    source = faststart_clip(tmp_path / "clip.mp4", frames=5, audio=True)
    silent = faststart_clip(tmp_path / "silent.mp4", frames=5)  # Same size and length, no audio.
    readings = _changing_after_first_reading(monkeypatch, "read_luma_planes", lambda: os.replace(silent, source))
    target = tmp_path / "out" / "colorized.mp4"
    with pytest.raises(errors.InputError, match=rf"^{re.escape(str(source))} changed during the run \(another file "
                                                rf"was put in its place\): nothing was written from it\.$"):
        colorize_files.colorize(_both_ways(), source, target)
    assert len(readings) == 2
    assert sorted(path.name for path in tmp_path.rglob("*")) == ["clip.mp4"] + (["out"] if target.parent.exists() else [])
