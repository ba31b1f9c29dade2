"""The clean aperture of an mp4's video track (its `clap` box): the part of the coded picture to
show, which crops the pad that H.264's 4:2:0 chroma forces on an odd-sized picture back off.

H.264's own cropping (the frame-cropping fields of its sequence parameter set, which ffmpeg's
`h264_metadata` bitstream filter sets) moves each side of a 4:2:0 picture in steps of two pixels:
a 333x201 picture coded at 334x202 cannot be cropped back to 333x201 in the stream. The mp4 can
say it in whole pixels (`write`). Players that honour a clean aperture show 333x201; those that
ignore it show the coded picture, its last column and row repeated. ffmpeg 7.1 and later read it
("Frame Cropping" in its description of the stream) but crop to even sides; read with
`DECODER_OPTIONS`, the coded picture comes whole and `Crop.apply` crops it exactly.
"""

import dataclasses
import fractions
import os
import re
import struct

import numpy as np

# ffmpeg's input options that apply the stream's own cropping and leave the container's to `Crop`.
DECODER_OPTIONS = ["-apply_cropping", "codec"]
CLEAN_APERTURE_BYTES = 40
# Boxes on the way from the movie to a track's chunk offsets, and to its sample entries.
_CONTAINERS = (b"moov", b"trak", b"mdia", b"minf", b"stbl")
# A visual sample entry's fields before its own boxes (ISO/IEC 14496-12, 12.1.3), and where in
# them its coded width and height are.
_VISUAL_SAMPLE_ENTRY_FIELDS = 78
_SIZE_FIELD = 24
# Bytes moved at a time when the data after the movie header shifts to make room for the box.
_COPY_BYTES = 1 << 20


@dataclasses.dataclass(frozen=True)
class Crop:
    """Pixels a container crops off each side of the coded picture."""

    top: int = 0
    bottom: int = 0
    left: int = 0
    right: int = 0

    def apply(self, frame):
        """`frame` (H, W, ...) as the container shows it: cropped, contiguous."""
        height, width = frame.shape[:2]
        return np.ascontiguousarray(frame[self.top : height - self.bottom, self.left : width - self.right])


def from_header(header):
    """The `Crop` of the first video stream ffmpeg describes in `header` ("Frame Cropping:
    0/1/0/1", top/bottom/left/right, among its side data); None where it states none."""
    stream = re.search(r"^\s*Stream #\S+.*?: Video:.*\n((?:[ \t]{4,}.*\n?)*)", header, re.MULTILINE)
    match = stream and re.search(r"Frame Cropping: (\d+)/(\d+)/(\d+)/(\d+)", stream[1])
    if not match:
        return None
    crop = Crop(*(int(side) for side in match.groups()))
    return crop if crop != Crop() else None


class _Unexpected(Exception):
    """The file is laid out otherwise than `write` expects."""


def _boxes(data, start, end):
    """(type, offset, size, header size) of each box in `data[start:end]`."""
    while start < end:
        if end - start < 8:
            raise _Unexpected
        size, kind = struct.unpack_from(">I4s", data, start)
        header = 8
        if size == 1:
            (size,), header = struct.unpack_from(">Q", data, start + 8), 16
        elif size == 0:
            size = end - start
        if size < header or start + size > end:
            raise _Unexpected
        yield kind, start, size, header
        start += size


def _top_level_boxes(file, length):
    """(type, offset, size) of a file's top-level boxes, read box header by box header."""
    boxes, offset = [], 0
    while offset < length:
        file.seek(offset)
        head = file.read(16)
        if len(head) < 8:
            raise _Unexpected
        size, kind = struct.unpack_from(">I4s", head)
        if size == 1 and len(head) == 16:
            (size,) = struct.unpack_from(">Q", head, 8)
        elif size == 0:
            size = length - offset
        if size < 8 or offset + size > length:
            raise _Unexpected
        boxes.append((kind, offset, size))
        offset += size
    return boxes


def _child(data, box, kind):
    """The first box of `kind` inside `box` (offset, size, header size)."""
    _, offset, size, header = box
    for child in _boxes(data, offset + header, offset + size):
        if child[0] == kind:
            return child
    raise _Unexpected


def _video_sample_entry(movie):
    """The boxes from the movie to its first video track's first sample entry, outermost first."""
    whole = next(_boxes(movie, 0, len(movie)))
    for track in _boxes(movie, whole[3], len(movie)):
        if track[0] != b"trak":
            continue
        media = _child(movie, track, b"mdia")
        handler = _child(movie, media, b"hdlr")
        if movie[handler[1] + handler[3] + 8 : handler[1] + handler[3] + 12] != b"vide":
            continue
        information = _child(movie, media, b"minf")
        table = _child(movie, information, b"stbl")
        descriptions = _child(movie, table, b"stsd")
        # After its version, flags and entry count.
        entry = next(_boxes(movie, descriptions[1] + descriptions[3] + 8, descriptions[1] + descriptions[2]))
        return [whole, track, media, information, table, descriptions, entry]
    raise _Unexpected


def _grow(movie, box, by):
    """Adds `by` to the size a box states, in its 32- or 64-bit field."""
    _, offset, size, header = box
    if header == 16:
        struct.pack_into(">Q", movie, offset + 8, size + by)
    elif size + by > 0xFFFFFFFF:
        raise _Unexpected
    else:
        struct.pack_into(">I", movie, offset, size + by)


def _shift_chunk_offsets(movie, start, end, past, by):
    """Adds `by` to every chunk offset (stco, co64) beyond `past` in the boxes of `movie[start:end]`."""
    for kind, offset, size, header in _boxes(movie, start, end):
        if kind in _CONTAINERS:
            _shift_chunk_offsets(movie, offset + header, offset + size, past, by)
        elif kind in (b"stco", b"co64"):
            wide = kind == b"co64"
            (count,) = struct.unpack_from(">I", movie, offset + header + 4)
            entry_format, entry_bytes = (">Q", 8) if wide else (">I", 4)
            first = offset + header + 8
            if first + count * entry_bytes > offset + size:
                raise _Unexpected
            for index in range(count):
                (chunk,) = struct.unpack_from(entry_format, movie, first + index * entry_bytes)
                if chunk > past:
                    if not wide and chunk + by > 0xFFFFFFFF:
                        raise _Unexpected
                    struct.pack_into(entry_format, movie, first + index * entry_bytes, chunk + by)


def _cropped_movie(movie, movie_offset, right, bottom):
    """The movie header (moov) with a clean aperture in its video track's sample entry, and every
    chunk after the header moved on by the box's size."""
    path = _video_sample_entry(movie)
    entry = path[-1]
    if any(kind == b"clap" for kind, *_ in _boxes(movie, entry[1] + entry[3] + _VISUAL_SAMPLE_ENTRY_FIELDS,
                                                   entry[1] + entry[2])):
        raise _Unexpected  # Cropped already.
    width, height = struct.unpack_from(">HH", movie, entry[1] + entry[3] + _SIZE_FIELD)
    if not (0 <= right < width and 0 <= bottom < height):
        raise _Unexpected
    # Where the aperture's centre lies from the picture's: half the pixels cropped on the right, to the left.
    across, down = fractions.Fraction(-right, 2), fractions.Fraction(-bottom, 2)
    box = struct.pack(">I4sIIIIiIiI", CLEAN_APERTURE_BYTES, b"clap", width - right, 1, height - bottom, 1,
                      across.numerator, across.denominator, down.numerator, down.denominator)
    cropped = bytearray(movie)
    for outer in path:
        _grow(cropped, outer, CLEAN_APERTURE_BYTES)
    end = entry[1] + entry[2]
    cropped[end:end] = box
    _shift_chunk_offsets(cropped, path[0][3], len(cropped), movie_offset, CLEAN_APERTURE_BYTES)
    return cropped


def write(path, right=0, bottom=0):
    """Crops `right` and `bottom` pixels off the first video track of the mp4 at `path`, in place,
    with a clean aperture; True once it has. False, and the file untouched, where the file is not
    laid out as ffmpeg writes an mp4 (one movie header, not fragmented) or is cropped already.

    Where the movie header comes before the media (ffmpeg's `+faststart`), what follows it moves
    on by the box's 40 bytes: the file is read and written once more.
    """
    with open(path, "r+b") as file:
        length = file.seek(0, os.SEEK_END)
        try:
            boxes = _top_level_boxes(file, length)
            movies = [box for box in boxes if box[0] == b"moov"]
            if len(movies) != 1 or any(box[0] == b"moof" for box in boxes):
                return False
            _, movie_offset, movie_size = movies[0]
            file.seek(movie_offset)
            cropped = _cropped_movie(file.read(movie_size), movie_offset, right, bottom)
        except (_Unexpected, struct.error, StopIteration):
            return False
        position, movie_end = length, movie_offset + movie_size
        while position > movie_end:  # From the end, so that nothing is overwritten before it moves.
            step = min(_COPY_BYTES, position - movie_end)
            position -= step
            file.seek(position)
            block = file.read(step)
            file.seek(position + CLEAN_APERTURE_BYTES)
            file.write(block)
        file.seek(movie_offset)
        file.write(cropped)
    return True
