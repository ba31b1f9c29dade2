"""The threads of a video run: frames read ahead and written behind in order, errors re-raised in
the caller, a producer that stops with its consumer, and a second reading checked against the first."""

import threading
import time

import pytest

from colornn_keras import errors
from colornn_keras.data import video_pipeline


def test_read_ahead_keeps_order_reraises_errors_and_stops_early():
    assert list(video_pipeline.read_ahead(iter(range(20)), depth=3)) == list(range(20))

    def failing():
        yield 1
        raise ValueError("truncated")

    with pytest.raises(ValueError, match="truncated"):
        list(video_pipeline.read_ahead(failing(), depth=2))
    produced = []

    def endless():
        for index in range(10**6):
            produced.append(index)
            yield index

    reader = video_pipeline.read_ahead(endless(), depth=2)
    assert next(reader) == 0
    reader.close()  # The consumer stops: the producer must end too, not fill memory.
    count = len(produced)
    time.sleep(0.3)
    assert len(produced) == count < 10


def test_write_behind_writes_in_order_in_another_thread_and_reraises_its_errors():
    written, threads, counted = [], set(), []

    def write(index, frame):
        threads.add(threading.get_ident())
        written.append((index, frame))

    video_pipeline.write_behind(((index, f"frame {index}") for index in range(10)), write, counted.append, depth=2)
    assert written == [(index, f"frame {index}") for index in range(10)]
    assert counted == [1] * 10 and threads and threading.get_ident() not in threads

    def full_disk(index, frame):
        if index == 3:
            raise OSError("No space left on device")

    with pytest.raises(OSError, match="No space left"):
        video_pipeline.write_behind(((index, None) for index in range(10)), full_disk)


def test_a_second_reading_must_give_as_many_frames_as_the_first():
    assert list(video_pipeline.as_many_frames(iter(range(4)), 4, "clip.mp4")) == [0, 1, 2, 3]
    for frames, said in ((range(3), "then as 3"), (range(6), "then as more")):
        with pytest.raises(errors.InputError, match=rf"clip.mp4 changed while it was being coloured: it read as 4 "
                                                    rf"frames, {said}\.$"):
            list(video_pipeline.as_many_frames(iter(frames), 4, "clip.mp4"))
