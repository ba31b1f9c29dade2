"""A folder of images told apart as a video's numbered frames or photos, and its frames checked."""

import pytest
from PIL import Image

from colornn_keras import errors
from colornn_keras.data import frame_folders
from colornn_keras.data import video
from tests.conftest import make_scene
from tests.data.video_clips import moving_frames


@pytest.mark.parametrize(
    "names, sizes, frames",
    [
        (["00000.jpg", "00001.jpg", "00002.jpg"], [(32, 24)] * 3, True),  # DAVIS
        (["frame_0001.png", "frame_0002.png", "frame_0010.png"], [(32, 24)] * 3, True),
        (["frame_0001.png", "frame_0002.png"], [(32, 24), (24, 32)], False),  # Two sizes: photos.
        (["IMG_0001.jpg", "IMG_0002.jpg", "IMG_0003.jpg"], [(32, 24)] * 3, False),  # A camera's names.
        (["DSCF0001.jpg", "DSCF0002.jpg"], [(32, 24)] * 2, False),
        (["DSC_0001.jpg", "DSC_0002.jpg"], [(32, 24)] * 2, False),
        (["20240101_120000.jpg", "20240101_120105.jpg"], [(32, 24)] * 2, False),  # A phone's dates.
        (["beach.jpg", "boat_2.jpg"], [(32, 24)] * 2, False),
        (["0001.png"], [(32, 24)], False),
    ],
)
def test_only_numbered_frames_of_one_size_make_a_video(tmp_path, names, sizes, frames):
    for name, size in zip(names, sizes):
        Image.fromarray(make_scene(size[::-1], seed=len(name))).save(tmp_path / name)
    assert frame_folders.is_frame_folder(tmp_path) is frames


def test_a_bad_frame_is_named(tmp_path):
    for index, frame in enumerate(moving_frames(3)):
        Image.fromarray(frame).save(tmp_path / f"{index:04d}.png")
    (tmp_path / "0001.png").write_bytes(b"")
    assert frame_folders.is_frame_folder(tmp_path)  # Named as frames: the bad one does not make it photos.
    with pytest.raises(errors.InputError, match=r"Frame .*0001.png is not a readable image: the file is empty"):
        video.probe(tmp_path)
    with pytest.raises(errors.InputError, match=r"Frame .*0001.png is not a readable image"):
        list(video.read_frames(tmp_path))
