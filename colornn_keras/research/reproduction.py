"""`colornn reproduce`: the paper's whole protocol, stage by stage, in one reproduction folder.

A reproduction folder `experiments/<date>_reproduction_<profile>/` holds `reproduction.json` (the
profile and arguments), one ordinary run folder per stage, and `REPORT.md`. The stages are

1. `color`: the color model, classification (paper section 4.1);
2. `regression`: the same with the regression loss the paper tried and set aside (section 3.1);
3. `consistency`: the consistency model over stage 1's model, at the clips' frame rate (4.2);
4. `consistency_low_frame_rate`: the same at half the frame rate, the paper's own hypothesis (3.2).

Stages are never redone: a finished one is read, an unfinished one is resumed from its last
epoch. With a time budget (`max_minutes`) the reproduction *pauses* between epochs and the next
`colornn reproduce --resume FOLDER` goes on from there, so the paper profile (6.6 hours of
training on this project's two CPU cores) can be run in sittings. REPORT.md, written by
`reproduction_report.py`, is rewritten after every sitting with what is done so far.
"""

import dataclasses
import datetime
import pathlib
import time

from colornn_keras import errors
from colornn_keras import files
from colornn_keras.research import experiments
from colornn_keras.research import paper_claims
from colornn_keras.research import provenance
from colornn_keras.research import reproduction_report
from colornn_keras.research import training
from colornn_keras.runs import records

STATE_FILE = "reproduction.json"
REPORT_FILE = "REPORT.md"
STAGES = ("color", "regression", "consistency", "consistency_low_frame_rate")


@dataclasses.dataclass(frozen=True)
class Profile:
    """The settings of one reproduction; `paper` is the paper's protocol, `quick` a few-minute version."""

    image_size: int
    batch_size: int
    epochs: int
    patience: int
    split: tuple
    max_images: int
    consistency_epochs: int
    clip_split: tuple
    max_frames_per_clip: int
    low_frame_rate_stride: int = 2


_PAPER = {**paper_claims.PAPER_PROTOCOL, "image_size": paper_claims.PAPER_COLOR_MODEL["image_size"]}
PROFILES = {
    # The paper's protocol (`paper_claims.PAPER_PROTOCOL`), but for two settings. The paper splits
    # 13 clips 7/3/3; with 12 clips we keep 7/2/3. The paper gives no early-stopping patience;
    # 5 epochs keeps a CPU reproduction finite.
    "paper": Profile(image_size=_PAPER["image_size"], batch_size=_PAPER["batch_size"], epochs=_PAPER["max_epochs"],
                     patience=5, split=_PAPER["image_split"], max_images=None,
                     consistency_epochs=_PAPER["consistency_epochs"], clip_split=(7, 2, 3),
                     max_frames_per_clip=_PAPER["frames_per_clip"]),
    # The same pipeline on a small sample: minutes on a laptop CPU, for CI and for a class.
    "quick": Profile(image_size=64, batch_size=8, epochs=2, patience=2, split=(0.6, 0.2, 0.2),
                     max_images=80, consistency_epochs=1, clip_split=(0.5, 0.25, 0.25), max_frames_per_clip=10),
}


def start(data, videos, profile="quick", runs_root="experiments", image_size=None, clip_split=None,
          precision="auto", seed=0):
    """Creates a reproduction folder recording what will run; returns its path. `run` runs it."""
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {profile!r}.")
    for name, folder in (("data", data), ("videos", videos)):
        if not pathlib.Path(folder).is_dir():
            raise errors.InputError(f"--{name} {folder} is not a folder.")
    settings = dataclasses.asdict(PROFILES[profile])
    if image_size is not None:
        settings["image_size"] = int(image_size)
    if clip_split is not None:
        settings["clip_split"] = tuple(clip_split)
    folder = experiments.create_run_dir(runs_root, f"reproduction_{profile}")
    experiments.write_json(folder / STATE_FILE, {
        "kind": "reproduction", "profile": profile, "data": str(data), "videos": str(videos),
        "precision": precision, "seed": seed, "settings": settings,
        "started": datetime.datetime.now().isoformat(timespec="seconds"), "sittings": [],
    })
    return folder


def run(folder, max_minutes=None, verbose="auto"):
    """Runs (or continues) every stage of a reproduction folder, then writes REPORT.md.

    `max_minutes` pauses it between epochs (the epoch running at the deadline finishes first).
    Returns True when every stage has finished, False when the time budget paused it.
    """
    folder = pathlib.Path(folder)
    if not (folder / STATE_FILE).is_file():
        raise errors.RunRecordError(f"{folder} is not a reproduction folder (no {STATE_FILE}).")
    state = records.read_json(folder / STATE_FILE)
    deadline = float("inf") if max_minutes is None else time.time() + 60.0 * max_minutes
    # The first unfinished stage always gets at least one epoch, so every sitting makes progress.
    next_stage = next((stage for stage in STAGES if not _is_finished(stage_dir(folder, stage))), None)
    environment = provenance.environment_record(dtype_policy=None)
    state["sittings"].append({"at": environment["started"], "max_minutes": max_minutes,
                              "git_commit": environment["git_commit"], "git_dirty": environment["git_dirty"]})
    experiments.write_json(folder / STATE_FILE, state)
    finished = True
    try:
        for stage in STAGES:
            if _is_finished(stage_dir(folder, stage)):
                continue
            if time.time() >= deadline and stage != next_stage:
                raise training.TrainingPaused(f"paused before stage {stage!r}: the time budget is spent")
            _run_stage(folder, state, stage, deadline, verbose)
    except training.TrainingPaused as paused:
        finished = False
        print(f"Reproduction {paused}; continue with: colornn reproduce --resume {folder}")
    write_report(folder)
    return finished


def stage_dir(folder, stage):
    """The run folder of `stage` inside a reproduction folder, or None before it started."""
    found = sorted(pathlib.Path(folder).glob(f"????-??-??_{stage}"))
    return found[-1] if found else None


def _is_finished(run_dir):
    return run_dir is not None and (run_dir / records.METRICS_FILE).is_file()


def _run_stage(folder, state, stage, deadline, verbose):
    run_dir = stage_dir(folder, stage)
    pause = [training.PauseAt(deadline)]
    if run_dir is not None:
        training.resume_run(run_dir, verbose=verbose, callbacks=pause)
        return
    settings = state["settings"]
    if stage in ("color", "regression"):
        config = training.ColorTrainingConfig(
            data=state["data"], name=stage, variant="classification" if stage == "color" else "regression",
            image_size=settings["image_size"], batch_size=settings["batch_size"], epochs=settings["epochs"],
            patience=settings["patience"], precision=state["precision"], seed=state["seed"],
            split=tuple(settings["split"]), max_images=settings["max_images"], runs_root=str(folder),
        )
        training.train_color_model(config, verbose=verbose, callbacks=pause)
    else:
        config = training.ConsistencyTrainingConfig(
            videos=state["videos"], color_run=str(stage_dir(folder, "color")), name=stage,
            stride=settings["low_frame_rate_stride"] if stage == "consistency_low_frame_rate" else 1,
            epochs=settings["consistency_epochs"], batch_size=settings["batch_size"], seed=state["seed"],
            split=tuple(settings["clip_split"]), max_frames_per_clip=settings["max_frames_per_clip"],
            runs_root=str(folder),
        )
        training.train_consistency_model(config, verbose=verbose, callbacks=pause)


def write_report(folder):
    """Writes REPORT.md from the stage folders' records (atomically); returns its path."""
    folder = pathlib.Path(folder)
    runs = {stage: stage_dir(folder, stage) for stage in STAGES}
    done = {stage: run_dir for stage, run_dir in runs.items() if _is_finished(run_dir)}
    text = reproduction_report.markdown(records.read_json(folder / STATE_FILE), runs, done)
    path = folder / REPORT_FILE
    with files.atomic_write(path) as temporary:
        pathlib.Path(temporary).write_text(text)
    return path
