import pathlib

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
    with files.atomic_write(target, suffix=".mp4") as temporary:
        assert temporary.name.startswith(files.temporary_prefix(target))
        temporary.write_bytes(b"whole")
    assert not stale.exists() and alive.exists()
    assert target.read_bytes() == b"whole"


def _dead_pid():
    import subprocess
    import sys

    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    return int(finished.stdout)  # The process has ended.


def test_a_killed_run_s_temporaries_are_cleared_by_the_next_write_in_the_folder_whatever_its_target(tmp_path):
    # Issue #30 item 7: a killed video run's hidden temporary stayed until a run to the same path.
    dead_pid = _dead_pid()
    other_targets = [_stale_temporary(tmp_path / name, dead_pid) for name in ("clip.mp4", "old_run.mp4")]
    alive = _stale_temporary(tmp_path / "busy.mp4", 1)  # Another target's writer still at work keeps its file.
    hidden = tmp_path / ".notes.123.txt"  # Hidden, but no temporary's name.
    hidden.write_text("mine")
    with files.atomic_write(tmp_path / "photo.png", suffix=".png") as temporary:
        temporary.write_bytes(b"png")
    assert not any(path.exists() for path in other_targets)
    assert sorted(path.name for path in tmp_path.iterdir()) == sorted([alive.name, hidden.name, "photo.png"])


# Two processes write the same new path; each finishes its work (writes its temporary) before
# either places it, as two runs whose "already exists" check both passed before the work.
_RACER = '''
import pathlib, sys, time
from colornn_keras import errors, files

target, barrier, name = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2]), sys.argv[3]
try:
    with files.atomic_write(target, suffix=".mp4", replace=False) as temporary:
        temporary.write_text(name)
        (barrier / name).touch()
        deadline = time.monotonic() + 60
        while len(list(barrier.iterdir())) < 2:
            if time.monotonic() > deadline:
                sys.exit("the other writer never finished its work")
            time.sleep(0.005)
except errors.OutputError as error:
    print(error)
    sys.exit(3)
'''


def test_of_two_runs_placing_the_same_new_path_one_wins_and_the_other_keeps_its_work(tmp_path):
    import re
    import subprocess
    import sys

    target, barrier = tmp_path / "out" / "clip.mp4", tmp_path / "barrier"
    target.parent.mkdir()
    barrier.mkdir()
    racers = {name: subprocess.Popen([sys.executable, "-c", _RACER, str(target), str(barrier), name],
                                     stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
              for name in ("first", "second")}
    results = {name: (racer.wait(timeout=120), *racer.communicate()) for name, racer in racers.items()}
    assert sorted(code for code, _, _ in results.values()) == [0, 3], results
    (winner,) = [name for name, (code, _, _) in results.items() if code == 0]
    (loser,) = [name for name, (code, _, _) in results.items() if code == 3]
    message = results[loser][1].strip()
    assert len(message.splitlines()) == 1 and files.TEMPORARY_MARK not in message
    match = re.fullmatch(rf"{re.escape(str(target))} was placed by another run first; this run's output is kept "
                         rf"as (.+)\.", message)
    assert match, message
    kept = pathlib.Path(match[1])
    assert kept == files.kept_name(target) == target.with_name("clip_kept.mp4")
    assert target.read_text() == winner and kept.read_text() == loser
    assert sorted(path.name for path in target.parent.iterdir()) == ["clip.mp4", "clip_kept.mp4"]


def test_placing_without_replace_keeps_each_losing_run_s_work_and_replace_still_replaces(tmp_path):
    target = tmp_path / "photo.png"
    for number, content in enumerate(["one", "two"], start=1):
        with pytest.raises(errors.OutputError, match=f"kept as .*{files.kept_name(target, number).name}"):
            with files.atomic_write(target, suffix=".png", replace=False) as temporary:
                temporary.write_text(content)
                if not target.exists():
                    target.write_text("placed by another run")
    assert target.read_text() == "placed by another run"
    assert [files.kept_name(target, number).read_text() for number in (1, 2)] == ["one", "two"]
    assert files.kept_name(target, 2).name == "photo_kept_2.png"
    with files.atomic_write(target, replace=True) as temporary:
        temporary.write_text("replaced")
    assert target.read_text() == "replaced"
    folder = tmp_path / "a_folder.png"  # An empty folder passes the check before the work: not a race.
    folder.mkdir()
    with pytest.raises(errors.OutputError, match="Cannot write .*a_folder.png: Is a directory"):
        with files.atomic_write(folder, replace=False) as temporary:
            temporary.write_text("x")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a_folder.png", "photo.png", "photo_kept.png",
                                                               "photo_kept_2.png"]


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
