"""Applies this run's shipping rule (README.md, written before its results) and prints the choice.

Run from the repository root:
    python experiments/2026-12-07_converged_all_sets_mixed_bf16_128/choose.py CANDIDATE...
where each CANDIDATE is a run folder (scored on its own validation photos) or a JSON file written
by `colornn evaluate color --split-from` / `--weights-file` on the same validation photos.
"""

import importlib.util
import json
import pathlib
import sys

# The rule's colorfulness bar, relative to the photos' own (the rule of 2026-11-30 asked 0.8).
MIN_RELATIVE_COLORFULNESS = 0.7

_spec = importlib.util.spec_from_file_location(
    "choice_2026_11_30", pathlib.Path(__file__).parents[1] / "2026-11-30_color_model_choice" / "choose.py")
_choice = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(_choice)


def main(candidates):
    rows = [_choice.scores(candidate)[0] for candidate in candidates]
    if len({row["val_images"] for row in rows}) != 1:
        raise SystemExit("The candidates were not scored on the same validation photos.")
    vivid = [row for row in rows if row["val_colorfulness"] >= MIN_RELATIVE_COLORFULNESS * row["val_truth_colorfulness"]]
    chosen = max(vivid or rows, key=lambda row: row["val_auc"])
    for row in rows:
        print(json.dumps(row))
    print(f"vivid enough (>= {MIN_RELATIVE_COLORFULNESS} x truth): {[row['candidate'] for row in vivid] or 'none'}")
    print(f"chosen: {chosen['candidate']}")


if __name__ == "__main__":
    main(sys.argv[1:])
