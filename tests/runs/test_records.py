import dataclasses
import json

import pytest

from colornn_keras import errors
from colornn_keras.runs import records


@dataclasses.dataclass
class _Settings:
    videos: str
    epochs: int = 10


def test_a_missing_or_damaged_record_is_named_in_a_run_record_error(tmp_path):
    with pytest.raises(errors.RunRecordError, match=r"metrics.json is missing"):
        records.read_json(tmp_path / "metrics.json")
    (tmp_path / "metrics.json").write_text('{"test": ')  # Cut short.
    with pytest.raises(errors.RunRecordError, match=r"metrics.json is not valid JSON"):
        records.read_json(tmp_path / "metrics.json")
    (tmp_path / "metrics.json").write_text('{"test": 1}')
    assert records.read_json(tmp_path / "metrics.json") == {"test": 1}


def test_run_config_is_read_back_only_from_a_run_of_its_kind(tmp_path):
    (tmp_path / records.CONFIG_FILE).write_text(json.dumps(
        {"kind": "consistency", "videos": "clips", "image_size": 128, "precision_used": "float32"}))
    settings, recorded = records.read_run_config(tmp_path, "consistency", _Settings, ("image_size",))
    assert settings == _Settings(videos="clips") and recorded["image_size"] == 128
    with pytest.raises(errors.RunRecordError, match="is not a flow-guided run"):
        records.read_run_config(tmp_path, "flow_guided", _Settings, ("image_size",))
    with pytest.raises(errors.RunRecordError, match="does not know: image_size"):
        records.read_run_config(tmp_path, "consistency", _Settings)
    with pytest.raises(errors.RunRecordError, match="is not a run folder"):
        records.read_run_config(tmp_path / "nothing", "consistency", _Settings)


def test_settings_a_run_lacks_or_does_not_hold_as_an_object_are_refused(tmp_path):
    path = tmp_path / records.CONFIG_FILE
    with pytest.raises(errors.RunRecordError, match="lacks the settings videos"):
        records.check_settings(path, {"kind": "consistency", "epochs": 3}, _Settings)
    with pytest.raises(errors.RunRecordError, match="does not hold a run's settings"):
        records.check_settings(path, ["videos"], _Settings)
