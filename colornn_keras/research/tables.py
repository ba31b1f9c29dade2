"""Markdown tables of runs (`colornn table`): color runs, consistency runs and the two fixed test
splits, each with the paper's numbers (`paper_claims`) where it reports them."""

import pathlib

from colornn_keras import errors
from colornn_keras.research import paper_claims
from colornn_keras.runs import records


def loss_text(loss, variant):
    """A test loss to 3 decimals, or to 5 marked "(MSE)" for the regression variant: its loss is a
    sum of mean squared errors, another scale entirely."""
    return f"{loss:.3f}" if variant == "classification" else f"{loss:.5f} (MSE)"


def color_runs_table(run_dirs, decoding="annealed_mean"):
    """A Markdown table of color-model runs from their metrics.json, the paper's row first."""
    paper = paper_claims.PAPER_COLOR_MODEL
    lines = [
        "| run | variant | image size | kept epoch / run | test loss | test U acc | test V acc "
        "| gray baseline U / V | AuC | PSNR (dB) | colorfulness (truth) |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| paper ({paper_claims.AUTHORS}) | classification | {paper['image_size']} "
        f"| {paper['kept_epoch']} / {paper_claims.PAPER_PROTOCOL['max_epochs']} "
        f"| {paper['test_loss']:.3f} | {paper['test_u_accuracy']:.1%} | {paper['test_v_accuracy']:.1%} "
        "| not reported | not reported | not reported | not reported |",
    ]
    for run_dir in run_dirs:
        run_dir = pathlib.Path(run_dir)
        metrics = records.read_json(run_dir / records.METRICS_FILE)
        test = metrics["test"]
        decoded = test.get(decoding) or test.get("regression")
        lines.append(
            f"| [{run_dir.name}]({run_dir.name}/) | {metrics['variant']} | {metrics['image_size']} "
            f"| {metrics['kept_epoch']} / {metrics['epochs_run']} | {loss_text(test['loss'], metrics['variant'])} "
            f"| {test['u_accuracy']:.1%} "
            f"| {test['v_accuracy']:.1%} | {test['gray_baseline_u_accuracy']:.1%} / "
            f"{test['gray_baseline_v_accuracy']:.1%} | {decoded['auc']:.3f} | {decoded['psnr']:.2f} "
            f"| {decoded['colorfulness']:.1f} ({test['ground_truth_colorfulness']:.1f}) |"
        )
    return "\n".join(lines)


HELD_OUT_PARTS = (("test", "water test"), ("test_wide", "wide test"))


def held_out_table(entries):
    """A Markdown table of color models on the two fixed test splits, water and wide.

    `entries`: [(label, results)], results as in a color run's metrics.json or `colornn evaluate
    color --split-from RUN` (parts "test" and "test_wide"; "decoding" names the temperature chosen
    on validation, else T = 0.38). Gray everywhere and the truth's colorfulness stand beside each.
    """
    lines = ["| model | split | U acc (gray) | V acc (gray) | AuC | PSNR (dB) | colorfulness (truth) | decoding |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    for label, results in entries:
        method = (results.get("decoding") or {}).get("method", "annealed_mean")
        for part, part_name in HELD_OUT_PARTS:
            if part not in results:
                continue
            scores = results[part]
            decoded = scores.get(method) or scores["annealed_mean"]
            lines.append(
                f"| {label} | {part_name} ({scores['images']}) | {scores['u_accuracy']:.1%} "
                f"({scores['gray_baseline_u_accuracy']:.1%}) | {scores['v_accuracy']:.1%} "
                f"({scores['gray_baseline_v_accuracy']:.1%}) | {decoded['auc']:.3f} | {decoded['psnr']:.2f} "
                f"| {decoded['colorfulness']:.1f} ({scores['ground_truth_colorfulness']:.1f}) "
                f"| {method.replace('annealed_mean@', 'annealed mean, T = ').replace('annealed_mean', 'annealed mean, T = 0.38')} |")
    return "\n".join(lines)


def loss_or_dash(loss):
    """A loss to 3 decimals; a dash for a way of colouring without distributions (a baseline)."""
    return "—" if loss is None else f"{loss:.3f}"


def consistency_runs_table(run_dirs, part="test"):
    """A Markdown table of the three modes of consistency runs, with the paper's numbers and the floor."""
    paper = paper_claims.PAPER_CONSISTENCY_MODEL
    lines = [
        "| run | mode | loss | U acc | V acc | AuC | warp error | CDC |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
        f"| paper ({paper_claims.AUTHORS}) | teacher-forced | {paper['test_loss']:.3f} | {paper['test_u_accuracy']:.1%} "
        f"| {paper['test_v_accuracy']:.1%} | not reported | not reported | not reported |",
    ]
    for run_dir in run_dirs:
        run_dir = pathlib.Path(run_dir)
        overall = records.read_json(run_dir / records.METRICS_FILE)[part]["overall"]
        for mode in [mode for mode in overall if mode not in ("ground_truth", "gray_baseline")]:
            row = overall[mode]
            lines.append(
                f"| [{run_dir.name}]({run_dir.name}/) | {mode.replace('_', '-')} | {loss_or_dash(row['loss'])} "
                f"| {row['u_accuracy']:.1%} | {row['v_accuracy']:.1%} | {row['auc']:.3f} | {row['warp_error']:.5f} "
                f"| {row['cdc']:.4f} |"
            )
        floor, gray = overall["ground_truth"], overall["gray_baseline"]
        lines.append(
            f"| [{run_dir.name}]({run_dir.name}/) | ground truth (floor) / gray baseline | | {gray['u_accuracy']:.1%} "
            f"| {gray['v_accuracy']:.1%} | | {floor['warp_error']:.5f} | {floor['cdc']:.4f} |"
        )
        if "warp_error" in gray:  # Recorded since 2026-12-01: the clip's luma alone, as a gray video.
            lines.append(f"| [{run_dir.name}]({run_dir.name}/) | gray video (the luma alone) | | | | "
                         f"| {gray['warp_error']:.5f} | {gray['cdc']:.4f} |")
    return "\n".join(lines)


def runs_table(run_dirs):
    """Markdown tables for any mix of run folders: color runs in one table, consistency runs in another,
    and, for color runs scored on the wide test split and for JSON files written by `colornn evaluate
    color --split-from RUN --output FILE`, the two fixed test splits side by side."""
    kinds = {"color": [], "consistency": []}
    evaluations = []
    video_kinds = ("consistency", "flow_guided")  # Their metrics.json hold the same video tables.
    for run_dir in run_dirs:
        run_dir = pathlib.Path(run_dir)
        if run_dir.is_file() and run_dir.suffix == ".json":
            evaluations.append((run_dir.stem, records.read_json(run_dir)))
            continue
        if not (run_dir / records.METRICS_FILE).is_file():
            raise errors.RunRecordError(f"{run_dir} has no {records.METRICS_FILE}: not a finished run.")
        kind = records.read_json(run_dir / records.CONFIG_FILE).get("kind", "color")
        if kind not in ("color", *video_kinds):
            raise errors.RunRecordError(f"{run_dir / records.CONFIG_FILE} records kind {kind!r}, which `colornn table` does not know.")
        kinds["consistency" if kind in video_kinds else "color"].append(run_dir)
    try:
        return _tables(kinds, evaluations)
    except KeyError as error:
        raise errors.RunRecordError(f"A run's {records.METRICS_FILE} lacks {error}: it was recorded by another "
                                    "version, or is not finished.") from error


def _tables(kinds, evaluations):
    tables = []
    if kinds["color"]:
        tables.append(color_runs_table(kinds["color"]))
    held_out = evaluations + [(run_dir.name, records.read_json(run_dir / records.METRICS_FILE)) for run_dir in kinds["color"]
                              if "test_wide" in records.read_json(run_dir / records.METRICS_FILE)]
    if held_out:
        tables.append(held_out_table(held_out))
    if kinds["consistency"]:
        tables.append(consistency_runs_table(kinds["consistency"]))
    return "\n\n".join(tables)
