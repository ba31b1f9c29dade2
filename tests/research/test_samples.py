"""The lab notebooks' data folders: the notebook's setting, the environment, the project's data,
else a small sample (written only when it is needed)."""

import pytest

from colornn_keras.research import samples


def test_lab_data_folder_prefers_the_notebook_setting_then_the_environment_then_the_project(
        tmp_path, monkeypatch, capsys):
    chosen, from_environment, project = (tmp_path / name for name in ("chosen", "environment", "project"))
    for folder in (chosen, from_environment, project):
        folder.mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("COLORNN_DATA", str(from_environment))
    assert samples.lab_data_folder(str(chosen), "COLORNN_DATA", project, "photos") == chosen
    assert samples.lab_data_folder(None, "COLORNN_DATA", project, "photos") == from_environment
    assert "(from COLORNN_DATA)" in capsys.readouterr().out
    monkeypatch.delenv("COLORNN_DATA")
    assert samples.lab_data_folder(None, "COLORNN_DATA", project, "photos") == project
    # A folder named explicitly that is missing is an error, never a silent fallback to the sample.
    with pytest.raises(ValueError, match="DATA_DIR is .*missing, which is not a folder"):
        samples.lab_data_folder(str(tmp_path / "missing"), "COLORNN_DATA", project, "photos")
    monkeypatch.setenv("COLORNN_VIDEOS", str(tmp_path / "missing"))
    with pytest.raises(ValueError, match="COLORNN_VIDEOS is"):
        samples.lab_data_folder(None, "COLORNN_VIDEOS", project, "videos")
    assert not (tmp_path / samples.SAMPLES_FOLDER).exists()
