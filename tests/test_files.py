import pytest

from colornn_keras import files


def test_atomic_write_replaces_the_target_only_on_success(tmp_path):
    target = tmp_path / "record.json"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with files.atomic_write(target) as temporary:
            temporary.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old"
    with files.atomic_write(target) as temporary:
        temporary.write_text("new")
    assert target.read_text() == "new"
    assert [path.name for path in tmp_path.iterdir()] == ["record.json"]
