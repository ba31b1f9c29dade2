import json

import numpy as np
import pytest

from colornn_keras import pretrained


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
        pretrained.load_pretrained("transformer", folder=tmp_path)


def test_a_kind_the_manifest_lacks_is_refused_with_how_to_get_one(weights_folder):
    with pytest.raises(ValueError, match="ships no recurrent model.*--model recurrent"):
        pretrained.load_pretrained("recurrent")


def test_the_project_ships_all_three_kinds_with_matching_checksums(monkeypatch):
    from colornn_keras.models import checkpoints

    monkeypatch.delenv(pretrained.WEIGHTS_DIR_ENV_VARIABLE, raising=False)
    folder = pretrained.weights_dir()
    manifest = pretrained.read_manifest(folder)
    assert set(manifest) == set(pretrained.KINDS)
    for entry in manifest.values():
        assert checkpoints.sha256_of(folder / entry["file"]) == entry["sha256"], entry["file"]
