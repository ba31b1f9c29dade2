"""What a run folder must hold for its models to load, checked before any model is built (the
models themselves load in tests/research/training/test_training.py, from runs trained there)."""

import dataclasses
import json

import pytest

from colornn_keras import errors
from colornn_keras.runs import configs
from colornn_keras.runs import loading
from colornn_keras.runs import records


def _color_run(folder, **settings):
    folder.mkdir()
    config = configs.ColorTrainingConfig(data="photos", image_size=32)
    (folder / records.CONFIG_FILE).write_text(json.dumps({"kind": "color", **dataclasses.asdict(config), **settings}))
    (folder / records.ENVIRONMENT_FILE).write_text(json.dumps({"dtype_policy": "float32"}))
    return folder


def test_an_unfinished_run_or_a_missing_weights_file_is_named(tmp_path):
    run = _color_run(tmp_path / "run")
    with pytest.raises(errors.RunRecordError, match=r"no trained weights \(color_model.trained.h5\); has it finished"):
        loading.load_color_run(run)
    with pytest.raises(errors.WeightsError, match="other.trained.h5 does not exist"):
        loading.load_color_run(run, tmp_path / "other.trained.h5")


def test_a_run_of_another_kind_or_with_settings_this_version_does_not_know_is_refused(tmp_path):
    run = _color_run(tmp_path / "run", colour_jitter=0.2)
    with pytest.raises(errors.RunRecordError, match="records settings this version does not know: colour_jitter"):
        loading.load_color_run(run)
    with pytest.raises(errors.RunRecordError, match="is not a consistency run"):
        loading.load_consistency_run(run)
    with pytest.raises(errors.RunRecordError, match="is not a flow-guided run"):
        loading.load_flow_guided_run(run)


def test_a_consistency_config_names_its_model_and_trained_part_file():
    paper = configs.ConsistencyTrainingConfig(videos="clips", color_run="run")
    recurrent = dataclasses.replace(paper, model="recurrent")
    assert loading.video_trained_part_file(paper) == records.CONSISTENCY_TRAINED_PART_FILE
    assert loading.video_trained_part_file(recurrent) == records.RECURRENT_TRAINED_PART_FILE
