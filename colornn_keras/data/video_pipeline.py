"""The threads that keep a video run's decoding, prediction and encoding overlapping: frames read
ahead of the prediction, and written behind it, in order, each through a short queue so that
memory stays flat however long the clip.
"""

import collections
import concurrent.futures
import queue
import threading

from colornn_keras import errors

# Frames in flight on each side of the prediction: enough to keep the threads busy, few enough to
# hold little.
PIPELINE_DEPTH = 4


def read_ahead(iterator, depth):
    """Yields `iterator`'s items, produced `depth` ahead in a thread; its errors are re-raised here."""
    items = queue.Queue(maxsize=depth)
    finished = object()
    stop = threading.Event()

    def produce():
        try:
            for item in iterator:
                while not stop.is_set():
                    try:
                        items.put((item, None), timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
            items.put((finished, None))
        except BaseException as error:  # Handed to the consumer, which raises it.
            items.put((finished, error))

    thread = threading.Thread(target=produce, daemon=True)
    thread.start()
    try:
        while True:
            item, error = items.get()
            if item is finished:
                if error is not None:
                    raise error
                return
            yield item
    finally:
        stop.set()  # The consumer stopped early (an error, Ctrl-C): let the producer end.
        thread.join(timeout=5)


def write_behind(pairs, write, progress=None, depth=PIPELINE_DEPTH):
    """Calls `write(*pair)` for each of `pairs` in order, in one thread of its own, at most `depth`
    behind the reading of `pairs`; `progress(1)` as each is written. An error of writing is
    re-raised here."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as writing_thread:
        pending = collections.deque()

        def finish_oldest():
            pending.popleft().result()  # Re-raises a writing error here.
            if progress is not None:
                progress(1)

        for pair in pairs:
            pending.append(writing_thread.submit(write, *pair))
            if len(pending) > depth:
                finish_oldest()
        while pending:
            finish_oldest()


def as_many_frames(frames, count, source):
    """`frames`, checked to be as many as the `count` a first reading of `source` gave."""
    read = 0
    for frame in frames:
        if read == count:
            break
        yield frame
        read += 1
    else:
        if read == count:
            return
    raise errors.InputError(f"{source} changed while it was being coloured: it read as {count} frames, then "
                            f"as {'more' if read == count else read}.")
