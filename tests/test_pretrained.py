import json

import numpy as np
import pytest

from colornn_keras import presets
from colornn_keras import pretrained


@pytest.mark.large
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
    manifest["presets"]["color"]["sha256"] = "0" * 64
    (folder / "weights.json").write_text(json.dumps(manifest))
    with pytest.raises(ValueError, match="refusing a changed or damaged weights file"):
        pretrained.load_pretrained("color")


def test_missing_manifest_and_unknown_kind(tmp_path):
    with pytest.raises(ValueError, match="No shipped weights"):
        presets.read_manifest(tmp_path)
    with pytest.raises(ValueError, match="kind"):
        pretrained.load_pretrained("transformer", folder=tmp_path)


def test_a_kind_the_manifest_lacks_is_refused_with_how_to_get_one(weights_folder):
    with pytest.raises(ValueError, match="ships no recurrent model.*--model recurrent"):
        pretrained.load_pretrained("recurrent")


@pytest.mark.large
def test_every_shipped_model_loads_and_colours_with_finite_output(monkeypatch):
    # The real weights folder inside the package: each preset it lists loads (checksums checked
    # on the way) and predicts finite distributions; broken (NaN) weights, as the withdrawn
    # recurrent ones were, are refused at load.
    from colornn_keras import inference

    monkeypatch.delenv(presets.WEIGHTS_DIR_ENV_VARIABLE, raising=False)
    assert presets.weights_dir().parent.name == "colornn_keras"
    shipped = presets.read_manifest()
    assert {"colornn_water_128", "colornn_water_consistency_128", "colornn_water_block4_consistency_128"} <= set(shipped)
    assert {entry["kind"] for entry in shipped.values()} <= set(presets.KINDS)
    frames = [np.random.default_rng(index).integers(0, 256, (37, 51, 3), dtype=np.uint8) for index in range(3)]
    for name, entry in shipped.items():
        loaded = presets.load_preset(name)
        color_model, video_model = (loaded, None) if entry["kind"] == "color" else (loaded.color_model, loaded)
        outputs = list(inference.Colorizer(color_model, video_model).colorize_sequence(frames))
        assert [output.shape for output in outputs] == [(37, 51, 3)] * 3, name
        probabilities = color_model.predict(np.full((1, *color_model.input_shape[1:]), 0.5, np.float32), verbose=0)
        assert np.isfinite(probabilities["u"]).all() and np.allclose(probabilities["u"].sum(-1), 1.0, atol=1e-3)


def test_a_preset_is_chosen_by_name_or_alias_and_its_video_model_found(monkeypatch):
    monkeypatch.delenv(presets.WEIGHTS_DIR_ENV_VARIABLE, raising=False)
    paper = pretrained.load_shipped("color", "paper")
    assert paper.image_size == 128
    color_model, consistency_model = pretrained.load_shipped("consistency", "colornn_water_128")
    assert consistency_model.color_model is color_model
    with pytest.raises(ValueError, match="No preset named 'sepia'.*colornn_water_128"):
        pretrained.load_shipped("color", "sepia")
    with pytest.raises(ValueError, match="No shipped recurrent model stands on the color preset 'colornn_water_128'"):
        pretrained.load_shipped("recurrent", "paper")
