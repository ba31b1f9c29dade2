"""Writing files so that nothing half-written is ever left at the target path."""

import contextlib
import os
import pathlib
import tempfile


@contextlib.contextmanager
def atomic_write(path, suffix=".partial"):
    """Yields a temporary path beside `path`; it replaces `path` only if the block succeeds.

    On an exception (or Ctrl-C) the temporary file is removed and `path` is untouched. `suffix`
    lets writers that check extensions (Keras wants `.weights.h5`) accept the temporary name.
    """
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    try:
        yield pathlib.Path(temporary)
        os.chmod(temporary, 0o644)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
