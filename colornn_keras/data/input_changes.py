"""Whether a video input changed during a run that reads it twice (`InputIdentity`): a file's
size, time, inode and end blocks, or a folder's frame files, read before and checked after.
"""

import dataclasses
import hashlib
import os
import pathlib

from colornn_keras import errors
from colornn_keras.data import frame_folders

# The bytes hashed at each end of an input file to tell whether it changed during a run: the
# header at the start and, in most mp4s, the index at one end, for a 128 KiB read however large.
IDENTITY_BLOCK_BYTES = 64 * 1024


@dataclasses.dataclass(frozen=True)
class InputIdentity:
    """What tells a video input apart from another put in its place, or from itself rewritten,
    cheaply: for a file its size, modification time (ns), inode and device, and a hash of its
    first and last `IDENTITY_BLOCK_BYTES`; for a folder of frames each frame file's name, size,
    modification time and inode (`frames`, and the file fields left None).

    Runs that read their input twice (keyframes, smoothing both ways) join the second reading's
    luma to the colours of the first: `input_identity` before the first reading and
    `check_unchanged` after the last catch an input replaced in between.
    """

    size: int = None
    modified_ns: int = None
    inode: int = None
    device: int = None
    digest: str = None
    frames: tuple = None

    def changed(self, now):
        """In a few words, how `now` (the input's identity read again) differs; None if it does not."""
        if now is None:
            return "it can no longer be read"
        if self.frames is not None:
            before, after = {frame[0]: frame for frame in self.frames}, {frame[0]: frame for frame in now.frames or ()}
            if before.keys() != after.keys():
                names = sorted(before.keys() ^ after.keys())
                return f"frames added or removed: {', '.join(names[:3])}{', ...' if len(names) > 3 else ''}"
            names = sorted(name for name in before if before[name] != after[name])
            return f"frames rewritten: {', '.join(names[:3])}{', ...' if len(names) > 3 else ''}" if names else None
        if (now.inode, now.device) != (self.inode, self.device):
            return "another file was put in its place"
        if now.size != self.size:
            return f"its size went from {self.size} to {now.size} bytes"
        if now.digest != self.digest:
            return "its contents were rewritten"
        if now.modified_ns != self.modified_ns:
            return "it was modified"
        return None


def input_identity(path):
    """The `InputIdentity` of a video file or a folder of numbered frames; None where it cannot
    be read (the reading that follows says why)."""
    path = pathlib.Path(path)
    try:
        if path.is_dir():
            frames = []
            for frame in frame_folders.images_in_order(path):
                status = frame.stat()
                frames.append((frame.name, status.st_size, status.st_mtime_ns, status.st_ino))
            return InputIdentity(frames=tuple(frames))
        with open(path, "rb") as file:
            status = os.fstat(file.fileno())
            digest = hashlib.blake2b(file.read(IDENTITY_BLOCK_BYTES), digest_size=16)
            if status.st_size > IDENTITY_BLOCK_BYTES:
                file.seek(max(IDENTITY_BLOCK_BYTES, status.st_size - IDENTITY_BLOCK_BYTES))
                digest.update(file.read(IDENTITY_BLOCK_BYTES))
        return InputIdentity(status.st_size, status.st_mtime_ns, status.st_ino, status.st_dev, digest.hexdigest())
    except OSError:
        return None


def check_unchanged(path, identity):
    """An `InputError` where the input at `path` is no longer the one `identity` (`input_identity`,
    read before the run's first reading) describes: a run that read it twice would join two inputs.
    Made before the output is placed, so that nothing is written then."""
    reason = identity.changed(input_identity(path)) if identity is not None else None
    if reason is not None:
        raise errors.InputError(f"{path} changed during the run ({reason}): nothing was written from it.")
