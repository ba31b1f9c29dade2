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
    """Removes temporary files that an earlier, killed writer of `path` left beside it.

    Only this module's names for `path` whose writing process is gone are removed, so a
    concurrent writer of the same path keeps its file.
    """
    path = pathlib.Path(path)
    pattern = re.compile(rf"^\.{re.escape(path.name)}\.(\d+)\.[^.]+{re.escape(TEMPORARY_MARK)}")
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


@contextlib.contextmanager
def atomic_write(path, suffix=""):
    """Yields a temporary path beside `path`; it replaces `path` only if the block succeeds.

    On an exception (or Ctrl-C) the temporary file is removed and `path` is untouched. `suffix`
    ends the temporary name, for writers that check extensions (Keras wants `.weights.h5`).
    Temporaries that a killed earlier writer of `path` left are removed first. An `OSError`
    of creating, filling (a full disk) or renaming the file becomes an `OutputError` naming
    `path`, never the temporary name.
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
            os.replace(temporary, path)
        except OSError as error:
            raise cannot_write(path, error) from error
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
