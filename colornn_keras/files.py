"""Writing files so that nothing half-written is ever left at the target path."""

import contextlib
import errno
import os
import pathlib
import re
import tempfile

from colornn_keras import errors

# Errors of a write that ran out of room: whatever the block was doing, they are the output's.
OUT_OF_ROOM_ERRORS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)
TEMPORARY_MARK = ".partial"


def temporary_prefix(path):
    """The start of every temporary file name `atomic_write` uses for `path`: `.<name>.<pid>.`"""
    return f".{pathlib.Path(path).name}.{os.getpid()}."


def _process_is_alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # Another user's process: alive.
        return True
    return True


def remove_stale_temporaries(path):
    """Removes temporary files that earlier, killed writers left in `path`'s folder.

    A killed run leaves its hidden temporary whatever its target was, and the next run in that
    folder rarely writes the same name again: so the temporaries of every target in the folder
    are cleared, not only those of `path`. Only this module's names whose writing process is gone
    are removed, so a concurrent writer (of any target) keeps its file.
    """
    path = pathlib.Path(path)
    pattern = re.compile(rf"^\..+\.(\d+)\.[^.]+{re.escape(TEMPORARY_MARK)}")
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return
    for sibling in siblings:
        match = pattern.match(sibling.name)
        if match and int(match.group(1)) != os.getpid() and not _process_is_alive(int(match.group(1))):
            with contextlib.suppress(OSError):
                sibling.unlink()


def cannot_write(path, error):
    """An `OutputError` for an `OSError` met while writing `path`, without temporary names."""
    reason = error.strerror or str(error) or type(error).__name__
    return errors.OutputError(f"Cannot write {path}: {reason}.")


def _names(error, temporary):
    return error.filename is not None and os.fspath(error.filename) == temporary


# How `os.link` says the file system has no hard links (FAT, exFAT, some network shares).
_NO_HARD_LINKS = {errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.ENOSYS, errno.EMLINK}


def _place_exclusively(temporary, path):
    """Moves `temporary` to `path` only if nothing is there; a `FileExistsError` otherwise.

    A hard link is made and the temporary name removed: the link fails if `path` exists, in one
    step, so of two runs placing the same new path one wins and the other knows it lost. Where
    the file system has no hard links, a check then a rename, which leaves a moment between the two.
    """
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise
    except OSError as error:
        if error.errno not in _NO_HARD_LINKS:
            raise
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), os.fspath(path)) from None
        os.rename(temporary, path)
        return
    os.unlink(temporary)


def kept_name(path, number=1, ending=None):
    """Where a run that lost the race for `path` keeps its output: `out.mp4` -> `out_kept.mp4`,
    then `out_kept_2.mp4`... Visible and beside `path`, with its extension (`ending`, default
    `path`'s suffix), so it opens as the output would have."""
    path = pathlib.Path(path)
    ending = path.suffix if ending is None else ending
    base = path.name[:len(path.name) - len(ending)] if ending else path.name
    return path.with_name(f"{base}_kept{'' if number == 1 else f'_{number}'}{ending}")


def _keep(temporary, path, ending):
    """Places `temporary` under the first free `kept_name` of `path`; returns that name."""
    for number in range(1, 1000):
        kept = kept_name(path, number, ending)
        try:
            _place_exclusively(temporary, kept)
            return kept
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "every name to keep it under is taken", os.fspath(path))


def _lost_the_race(temporary, path, suffix):
    """The `OutputError` of a run that found `path` placed by another run while it worked; its
    output is kept beside it rather than lost."""
    if path.is_dir() and not path.is_symlink():  # An empty folder passes the check before the work.
        return cannot_write(path, IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR)))
    ending = suffix if suffix and path.name.endswith(suffix) else path.suffix
    try:
        kept = _keep(temporary, path, ending)
    except OSError as error:
        reason = error.strerror or str(error) or type(error).__name__
        return errors.OutputError(f"{path} was placed by another run first, and this run's output could not be "
                                  f"kept: {reason}.")
    return errors.OutputError(f"{path} was placed by another run first; this run's output is kept as {kept}.")


@contextlib.contextmanager
def atomic_write(path, suffix="", replace=True):
    """Yields a temporary path beside `path`; it is put at `path` only if the block succeeds.

    On an exception (or Ctrl-C) the temporary file is removed and `path` is untouched. `suffix`
    ends the temporary name, for writers that check extensions (Keras wants `.weights.h5`).
    Temporaries that killed earlier writers left in the folder are removed first. An `OSError`
    of creating, filling (a full disk) or renaming the file becomes an `OutputError` naming
    `path`, never the temporary name.

    With `replace` (records, weights) the file replaces whatever is at `path`. Without it (a
    colorized output without `--overwrite`) it is placed only if `path` is still free when the
    work is done: a check made before the work cannot see another run placing the same path
    meanwhile. If one did, its file stays, and this one is kept as `kept_name(path)`: an
    `OutputError` names both.
    """
    path = pathlib.Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        remove_stale_temporaries(path)
        handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=temporary_prefix(path),
                                             suffix=TEMPORARY_MARK + suffix)
        os.close(handle)
    except OSError as error:
        raise cannot_write(path, error) from None
    try:
        try:
            yield pathlib.Path(temporary)
        except OSError as error:
            if error.errno in OUT_OF_ROOM_ERRORS or _names(error, temporary):
                raise cannot_write(path, error) from error
            raise
        try:
            os.chmod(temporary, 0o644)
            if replace:
                os.replace(temporary, path)
            else:
                _place_exclusively(temporary, path)
        except FileExistsError:
            raise _lost_the_race(temporary, path, suffix) from None
        except OSError as error:
            raise cannot_write(path, error) from error
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
