import pytest

from colornn_keras import errors
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


def _stale_temporary(target, pid):
    """A temporary of `atomic_write` for `target` as a writer with process id `pid` leaves it."""
    path = target.parent / f".{target.name}.{pid}.abcd1234{files.TEMPORARY_MARK}.mp4"
    path.write_bytes(b"half a video")
    return path


def test_a_killed_writers_temporary_is_removed_by_the_next_write(tmp_path):
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead_pid = int(finished.stdout)  # The process has ended: its temporary is stale.
    target = tmp_path / "clip.mp4"
    stale = _stale_temporary(target, dead_pid)
    alive = _stale_temporary(target, 1)  # Process 1 lives: a concurrent writer keeps its file.
    unrelated = tmp_path / ".other.mp4.123.abcd1234.partial.mp4"
    unrelated.write_bytes(b"")
    with files.atomic_write(target, suffix=".mp4") as temporary:
        assert temporary.name.startswith(files.temporary_prefix(target))
        temporary.write_bytes(b"whole")
    assert not stale.exists() and alive.exists() and unrelated.exists()
    assert target.read_bytes() == b"whole"


def test_write_failures_name_the_target_not_the_temporary(tmp_path):
    import errno

    blocked = tmp_path / "a_file"
    blocked.write_text("")
    with pytest.raises(errors.OutputError, match=r"Cannot write .*a_file/out.png: ") as failure:
        with files.atomic_write(blocked / "out.png"):
            pass
    assert files.TEMPORARY_MARK not in str(failure.value)
    target = tmp_path / "out.json"
    with pytest.raises(errors.OutputError, match=r"Cannot write .*out.json: No space left on device") as failure:
        with files.atomic_write(target) as temporary:
            raise OSError(errno.ENOSPC, "No space left on device", str(temporary))
    assert files.TEMPORARY_MARK not in str(failure.value)
    assert list(tmp_path.iterdir()) == [blocked]
