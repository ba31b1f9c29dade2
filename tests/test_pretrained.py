import json

import numpy as np
import pytest

from colornn_keras import backbone
from colornn_keras import presets
from colornn_keras import pretrained
from colornn_keras.models import checkpoints
from colornn_keras.models import color
from colornn_keras.models import consistency
from colornn_keras.research import manifest
import colornn_keras


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
        loaded = pretrained.load_preset(name)
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


@pytest.fixture(scope="module")
def two_color_presets(tmp_path_factory, vgg16_weights):
    """A weights folder with two tiny (32x32) color presets, "second" the default, and a
    consistency preset standing on "first": (folder, {name: model})."""
    folder = tmp_path_factory.mktemp("presets")
    models = {}
    for seed, name in enumerate(("first", "second")):
        models[name] = color.ColorModel(image_size=32, backbone_weights=vgg16_weights)
        for weight in models[name].get_layer("u_logits").weights:
            weight.assign(np.random.default_rng(seed).normal(size=weight.shape).astype(np.float32))
        checkpoints.save_trained_part(models[name], folder / f"{name}.trained.h5")
    models["video"] = consistency.ConsistencyModel(models["first"], context_filters=8, filters=8)
    checkpoints.save_trained_part(models["video"], folder / "video.trained.h5")
    settings = {"image_size": 32, "num_bins": 30, "variant": "classification"}
    manifest.write_manifest(folder, {
        "first": {"kind": "color", "file": "first.trained.h5", **settings},
        "second": {"kind": "color", "default": True, "file": "second.trained.h5", **settings},
        "video": {"kind": "consistency", "color_preset": "first", "file": "video.trained.h5",
                  "context_filters": 8, "filters": 8},
    })
    return folder, models


def _u(model, seed=0):
    luma = np.random.default_rng(seed).random((1, 32, 32, 1)).astype(np.float32)
    return model.predict(luma, verbose=0)["u"]


@pytest.mark.large
def test_several_presets_of_a_kind_load_by_name_and_the_default_by_kind(two_color_presets, monkeypatch, vgg16_weights):
    folder, models = two_color_presets
    monkeypatch.setenv(presets.WEIGHTS_DIR_ENV_VARIABLE, str(folder))
    # Every preset loaded here builds VGG16; the session's copy of its weights saves reading them each time.
    monkeypatch.setattr(backbone, "load_vgg16_weights", lambda: vgg16_weights)
    assert presets.names("color") == ["first", "second"] and presets.default_preset("color") == "second"
    first = colornn_keras.ColorModel.from_preset("first")
    assert isinstance(first, color.ColorModel)
    np.testing.assert_array_equal(_u(first), _u(models["first"]))
    np.testing.assert_array_equal(_u(pretrained.load_pretrained("color")), _u(models["second"]))
    # The consistency preset stands on the color preset it was trained on, not on the default.
    video = consistency.ConsistencyModel.from_preset("video")
    np.testing.assert_array_equal(_u(video.color_model), _u(models["first"]))
    color_model, model = pretrained.load_pretrained("consistency")
    assert isinstance(model, consistency.ConsistencyModel) and color_model is model.color_model


def test_a_fine_tuned_preset_ships_its_backbone_as_a_difference_and_loads_it(tmp_path, monkeypatch, vgg16_weights):
    monkeypatch.setattr(backbone, "load_vgg16_weights", lambda: vgg16_weights)
    model = color.ColorModel(image_size=32, backbone_weights=vgg16_weights, fine_tune_from="block4_conv3")
    kernel = model.get_layer("block4_conv3").kernel
    kernel.assign(kernel.numpy() + np.random.default_rng(0).normal(0, 1e-3, kernel.shape).astype(np.float32))
    checkpoints.save_trained_part(model, tmp_path / "tuned.trained.h5", backbone_as_difference=True)
    manifest.write_manifest(tmp_path, {"tuned": {"kind": "color", "default": True, "file": "tuned.trained.h5",
                                                 "image_size": 32, "num_bins": 30, "fine_tune_from": "block4_conv3"}})
    loaded = pretrained.load_preset("tuned", folder=tmp_path)
    assert loaded.fine_tune_from == "block4_conv3"
    shipped = loaded.get_layer("block4_conv3").kernel.numpy()
    assert 0 < np.abs(shipped - kernel.numpy()).max() < 3e-5  # Half an int8 step of the change (<6e-3 / 127).
    assert manifest.parameter_counts("tuned", presets.preset_entry("tuned", tmp_path), tmp_path)[1] > 2_900_000
