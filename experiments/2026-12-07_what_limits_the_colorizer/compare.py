"""Prints the comparison table of this folder's runs (README.md says how it is read).

Run from the repository root:
    python experiments/2026-12-07_what_limits_the_colorizer/compare.py

Each run is read from its metrics.json, or, where the run validated on other photos (the water-only
run), from `evaluation_on_all_sets_val.json` beside it, written by
`colornn evaluate color --run RUN --split-from <all_sets_block4_64> --output ...`: the same 1,000
validation photos and the same test splits for every run.
"""

import csv
import json
import pathlib
import statistics

HERE = pathlib.Path(__file__).resolve().parent
CROSS_SPLIT = "evaluation_on_all_sets_val.json"
# The decoding `colornn colorize` uses: the annealed mean at T = 0.38.
DECODING = "annealed_mean"
QUIET_CORES = 0.05


def _scores(part):
    return {"loss": part["loss"], "u": part["u_accuracy"], "v": part["v_accuracy"],
            "gray_u": part["gray_baseline_u_accuracy"], "gray_v": part["gray_baseline_v_accuracy"],
            "auc": part[DECODING]["auc"], "colorfulness": part[DECODING]["colorfulness"] / part["ground_truth_colorfulness"]}


def _pace(run):
    rows = list(csv.DictReader(open(run / "history.csv")))
    quiet = [float(row["photos_per_second"]) for row in rows if float(row["other_processes_cores"]) < QUIET_CORES]
    return {"epochs": len(rows), "minutes": sum(float(row["seconds"]) for row in rows) / 60,
            "quiet_photos_per_second": statistics.median(quiet) if quiet else None,
            "best_photos_per_second": max(float(row["photos_per_second"]) for row in rows)}


def main():
    runs = sorted(path for path in HERE.iterdir() if (path / "metrics.json").is_file())
    size_of = {run: json.loads((run / "config.json").read_text())["image_size"] for run in runs}
    for size in sorted(set(size_of.values())):  # Scored at their own size: 64x64 and 128x128 runs are two tables.
        print(f"\nScored at {size}x{size}:\n")
        print("| run | epochs | minutes | photos/s (quiet median; best) | val loss | val U | val V | val AuC | "
              "val colorfulness × photos' | water test U / V / AuC | wide test U / V / AuC |")
        print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---|---|")
        gray = None
        for run in runs:
            if size_of[run] != size:
                continue
            record = json.loads(((run / CROSS_SPLIT) if (run / CROSS_SPLIT).is_file() else run / "metrics.json").read_text())
            val, water, wide = (_scores(record[part]) for part in ("val", "test", "test_wide"))
            pace = _pace(run)
            quiet = f"{pace['quiet_photos_per_second']:.1f}" if pace["quiet_photos_per_second"] else "—"
            gray = gray or (val, water, wide)
            print(f"| `{run.name[11:]}` | {pace['epochs']} | {pace['minutes']:.1f} | {quiet}; {pace['best_photos_per_second']:.1f} | "
                  f"{val['loss']:.3f} | {val['u']:.1%} | {val['v']:.1%} | {val['auc']:.4f} | {val['colorfulness']:.2f} | "
                  f"{water['u']:.1%} / {water['v']:.1%} / {water['auc']:.3f} | {wide['u']:.1%} / {wide['v']:.1%} / {wide['auc']:.3f} |")
        val, water, wide = gray
        print(f"| gray everywhere | | | | | {val['gray_u']:.1%} | {val['gray_v']:.1%} | | 0 | "
              f"{water['gray_u']:.1%} / {water['gray_v']:.1%} / | {wide['gray_u']:.1%} / {wide['gray_v']:.1%} / |")


if __name__ == "__main__":
    main()
