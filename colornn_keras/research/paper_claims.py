"""The paper's claims (Gupta & Kannan, *ColorNN Book*): the numbers it reports, the protocol they
come from, and the claims a reproduction grades, with where the paper makes them.

Data only: `tables.py` and `reproduction_report.py` set our runs' records beside these. The dicts
stay plain literals: tests/test_docs.py reads them without importing this module, to check the
copies of them in the README and docs/.
"""

import dataclasses

TITLE = "ColorNN Book"
AUTHORS = "Gupta & Kannan"

# Section 4.1, Table 1: the color model (classification), the best of up to 100 epochs kept.
COLOR_TABLE = "Table 1"
PAPER_COLOR_MODEL = {"image_size": 224, "kept_epoch": 16, "train_loss": 3.384, "train_u_accuracy": 0.37362,
                     "train_v_accuracy": 0.33908, "test_loss": 3.541, "test_u_accuracy": 0.36198,
                     "test_v_accuracy": 0.32474}
# Section 4.2, Table 2: the consistency model, measured teacher-forced (`TEACHER_FORCED`).
CONSISTENCY_TABLE = "Table 2"
PAPER_CONSISTENCY_MODEL = {"test_loss": 3.241, "test_u_accuracy": 0.34203, "test_v_accuracy": 0.75345}

# Section 4: how those numbers were made. Images at PAPER_COLOR_MODEL's size, in batches of 15, the best
# of up to 100 epochs kept (the paper gives no early-stopping patience); the consistency model 10
# epochs on clips of up to 300 frames.
PAPER_PROTOCOL = {"images": "SUN images", "image_split": (3000, 500, 500), "clips": 13, "clip_split": (7, 3, 3),
                  "batch_size": 15, "max_epochs": 100, "consistency_epochs": 10, "frames_per_clip": 300}

# How the paper measures the consistency model, and what its color-model accuracies lack.
TEACHER_FORCED = ("The paper measures the model with the *true* previous frame's colours as context "
                  "(teacher-forced).")
NO_GRAY_BASELINE = (f"The paper's {PAPER_COLOR_MODEL['test_u_accuracy']:.1%} / {PAPER_COLOR_MODEL['test_v_accuracy']:.1%} "
                    "come without such a baseline, so how much of them is the gray bin cannot be told")


@dataclasses.dataclass(frozen=True)
class Claim:
    """One claim of the paper that a reproduction grades: its statement, and where the paper makes
    it (its section, or the numbers it rests on), where the report cites that."""

    statement: str
    cited: str = ""

    def heading(self):
        """The claim as the report's line opens: `*statement* (cited).`, or `*statement.*`."""
        return f"*{self.statement}* ({self.cited})." if self.cited else f"*{self.statement}.*"


# In the order the report grades them.
LEARNS_COLOUR = Claim("The color model learns colour")
CLASSIFICATION_BEATS_REGRESSION = Claim("Classification beats regression", "section 3.1")
REGRESSION_DESATURATES = Claim("... because regression desaturates")
CONTEXT_RAISES_V_ACCURACY = Claim(
    "Previous-frame context raises V accuracy",
    f"paper {PAPER_COLOR_MODEL['test_v_accuracy']:.1%} to {PAPER_CONSISTENCY_MODEL['test_v_accuracy']:.1%}")
CONSISTENCY_IS_STEADIER = Claim("The consistency model is temporally steadier")
LOWER_FRAME_RATE_TEACHES_MORE = Claim("A lower frame rate teaches more than the identity mapping",
                                      "the paper's hypothesis, 3.2")
