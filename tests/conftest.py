"""Shared fixtures: small images made on the fly, the real ImageNet VGG16 weights loaded once, and a
tiny Colorizer built once."""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PIL import Image  # noqa: E402

from colornn_keras import backbone  # noqa: E402


def pytest_configure(config):
    # Keras' `convert_to_numpy` calls `np.array` on TensorFlow's EagerTensor, whose `__array__`
    # predates NumPy 2's `copy` keyword (keras-team/keras#21288). Hundreds of copies of this
    # upstream notice would bury any warning our own code raises.
    config.addinivalue_line(
        "filterwarnings", "ignore:__array__ implementation doesn't accept a copy keyword:DeprecationWarning")


@pytest.fixture(autouse=True)
def _fresh_keras_state():
    """Each test starts from the float32 policy and a cleared Keras session."""
    keras.backend.clear_session()
    keras.config.set_dtype_policy("float32")
    yield
    keras.config.set_dtype_policy("float32")


@pytest.fixture(scope="session")
def vgg16_weights():
    """The ImageNet VGG16 weights, checked, loaded once for the whole session."""
    return backbone.load_vgg16_weights()


@pytest.fixture(scope="session")
def colorizer(vgg16_weights):
    """A `Colorizer` of a tiny (32x32) color model and its consistency model, built once: the
    Colorizer's tests and those of colouring by path share it."""
    from colornn_keras import inference
    from colornn_keras.models import color, consistency

    keras.utils.set_random_seed(0)  # The untrained heads' weights decide how close colours come: fix them.
    color_model = color.build_color_model(image_size=32, backbone_weights=vgg16_weights)
    return inference.Colorizer(color_model, consistency.build_consistency_model(color_model), batch_size=4)


def make_scene(size, seed):
    """A smooth synthetic "water scene": blue-ish sky and sea bands, varied per seed (uint8 RGB)."""
    rng = np.random.default_rng(seed)
    height, width = size
    rows = np.linspace(0.0, 1.0, height)[:, None, None]
    sky = np.array([0.55, 0.75, 0.95]) * (0.7 + 0.3 * rng.random())
    sea = np.array([0.05, 0.3, 0.45]) * (0.7 + 0.3 * rng.random())
    horizon = 0.35 + 0.3 * rng.random()
    image = np.where(rows < horizon, sky, sea) * np.ones((height, width, 3))
    image += 0.05 * rng.standard_normal((height, width, 3))
    return np.clip(np.round(image * 255), 0, 255).astype(np.uint8)


@pytest.fixture
def image_folder(tmp_path):
    """A folder of 12 small colour photos (some in a subfolder) and 2 black-and-white ones."""
    folder = tmp_path / "photos"
    (folder / "nested").mkdir(parents=True)
    for index in range(12):
        target = folder / ("nested" if index % 3 == 0 else "") / f"scene_{index:02d}.jpg"
        size = (40, 48) if index % 2 else (48, 40)
        Image.fromarray(make_scene(size, index)).save(target, quality=95)
    for index in range(2):
        gray = make_scene((40, 40), 100 + index).mean(axis=-1).astype(np.uint8)
        Image.fromarray(gray).convert("RGB").save(folder / f"bw_{index}.jpg")
    return folder


def panning_frames(count, size=(48, 64), step=2, seed=7):
    """A scene panning right by `step` pixels a frame (uint8 RGB frames)."""
    wide = make_scene((size[0], size[1] + step * count), seed=seed)
    return [wide[:, index * step : index * step + size[1]] for index in range(count)]


@pytest.fixture
def clip_folder(tmp_path):
    """Five short clips: four mp4 files in their own folders and one folder of numbered frames."""
    from colornn_keras.data import video_encoding

    folder = tmp_path / "videos"
    for index in range(4):
        (folder / f"clip_{index}").mkdir(parents=True)
        with video_encoding.VideoWriter(folder / f"clip_{index}" / "clip.mp4", fps=10) as writer:
            for frame in panning_frames(6, seed=index):
                writer.write(frame)
    (folder / "frames_clip").mkdir()
    for index, frame in enumerate(panning_frames(6, seed=9)):
        Image.fromarray(frame).save(folder / "frames_clip" / f"{index:04d}.png")
    return folder


@pytest.fixture
def weights_folder(tmp_path, vgg16_weights, monkeypatch):
    """A shipped-weights folder with tiny (32x32) models, and the environment pointing at it."""
    from colornn_keras import presets
    from colornn_keras.models import checkpoints, color, consistency
    from colornn_keras.research import manifest

    keras.utils.set_random_seed(0)  # The untrained heads' weights decide how colourful, hence how x264 rounds: fix them.
    color_model = color.build_color_model(image_size=32, backbone_weights=vgg16_weights)
    model = consistency.build_consistency_model(color_model)
    checkpoints.save_trained_part(color_model, tmp_path / "color_model.trained.h5")
    checkpoints.save_trained_part(model, tmp_path / "consistency_model.trained.h5")
    manifest.write_manifest(tmp_path, {
        "color": {"kind": "color", "default": True, "file": "color_model.trained.h5", "image_size": 32,
                  "num_bins": 30, "run": "test"},
        "consistency": {"kind": "consistency", "default": True, "color_preset": "color",
                        "file": "consistency_model.trained.h5", "context_filters": 32, "filters": 64, "run": "test"},
    })
    monkeypatch.setenv(presets.WEIGHTS_DIR_ENV_VARIABLE, str(tmp_path))
    return tmp_path, color_model
