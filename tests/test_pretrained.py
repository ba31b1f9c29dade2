import json

import numpy as np
import pytest

from colornn_keras import pretrained
from colornn_keras.models import checkpoints
from colornn_keras.models import color
from colornn_keras.models import consistency


@pytest.fixture
def weights_folder(tmp_path, vgg16_weights, monkeypatch):
    """A shipped-weights folder with tiny (32x32) models, and the environment pointing at it."""
    color_model = color.build_color_model(image_size=32, backbone_weights=vgg16_weights)
    model = consistency.build_consistency_model(color_model)
    checkpoints.save_trained_part(color_model, tmp_path / "color_model.trained.h5")
    checkpoints.save_trained_part(model, tmp_path / "consistency_model.trained.h5")
    pretrained.write_manifest(tmp_path, {
        "color": {"file": "color_model.trained.h5", "image_size": 32, "num_bins": 30, "run": "test"},
        "consistency": {"file": "consistency_model.trained.h5", "context_filters": 32, "filters": 64, "run": "test"},
    })
    monkeypatch.setenv(pretrained.WEIGHTS_DIR_ENV_VARIABLE, str(tmp_path))
    return tmp_path, color_model


def test_load_pretrained_rebuilds_the_shipped_models(weights_folder):
    folder, original = weights_folder
    loaded = pretrained.load_pretrained("color")
    luma = np.random.default_rng(0).random((1, 32, 32, 1)).astype(np.float32)
    np.testing.assert_array_equal(loaded.predict(luma, verbose=0)["u"], original.predict(luma, verbose=0)["u"])
    color_model, consistency_model = pretrained.load_pretrained("consistency")
    assert consistency_model.input["previous_uv"].shape[-1] == 2


def test_a_changed_weights_file_is_refused(weights_folder):
    folder, _ = weights_folder
    manifest = json.loads((folder / "weights.json").read_text())
    manifest["color"]["sha256"] = "0" * 64
    (folder / "weights.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="refusing a changed or damaged weights file"):
        pretrained.load_pretrained("color")


def test_missing_manifest_and_unknown_kind(tmp_path):
    with pytest.raises(ValueError, match="No shipped weights"):
        pretrained.read_manifest(tmp_path)
    with pytest.raises(ValueError, match="kind"):
        pretrained.load_pretrained("recurrent", folder=tmp_path)
