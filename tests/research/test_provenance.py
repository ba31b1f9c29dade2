"""Provenance (`provenance`): the environment record, the code's git state, and a resumed run's changed code."""

import importlib.util
import pathlib
import subprocess

from colornn_keras.research import experiments
from colornn_keras.research import provenance


def test_environment_record_names_versions_precision_vgg16_and_git_state():
    from colornn_keras import backbone
    from colornn_keras import presets

    record = provenance.environment_record("mixed_bfloat16")
    assert record["dtype_policy"] == "mixed_bfloat16"
    assert record["packages"]["keras"].startswith("3.") and record["packages"]["onnx"]
    assert record["packages"]["opencv-python-headless"] or record["packages"]["opencv-python"]
    assert {"git_commit", "git_dirty", "git_diff_sha256", "processor", "cpu_count"} <= set(record)
    vgg16 = record["vgg16_weights"]
    assert vgg16["file"] == str(backbone.cache_dir() / backbone.CACHE_FILE_NAME)
    assert vgg16["sha256"] == presets.sha256_of(vgg16["file"])
    assert provenance.precision_used("mixed_bfloat16") == "bfloat16" and provenance.precision_used("float32") == "float32"


def _git(folder, *arguments):
    subprocess.run(["git", "-c", "user.name=test", "-c", "user.email=test@example.com", *arguments],
                   cwd=folder, check=True, capture_output=True)


def test_the_git_state_covers_the_code_only_and_hashes_its_difference(tmp_path):
    # A copy of provenance.py in a throw-away repository with the project's layout, so that its
    # `code_record` looks at that repository.
    module = "colornn_keras/research/provenance.py"
    for path in (module, "setup.py", "experiments/run/metrics.json", "notebooks/a.ipynb"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("1\n")
    (tmp_path / module).write_text(pathlib.Path(provenance.__file__).read_text())
    _git(tmp_path, "init", "-q")
    _git(tmp_path, "add", ".")
    _git(tmp_path, "commit", "-q", "-m", "start")
    spec = importlib.util.spec_from_file_location("copied_provenance", tmp_path / module)
    copied = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(copied)

    clean = copied.code_record()
    assert clean["git_dirty"] is False and clean["git_diff_sha256"] is None and len(clean["git_commit"]) == 40
    (tmp_path / "experiments/run/metrics.json").write_text("2\n")  # A run's record and a notebook: not code.
    (tmp_path / "notebooks/a.ipynb").write_text("2\n")
    (tmp_path / "experiments/new_run").mkdir()
    (tmp_path / "experiments/new_run/config.json").write_text("{}")
    assert copied.code_record() == clean
    (tmp_path / "setup.py").write_text("2\n")
    first = copied.code_record()
    assert first["git_dirty"] is True and first["git_dirty_paths"] == ["setup.py"] and first["git_diff_sha256"]
    (tmp_path / "setup.py").write_text("3\n")
    second = copied.code_record()
    assert second["git_diff_sha256"] != first["git_diff_sha256"]
    (tmp_path / "colornn_keras/new_module.py").write_text("x = 1\n")  # Untracked code counts too.
    third = copied.code_record()
    assert third["git_dirty_paths"] == ["colornn_keras/new_module.py", "setup.py"]
    assert third["git_diff_sha256"] != second["git_diff_sha256"]


def test_a_run_resumed_with_other_code_is_flagged_with_both(tmp_path):
    started = {"git_commit": "a" * 40, "git_diff_sha256": None}
    experiments.write_json(tmp_path / "environment.json", {**started, "resumed": [{**started, "at": "then"}]})
    assert provenance.code_changes(tmp_path) == {}
    later = {"git_commit": "b" * 40, "git_diff_sha256": None}
    experiments.write_json(tmp_path / "environment.json", {**started, "resumed": [started, {**later, "at": "now"}]})
    assert provenance.code_changes(tmp_path) == {
        "code_changed_between_sittings": {"started": started, "resumed": [started, later]}}
    assert provenance.code_changes(tmp_path / "no_such_run") == {}
