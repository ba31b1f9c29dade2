"""Applies the rule of README.md to the candidates' validation scores and prints the choice.

Run from the repository root:  python experiments/2026-11-30_color_model_choice/choose.py CANDIDATE...
where each CANDIDATE is a run folder (scored on its own validation photos: those of
2026-11-30_wide_all_sets_128) or a JSON file written by `colornn evaluate color --split-from`.
"""

import json
import pathlib
import sys

from colornn_keras.research import evaluation
from colornn_keras.research import tables


def scores(candidate):
    path = pathlib.Path(candidate)
    results = json.loads((path / "metrics.json" if path.is_dir() else path).read_text())
    method = results["decoding"]["method"]
    return {"candidate": str(candidate), "method": method, "val_auc": results["val"][method]["auc"],
            "val_colorfulness": results["val"][method]["colorfulness"],
            "val_truth_colorfulness": results["val"]["ground_truth_colorfulness"], "val_images": results["val"]["images"],
            "val_loss": results["val"]["loss"]}, results


def main(candidates):
    scored = [scores(candidate) for candidate in candidates]
    rows = [row for row, _ in scored]
    if len({row["val_images"] for row in rows}) != 1:
        raise SystemExit("The candidates were not scored on the same validation photos.")
    vivid = [row for row in rows
             if row["val_colorfulness"] >= evaluation.MIN_RELATIVE_COLORFULNESS * row["val_truth_colorfulness"]]
    chosen = max(vivid or rows, key=lambda row: row["val_auc"])
    for row in rows:
        print(json.dumps(row))
    print(f"vivid enough (>= {evaluation.MIN_RELATIVE_COLORFULNESS} x truth): {[row['candidate'] for row in vivid] or 'none'}")
    print(f"chosen: {chosen['candidate']}")
    print()
    print(tables.held_out_table([(pathlib.Path(row["candidate"]).stem if pathlib.Path(row["candidate"]).is_file()
                                  else pathlib.Path(row["candidate"]).name, results) for row, results in scored]))


if __name__ == "__main__":
    main(sys.argv[1:])
