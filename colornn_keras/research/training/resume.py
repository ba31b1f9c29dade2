"""Resuming a run of either kind that was killed or paused, from its last finished epoch."""

import pathlib
import time

from colornn_keras import errors
from colornn_keras.research import experiments
from colornn_keras.research import provenance
from colornn_keras.research.training import color
from colornn_keras.research.training import consistency
from colornn_keras.research.training import distribution
from colornn_keras.research.training.callbacks import resume_point
from colornn_keras.runs import loading
from colornn_keras.runs import records


def resume_run(run_dir, verbose="auto", callbacks=(), max_minutes=None):
    """Continues a killed run from its last finished epoch, on the split it recorded.

    The resume backup lives in the cache folder its environment.json records; if it is gone, a
    color run goes on from its kept weights (the run folder's), at the epoch after the kept one,
    with the learning-rate schedule's position restored.

    `max_minutes` sets a new time budget for this continuation; it is recorded under
    "resumed" in environment.json beside the time of the restart.
    """
    run_dir = pathlib.Path(run_dir)
    if (run_dir / records.METRICS_FILE).is_file():
        raise errors.RunRecordError(f"Run {run_dir} has finished (metrics.json exists); start a new run instead.")
    if not (run_dir / records.CONFIG_FILE).is_file():
        raise errors.RunRecordError(f"{run_dir} is not a run folder (no {records.CONFIG_FILE}).")
    environment = records.read_json(run_dir / records.ENVIRONMENT_FILE)
    source, epoch = resume_point(run_dir)
    kind = records.read_json(run_dir / records.CONFIG_FILE).get("kind")
    if kind == "consistency" and source == "kept weights":
        source, epoch = "start", 0  # Its epochs are short (features computed once): it starts again.
    environment.setdefault("resumed", []).append({
        "at": time.strftime("%Y-%m-%dT%H:%M:%S"), "from_epoch": epoch, "from": source,
        "checkpoint_dir": str(experiments.checkpoint_dir(run_dir)), "max_minutes": max_minutes,
        **{key: value for key, value in provenance.code_record().items() if key in ("git_commit", "git_diff_sha256")},
    })
    experiments.write_json(run_dir / records.ENVIRONMENT_FILE, environment)
    if kind == "consistency":
        config, image_size, split = consistency.read_consistency_run(run_dir)
        if max_minutes is not None:
            config.max_minutes = max_minutes
        color_model, _ = loading.load_color_run(config.color_run, config.color_weights)
        return consistency.fit_consistency(run_dir, config, color_model, image_size, split, verbose, callbacks)
    config, split, dtype_policy = color.read_color_run(run_dir)
    if max_minutes is not None:
        config.max_minutes = max_minutes
    return color.fit_and_record(run_dir, config, split, dtype_policy, verbose, callbacks,
                           distribution.strategy_from(config.distribute))
