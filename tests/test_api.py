"""`colornn_keras.colorize` and `colorize_video`: one line of Python, the command line's rules."""

import numpy as np
import pytest
from PIL import Image

import colornn_keras
from colornn_keras import api
from colornn_keras import errors
from tests.conftest import make_scene


@pytest.fixture
def photo():
    return make_scene((40, 52), seed=3)


@pytest.mark.large
def test_colorize_returns_the_inputs_size_and_luma_from_any_kind_of_image(weights_folder, photo, tmp_path):
    from colornn_keras import colorspace

    path = tmp_path / "photo.png"
    Image.fromarray(photo).save(path)
    gray = np.round(colorspace.rgb_to_luma(photo / 255.0) * 255).astype(np.uint8).reshape(40, 52)
    results = [colornn_keras.colorize(image) for image in (
        str(path), path, Image.open(path), photo, photo / 255.0, gray, gray[..., None], gray / 255.0,
        np.concatenate([photo, np.full((40, 52, 1), 255, np.uint8)], axis=-1))]
    for colored in results:
        assert colored.shape == (40, 52, 3) and colored.dtype == np.uint8
    # Colour input is reduced to its luma first: the photo and its gray version come out alike
    # (up to the 8-bit rounding of the gray one), every spelling of one input the same, and
    # each keeps the input's own luma.
    assert np.abs(results[0].astype(float) - results[5]).mean() < 2
    for same in (results[1], results[2], results[3], results[4], results[8]):
        np.testing.assert_array_equal(same, results[0])
    np.testing.assert_array_equal(results[6], results[5])
    luma = colorspace.rgb_to_luma(results[0] / 255.0).reshape(40, 52) * 255
    assert np.abs(luma - gray).max() <= 2


@pytest.mark.large
def test_the_models_of_one_set_of_options_load_once(weights_folder, photo, monkeypatch):
    api._cached_colorizer.cache_clear()
    built = []
    make = api.make_colorizer
    monkeypatch.setattr(api, "make_colorizer", lambda *arguments: built.append(1) or make(*arguments))
    colornn_keras.colorize(photo)
    colornn_keras.colorize(photo)
    colornn_keras.colorize(photo, decoding="argmax")
    assert len(built) == 2


@pytest.mark.parametrize("image, message", [
    ("missing.jpg", "image: missing.jpg does not exist"),
    (np.zeros((20, 20, 2), np.uint8), r"image must be \(H, W\), \(H, W, 1\), \(H, W, 3\) or \(H, W, 4\)"),
    (np.full((20, 20, 3), 2.0), r"image: a float image must hold values in \[0, 1\], got 2 to 2"),
    (np.zeros((20, 20, 3), np.int64), "image must be uint8 or float in"),
    ([[0, 1]], "image must be a path, a PIL.Image or a NumPy array, got list"),
])
def test_a_bad_image_is_the_projects_input_error_naming_the_argument(image, message):
    with pytest.raises(errors.InputError, match=message):
        colornn_keras.colorize(image)


def test_options_that_do_not_combine_are_refused_naming_python_arguments(photo):
    with pytest.raises(errors.ColorNNError, match="^both_ways runs the smoothing of smooth_along_flow=WEIGHT"):
        colornn_keras.colorize_video("clip.mp4", both_ways=True)
    with pytest.raises(errors.ColorNNError, match="Unknown option smooth; the options are"):
        colornn_keras.colorize(photo, smooth=0.9)


def _frames(folder, count=5, size=(36, 48)):
    folder.mkdir()
    for index in range(count):
        Image.fromarray(make_scene(size, seed=index % 2)).save(folder / f"{index:05d}.png")
    return folder


@pytest.mark.large
def test_colorize_video_writes_the_clip_and_names_python_arguments_in_its_errors(weights_folder, tmp_path):
    from colornn_keras.data import video

    frames = _frames(tmp_path / "frames")
    output = colornn_keras.colorize_video(frames, tmp_path / "out.mp4", smooth_along_flow=0.9)
    assert output == tmp_path / "out.mp4" and video.probe(output).frame_count == 5
    with pytest.raises(errors.OutputError, match="exists; pass overwrite=True to replace it"):
        colornn_keras.colorize_video(frames, tmp_path / "out.mp4")
    keyed = colornn_keras.colorize_video(frames, tmp_path / "keyed.mp4",
                                         keyframes={0: Image.fromarray(make_scene((36, 48), seed=0))})
    assert video.probe(keyed).frame_count == 5
    with pytest.raises(errors.InputError, match="keyframes must be a dict"):
        colornn_keras.colorize_video(frames, tmp_path / "list.mp4", keyframes=[frames / "00000.png"])
    with pytest.raises(errors.InputError, match="Keyframe 9 is outside"):
        colornn_keras.colorize_video(frames, tmp_path / "late.mp4", keyframes={9: frames / "00000.png"})
    with pytest.raises(errors.InputError, match="colorize\\(\\) colours photos"):
        colornn_keras.colorize_video(frames / "00000.png")
