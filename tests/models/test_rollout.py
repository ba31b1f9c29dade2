"""The free-running roll-out: each output fed to the next frame's step, a cut starting afresh."""

from colornn_keras.models import rollout


def _step(frame, previous_frame, previous_output):
    return previous_output + [(previous_frame, frame)]


def test_each_step_takes_the_previous_frame_and_output_and_a_cut_starts_afresh():
    outputs = list(rollout.roll_out(lambda frame: [frame], _step, "abcd", cuts=[False, False, True, False]))
    assert outputs == [["a"], ["a", ("a", "b")], ["c"], ["c", ("c", "d")]]


def test_a_roll_out_continues_from_a_seed_and_reads_cuts_as_they_grow():
    seeded = list(rollout.roll_out(None, _step, "xy", seed=("k", ["k"])))
    assert seeded == [["k", ("k", "x")], ["k", ("k", "x"), ("x", "y")]]
    cuts = []

    def frames():
        for frame in "abc":
            cuts.append(frame == "c")  # Known only once the frame is read.
            yield frame

    def growing():
        index = 0
        while True:
            yield cuts[index]
            index += 1

    assert list(rollout.roll_out(lambda frame: [frame], _step, frames(), growing()))[-1] == ["c"]
