"""The failures ColorNN-Keras expects and reports to its user, as opposed to bugs.

A `ColorNNError` is something the user can fix: a missing or damaged input, an output that
cannot be written, weights that do not match, a damaged run record, an impossible setting. Its
message is one line that names the file concerned. `colornn` prints it and exits with code 2;
any other exception is a bug and keeps its traceback (exit code 1).

`ColorNNError` is a `ValueError`, so code that caught the `ValueError`s the library raised
before these types existed still catches them.
"""


class ColorNNError(ValueError):
    """An expected failure with a one-line message; the base of the more specific types below.

    Raised as such for settings that cannot work (a negative learning rate, a run name with a
    slash). `label` is how `colornn` introduces the message.
    """

    label = "error"


class InputError(ColorNNError):
    """An input (image, video, frame folder, data folder) is missing, unreadable or unsuitable."""

    label = "input error"


class OutputError(ColorNNError):
    """An output cannot be written, or did not come out whole (full disk, unwritable folder)."""

    label = "output error"


class WeightsError(ColorNNError):
    """Model weights are missing, damaged, or do not fit the model."""

    label = "weights error"


class RunRecordError(ColorNNError):
    """A run or reproduction folder is missing, unfinished, or holds a damaged record."""

    label = "run record error"


class ColorNNWarning(UserWarning):
    """Something the user should know that does not stop the work (e.g. a truncated video
    coloured with `--allow-truncated`); `colornn` prints it as one line."""
