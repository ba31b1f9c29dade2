"""The shipped weights travel with the package: in the wheel, beside the code that loads them."""

import hashlib
import pathlib
import subprocess
import sys
import zipfile

import pytest

from colornn_keras import presets

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_the_weights_are_found_inside_the_package_not_the_source_tree(monkeypatch):
    monkeypatch.delenv(presets.WEIGHTS_DIR_ENV_VARIABLE, raising=False)
    assert presets.weights_dir() == pathlib.Path(presets.__file__).resolve().parent / "weights"
    assert (presets.weights_dir() / presets.MANIFEST).is_file()


def test_ci_checks_the_wheel_after_the_tests():
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    tests = next(index for index, line in enumerate(lines) if "python -m pytest" in line)
    wheel = next(index for index, line in enumerate(lines) if ".ci/check_wheel" in line and not line.startswith("#"))
    assert tests < wheel  # The demo needs the VGG16 weights cache the tests make.


@pytest.mark.large
def test_the_wheel_holds_every_shipped_file_with_its_recorded_checksum(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(tmp_path), str(ROOT)],
                   check=True, capture_output=True, timeout=600)
    (wheel,) = tmp_path.glob("colornn_keras-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        for name, entry in presets.read_manifest().items():
            data = archive.read(f"colornn_keras/weights/{entry['file']}")
            assert hashlib.sha256(data).hexdigest() == entry["sha256"], name
        assert "colornn_keras/weights/MODEL_CARD.md" in archive.namelist()
