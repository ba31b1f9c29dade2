"""The free-running roll-out: a video model fed its own previous output, frame after frame.

Written once, knowing nothing of the model it runs: the consistency and recurrent models'
sequences (`consistency.predict_sequence`, `recurrent.predict_recurrent_sequence`), keyframes
carried by a model (`propagation`), scheduled sampling's roll-outs over the training clips
(`data.clips`), the `Colorizer`'s automatic flow-guided mode and the flow-guided model's training
roll-outs all run it. A shot starts afresh where `cuts` says, from `first` (the color model's
colours, say); a roll-out may also continue from a known frame's colours (`seed`: a keyframe's).
"""

import itertools


def roll_out(first, step, frames, cuts=None, seed=None):
    """Yields the output of each of `frames` in order, each made from the output before it.

    Args:
        first: callable(frame) -> output, for the first frame and each one a cut starts (the
            color model's colours, say). May be None where `seed` is given and `cuts` is None.
        step: callable(frame, previous_frame, previous_output) -> output: the model fed its own
            previous output.
        frames: iterable of whatever `first` and `step` take, read one at a time.
        cuts: optional iterable of booleans, True where a frame starts a new shot; read after each
            frame, so it may grow as the frames are read.
        seed: optional (frame, output) that the first frame follows (a keyframe and its colours).

    Example:
    >>> list(roll_out(lambda frame: 0, lambda frame, before, output: output + frame, [1, 2, 3, 4],
    ...               cuts=[False, False, True, False]))
    [0, 2, 0, 4]
    """
    previous = seed
    cut_flags = iter(cuts) if cuts is not None else itertools.repeat(False)
    for frame, cut in zip(frames, cut_flags):
        output = first(frame) if previous is None or cut else step(frame, *previous)
        yield output
        previous = (frame, output)
