"""The report of a reproduction (REPORT.md): the paper's numbers (`paper_claims`) beside ours, what
differs from the paper's protocol, and each of the paper's claims graded.

It grades a claim only from evidence that can bear it: not from the quick profile, and not from a
stage whose model diverged (a test loss that is not a number, or worse than a constant guess scores
on any data). Such claims read "not graded", with the reason.
"""

import math
import statistics

from colornn_keras import colorspace
from colornn_keras.research import experiments
from colornn_keras.research import paper_claims
from colornn_keras.research import plots
from colornn_keras.research import tables
from colornn_keras.runs import records

# The stages each stage's model is built on: a claim about a stage rests on these too.
STAGE_INPUTS = {"color": ("color",), "regression": ("regression",), "consistency": ("color", "consistency"),
                "consistency_low_frame_rate": ("color", "consistency_low_frame_rate")}
QUICK_PROFILE_REASON = "the quick profile trains a few epochs on a small sample: it checks the pipeline, not the paper"


def markdown(state, runs, done):
    """REPORT.md's text from a reproduction's state (its `reproduction.json`) and its stages'
    records: `runs` maps each stage, in order, to its run folder (None before it started), `done`
    the finished ones. Redraws the curves of an unfinished stage."""
    sections = [
        f"# Reproduction of {paper_claims.TITLE} ({state['profile']} profile)",
        _status_section(state, runs, done),
        _color_section(done),
        _consistency_section(done),
        _differences_section(state, runs, done),
        _claims_section(state, done),
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def _status_section(state, runs, done):
    settings = state["settings"]
    sample = "" if settings["max_images"] is None else f" of at most {settings['max_images']} images"
    lines = [
        "Made by `colornn reproduce`; every number below is read from the stage folders' "
        "`metrics.json`, written by the code at the commits listed in `reproduction.json`.",
        "",
        f"- stills: `{state['data']}`; videos: `{state['videos']}`",
        f"- profile `{state['profile']}`: image size {settings['image_size']}, batch {settings['batch_size']}, "
        f"at most {settings['epochs']} epochs (patience {settings['patience']}), image split {tuple(settings['split'])}"
        f"{sample}, "
        f"clip split {tuple(settings['clip_split'])}, at most {settings['max_frames_per_clip']} frames a clip, "
        f"{settings['consistency_epochs']} consistency epochs",
        f"- sittings: {len(state['sittings'])}",
        *(["", "**The quick profile checks that the whole pipeline runs; a few epochs on a small sample "
            "reproduce nothing, so the paper's claims are not graded from it.**"]
          if state["profile"] == "quick" else []),
        "",
        "| stage | run folder | status |",
        "|---|---|---|",
    ]
    for stage, run_dir in runs.items():
        if run_dir is None:
            status, link = "not started", "-"
        else:
            link = f"[{run_dir.name}]({run_dir.name}/)"
            if stage in done:
                metrics = records.read_json(run_dir / records.METRICS_FILE)
                status = f"finished: kept epoch {metrics['kept_epoch']} of {metrics['epochs_run']} ({metrics['stopped_by']})"
                diverged = divergence(run_dir)
                if diverged:
                    status += f"; **diverged**: {diverged}"
            else:
                status = _progress(run_dir)
        lines.append(f"| {stage} | {link} | {status} |")
    return "## Status\n\n" + "\n".join(lines)


def _progress(run_dir):
    """An unfinished stage's epochs and best validation epoch so far; redraws its curves.

    A reproduction takes several sittings, so the report committed between them shows how
    training is going, not only that it is.
    """
    history = experiments.read_history(run_dir / records.HISTORY_FILE)
    status = f"in progress: {len(history)} epoch{'' if len(history) == 1 else 's'} done"
    scored = [row for row in history if "val_loss" in row]
    if not scored:
        return status
    best = min(scored, key=lambda row: row["val_loss"])
    plots.plot_curves(history, run_dir / records.CURVES_FILE, best["epoch"])
    accuracies = "".join(f", {axis} {best[f'val_{axis.lower()}_accuracy']:.1%}" for axis in ("U", "V")
                         if f"val_{axis.lower()}_accuracy" in best)
    seconds = [row["seconds"] for row in history if "seconds" in row]
    pace = f", {statistics.median(seconds):.0f} s an epoch" if seconds else ""
    return (f"{status}{pace}; best so far epoch {best['epoch'] + 1}: validation loss {best['val_loss']:.3f}"
            f"{accuracies} ([curves]({run_dir.name}/{records.CURVES_FILE}))")


def _color_section(done):
    color_runs = [done[stage] for stage in ("color", "regression") if stage in done]
    if not color_runs:
        return ""
    paper = paper_claims.PAPER_COLOR_MODEL
    lines = [f"## Color model (paper {paper_claims.COLOR_TABLE})", "",
             "| | train loss | train U acc | train V acc | test loss | test U acc | test V acc |",
             "|---|---:|---:|---:|---:|---:|---:|",
             f"| paper | {paper['train_loss']:.3f} | {paper['train_u_accuracy']:.1%} | {paper['train_v_accuracy']:.1%} "
             f"| {paper['test_loss']:.3f} | {paper['test_u_accuracy']:.1%} | {paper['test_v_accuracy']:.1%} |"]
    for run_dir in color_runs:
        metrics = records.read_json(run_dir / records.METRICS_FILE)
        train, test = metrics["train"], metrics["test"]
        lines.append(
            f"| ours, {metrics['variant']} | {tables.loss_text(train['loss'], metrics['variant'])} "
            f"| {train['u_accuracy']:.1%} | {train['v_accuracy']:.1%} "
            f"| {tables.loss_text(test['loss'], metrics['variant'])} | {test['u_accuracy']:.1%} "
            f"| {test['v_accuracy']:.1%} |")
        lines.append(f"| gray everywhere, {metrics['variant']} test set | | | | | "
                     f"{test['gray_baseline_u_accuracy']:.1%} | {test['gray_baseline_v_accuracy']:.1%} |")
    lines += ["", "With the measures the paper does not report (annealed-mean decoding; AuC of the per-pixel "
              "chroma error curve, PSNR of the rebuilt RGB image, colorfulness beside the truth's):", "",
              tables.color_runs_table(color_runs), "", "Training curves: " +
              ", ".join(f"[{run_dir.name}]({run_dir.name}/{records.CURVES_FILE})" for run_dir in color_runs)]
    return "\n".join(lines)


def _consistency_section(done):
    runs = [done[stage] for stage in ("consistency", "consistency_low_frame_rate") if stage in done]
    if not runs:
        return ""
    return "\n".join([
        f"## Consistency model (paper {paper_claims.CONSISTENCY_TABLE}) and the three ways to run it", "",
        f"{paper_claims.TEACHER_FORCED} Colorizing real footage feeds it its *own* previous output (free-running); "
        "per-frame is the color model alone. Warp error: mean squared chroma change along optical flow "
        "(lower is steadier; the ground truth's own is the floor); CDC: colour distribution consistency "
        "(Jensen-Shannon divergence of chroma histograms of neighbouring frames).", "",
        tables.consistency_runs_table(runs), "",
        "Training curves: " + ", ".join(f"[{run_dir.name}]({run_dir.name}/{records.CURVES_FILE})" for run_dir in runs),
    ])


def divergence(run_dir):
    """Why a finished stage's model diverged, or None if it did not.

    A model diverged if its test loss is not a number, or is worse than a constant guess scores
    on any data: a uniform distribution over the bins (2 ln(bins), U and V together) for the
    binned models, gray everywhere for the regression variant (at most U_MAX² + V_MAX², gray's
    error at the colour space's far corner). Such a model learned nothing, so its numbers say
    nothing about the paper. The consistency model is judged by its teacher-forced loss, the one
    it trains on; free-running, a working model can score worse than the uniform guess.
    """
    config = records.read_json(run_dir / records.CONFIG_FILE)
    test = records.read_json(run_dir / records.METRICS_FILE)["test"]
    loss = test["overall"]["teacher_forced"]["loss"] if "overall" in test else test["loss"]
    if config.get("variant") == "regression":
        ceiling, guess = colorspace.U_MAX**2 + colorspace.V_MAX**2, "predicting gray everywhere"
    else:
        ceiling, guess = 2 * math.log(config["num_bins"]), f"a uniform guess over {config['num_bins']} bins"
    if not math.isfinite(loss):
        return f"its test loss is {loss}"
    if loss > ceiling:
        return f"its test loss {loss:.3f} is worse than {guess} scores on any images ({ceiling:.3f})"
    return None


def _precision_line(state, runs):
    """The precision each started stage ran in, from its `environment.json`."""
    policies = {}
    for stage, run_dir in runs.items():
        if run_dir is not None and (run_dir / records.ENVIRONMENT_FILE).is_file():
            policy = records.read_json(run_dir / records.ENVIRONMENT_FILE).get("dtype_policy") or "not recorded"
            policies.setdefault(policy, []).append(stage)
    if not policies:
        return ""
    if len(policies) == 1:
        (policy,) = policies
        used = f"`{policy}` in every stage"
    else:
        used = "; ".join(f"`{policy}` in {', '.join(stages)}" for policy, stages in policies.items())
    return (f"- Precision: {used} (`--precision {state['precision']}`; `auto` picks mixed bfloat16 where the "
            "CPU or GPU computes it in hardware, float32 elsewhere; bfloat16 was checked to converge like float32 "
            "in `experiments/2026-11-27_precision_check_*`).")


def _differences_section(state, runs, done):
    settings, paper, protocol = state["settings"], paper_claims.PAPER_COLOR_MODEL, paper_claims.PAPER_PROTOCOL
    lines = ["## What differs from the paper, and why", "",
             f"- Data: the stills and clips named above (see their SOURCES), not the paper's {protocol['images']} "
             f"and its {protocol['clips']} recorded clips. Black-and-white photos are left out of training."]
    if settings["image_size"] != paper["image_size"]:
        lines.append(f"- Image size {settings['image_size']} instead of {paper['image_size']} "
                     f"({'the quick profile' if state['profile'] == 'quick' else 'chosen for this run'}).")
    if tuple(settings["split"]) != protocol["image_split"] or settings["max_images"] is not None:
        lines.append(f"- Image split {tuple(settings['split'])}"
                     f"{'' if settings['max_images'] is None else ' of a seeded sample of at most ' + str(settings['max_images']) + ' images'}"
                     f" instead of {_slashed(protocol['image_split'])}.")
    lines.append(f"- Clip split {tuple(settings['clip_split'])} instead of {_slashed(protocol['clip_split'])} "
                 f"(the paper's {protocol['clips']} clips); at most {settings['max_frames_per_clip']} frames a clip.")
    lines.append(f"- Early stopping after {settings['patience']} epochs without a better validation loss "
                 f"(the paper gives none; it keeps the best of up to {protocol['max_epochs']} epochs).")
    for stage, run_dir in done.items():
        metrics = records.read_json(run_dir / records.METRICS_FILE)
        if metrics["stopped_by"] in ("time budget", "stop file"):
            lines.append(f"- Stage `{stage}` was ended by the {metrics['stopped_by']} after {metrics['epochs_run']} epochs.")
    precision = _precision_line(state, runs)
    if precision:
        lines.append(precision)
    return "\n".join(lines)


def _slashed(split):
    """A split as the paper writes it: 3000/500/500."""
    return "/".join(str(size) for size in split)


def _claims_section(state, done):
    # Each finished stage's test scores, read once: several claims compare the same stages.
    tested = {stage: records.read_json(run_dir / records.METRICS_FILE)["test"] for stage, run_dir in done.items()}
    ungraded = {stage: f"stage `{stage}` diverged ({reason})"
                for stage, reason in ((stage, divergence(run_dir)) for stage, run_dir in done.items()) if reason}

    def graded(verdict, *stages):
        """`verdict`, or why the stages a claim rests on cannot grade it."""
        if state["profile"] == "quick":
            return f"not graded: {QUICK_PROFILE_REASON}"
        reasons = list(dict.fromkeys(ungraded[stage] for claim_stage in stages
                                     for stage in STAGE_INPUTS[claim_stage] if stage in ungraded))
        return f"not graded: {'; '.join(reasons)}" if reasons else verdict

    lines = []
    if "color" in done:
        test = tested["color"]
        paper = paper_claims.PAPER_COLOR_MODEL
        lines.append(
            f"- {paper_claims.LEARNS_COLOUR.heading()} Test U/V accuracy {test['u_accuracy']:.1%} / {test['v_accuracy']:.1%} "
            f"against {test['gray_baseline_u_accuracy']:.1%} / {test['gray_baseline_v_accuracy']:.1%} for predicting "
            f"gray everywhere: {graded(_verdict(test['u_accuracy'] > test['gray_baseline_u_accuracy'] and test['v_accuracy'] > test['gray_baseline_v_accuracy']), 'color')}. "
            f"{paper_claims.NO_GRAY_BASELINE}; ours differ from them by {test['u_accuracy'] - paper['test_u_accuracy']:+.1%} / "
            f"{test['v_accuracy'] - paper['test_v_accuracy']:+.1%} on other data.")
    if "color" in done and "regression" in done:
        classification, regression = tested["color"], tested["regression"]
        classified, regressed = classification["annealed_mean"], regression["regression"]  # Decoded scores.
        more_accurate = all(classification[key] > regression[key] for key in ("u_accuracy", "v_accuracy")) and all(
            classified[key] > regressed[key] for key in ("auc", "psnr"))
        lines.append(
            f"- {paper_claims.CLASSIFICATION_BEATS_REGRESSION.heading()} Test U/V accuracy {classification['u_accuracy']:.1%} / "
            f"{classification['v_accuracy']:.1%} vs {regression['u_accuracy']:.1%} / {regression['v_accuracy']:.1%}, "
            f"AuC {classified['auc']:.3f} vs {regressed['auc']:.3f}, PSNR {classified['psnr']:.2f} vs {regressed['psnr']:.2f} dB: "
            f"{graded(_verdict(more_accurate), 'color', 'regression')}.")
        truth = classification["ground_truth_colorfulness"]
        gap = classified["colorfulness"] - regressed["colorfulness"]
        # A difference small beside both models' distance from the truth does not separate them.
        separated = abs(gap) >= 0.1 * (truth - min(classified["colorfulness"], regressed["colorfulness"]))
        lines.append(
            f"- {paper_claims.REGRESSION_DESATURATES.heading()} Colorfulness {classified['colorfulness']:.1f} (classification, "
            f"annealed mean) vs {regressed['colorfulness']:.1f} (regression), truth {truth:.1f}: "
            + graded(_verdict(gap > 0) if separated else
                     f"not separated: a difference of {gap:+.1f} beside a gap of {truth - classified['colorfulness']:.1f} "
                     f"and {truth - regressed['colorfulness']:.1f} to the truth; both are desaturated",
                     "color", "regression")
            + ".")
    if "consistency" in done:
        test = tested["consistency"]
        overall = test["overall"]
        teacher, free, per_frame = overall["teacher_forced"], overall["free_running"], overall["per_frame"]
        gray = overall["gray_baseline"]
        lines.append(
            f"- {paper_claims.CONTEXT_RAISES_V_ACCURACY.heading()} Teacher-forced (the true "
            f"previous colours as context) V {teacher['v_accuracy']:.1%} vs per-frame {per_frame['v_accuracy']:.1%}: "
            + graded(_verdict_across_clips(
                lambda modes: modes["teacher_forced"]["v_accuracy"] > modes["per_frame"]["v_accuracy"], test), "consistency")
            + f". Free-running (its own previous output, as in real use) V {free['v_accuracy']:.1%}: "
            + graded(_verdict_across_clips(
                lambda modes: modes["free_running"]["v_accuracy"] > modes["per_frame"]["v_accuracy"], test), "consistency")
            + f". For scale, gray everywhere scores U {gray['u_accuracy']:.1%} / V {gray['v_accuracy']:.1%} on these "
            f"clips (per-frame U {per_frame['u_accuracy']:.1%}, free-running U {free['u_accuracy']:.1%}).")
        lines.append(
            f"- {paper_claims.CONSISTENCY_IS_STEADIER.heading()} Warp error free-running "
            f"{free['warp_error']:.6f} vs per-frame {per_frame['warp_error']:.6f} (floor "
            f"{overall['ground_truth']['warp_error']:.6f}): "
            + graded(_verdict_across_clips(
                lambda modes: modes["free_running"]["warp_error"] < modes["per_frame"]["warp_error"], test), "consistency")
            + ".")
    if "consistency" in done and "consistency_low_frame_rate" in done:
        full, low = tested["consistency"], tested["consistency_low_frame_rate"]
        low_free, full_free = low["overall"]["free_running"], full["overall"]["free_running"]
        lines.append(
            f"- {paper_claims.LOWER_FRAME_RATE_TEACHES_MORE.heading()} Free-running V at half the frame rate {low_free['v_accuracy']:.1%} vs "
            f"{full_free['v_accuracy']:.1%} at the full rate: "
            + graded(_verdict_across_clips(lambda low_modes, full_modes: low_modes["free_running"]["v_accuracy"]
                                           > full_modes["free_running"]["v_accuracy"], low, full),
                     "consistency", "consistency_low_frame_rate")
            + f". By free-running loss ({low_free['loss']:.3f} vs {full_free['loss']:.3f}) and AuC "
            f"({low_free['auc']:.3f} vs {full_free['auc']:.3f}) the lower rate fares "
            + {(True, True): "better", (False, False): "worse"}.get(
                (low_free["loss"] < full_free["loss"], low_free["auc"] > full_free["auc"]), "no better on both")
            + ". The two are scored on different frames of the same clips (every 2nd frame vs every frame).")
    if not lines:
        return ""
    return "## What the numbers support or contradict\n\n" + "\n".join(lines)


def _verdict(supported):
    return "supported" if supported else "**not supported**"


def _verdict_across_clips(holds, *tests):
    """Whether `holds(*modes)` is true overall and on each test clip the runs share.

    Test clips are few and can differ widely (the paper's: 3), so a gain carried by one clip
    while another goes the other way is reported as such, not as support.
    """
    holds_overall = holds(*(test["overall"] for test in tests))
    shared = [name for name in tests[0]["per_clip"] if all(name in test["per_clip"] for test in tests)]
    if not shared:
        return _verdict(holds_overall)
    on_clips = sum(bool(holds(*(test["per_clip"][name] for test in tests))) for name in shared)
    if not holds_overall:
        return f"**not supported** (it holds on {on_clips} of {len(shared)} test clips)"
    if on_clips == len(shared):
        return f"supported, on each of the {len(shared)} test clips"
    return f"not separated: it holds overall but on only {on_clips} of {len(shared)} test clips"
