"""Presets: the table of shipped models by name (weights.json), several of a kind beside one
default, as `colornn presets` and the README list it."""

import json
import pathlib

import pytest

from colornn_keras import cli
from colornn_keras import errors
from colornn_keras import presets
from colornn_keras import pretrained
from colornn_keras.models import consistency
from colornn_keras.research import manifest

PROJECT_ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_a_wrong_kind_an_unknown_name_and_two_defaults_are_refused(tmp_path):
    # Refused from the table alone, before any model is built or file read: the files need not be weights.
    for name in ("first", "video"):
        (tmp_path / f"{name}.trained.h5").write_bytes(name.encode())
    manifest.write_manifest(tmp_path, {
        "first": {"kind": "color", "default": True, "file": "first.trained.h5", "image_size": 32},
        "video": {"kind": "consistency", "color_preset": "first", "file": "video.trained.h5"},
    })
    with pytest.raises(ValueError, match=r"consistency preset; load it with ConsistencyModel.from_preset\('video'\)"):
        pretrained.load_preset("video", kind="color", folder=tmp_path)
    with pytest.raises(ValueError, match=r"color preset; load it with ColorModel.from_preset\('first'\)"):
        consistency.ConsistencyModel.from_preset("first", folder=tmp_path)
    with pytest.raises(ValueError, match="No preset named 'third'; the presets are first, video"):
        pretrained.load_preset("third", folder=tmp_path)
    written = json.loads((tmp_path / presets.MANIFEST).read_text())
    written["presets"]["second"] = {**written["presets"]["first"]}
    (tmp_path / presets.MANIFEST).write_text(json.dumps(written))
    with pytest.raises(ValueError, match="several color presets as the default: first, second"):
        presets.read_manifest(tmp_path)


def test_a_weights_folder_from_before_presets_had_names_is_refused_saying_how_to_rewrite_it(tmp_path):
    (tmp_path / presets.MANIFEST).write_text(json.dumps({
        "color": {"file": "c.h5", "image_size": 32, "num_bins": 30, "sha256": "0"},
        "consistency": {"file": "s.h5", "context_filters": 32, "filters": 64, "sha256": "1"}}))
    with pytest.raises(errors.WeightsError, match=r"lists models by kind.*rewrite it as \{\"presets\".*color_preset"):
        presets.default_preset("consistency", tmp_path)


def test_sha256_of_a_file(tmp_path):
    path = tmp_path / "file.bin"
    path.write_bytes(b"abc")
    assert presets.sha256_of(path) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"


def test_the_readme_lists_the_presets_as_colornn_presets_does(capsys):
    assert cli.main(["presets", "--markdown"]) == 0
    table = capsys.readouterr().out
    assert table == presets.markdown_table()
    assert "| `colornn_water_weighted_block5_128` | color (default) | 128×128 |" in table
    assert "| `colornn_all_sets_block5_128` | color |" in table and "| `colornn_all_sets_block4_128` | color |" in table
    assert "| `colornn_water_block4_128` | color |" in table and "| `colornn_water_128` | color |" in table
    assert table in (PROJECT_ROOT / "README.md").read_text()
    assert cli.main(["presets"]) == 0
    listing = capsys.readouterr().out
    assert "colornn_water_block4_consistency_128  [consistency (default)]" in listing and "free-running" in listing
    assert "colornn_water_consistency_128  [consistency]" in listing


def test_the_default_consistency_model_stands_on_a_shipped_color_model_it_was_trained_on():
    # `--consistency` without `--weights` must not mix a video model with a color model it was not
    # trained on: it brings its own (the default color model moved on to all 29 sets since).
    default_video = presets.preset_entry(presets.default_preset("consistency"))
    assert default_video["color_preset"] in presets.names("color")
    run_config = json.loads((PROJECT_ROOT / default_video["run"] / "config.json").read_text())
    color_run = presets.preset_entry(default_video["color_preset"])["run"]
    assert (PROJECT_ROOT / run_config["color_run"]).resolve() == (PROJECT_ROOT / color_run).resolve()
    paper_video = presets.preset_entry("colornn_water_consistency_128")
    assert paper_video["color_preset"] == pretrained.PRESET_ALIASES["paper"]
