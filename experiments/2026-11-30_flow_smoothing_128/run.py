"""Automatic mode by a fixed gate: each frame's colours = g x the previous output warped along DIS flow
+ (1 - g) x the color model's own (an exponential moving average along the motion), for several g.

An untrained `FlowGuidedModel` with gate bias logit(g) is exactly that (its gate's kernel starts at
zero). The rule, fixed before the results: on the validation clips, among the gates whose AuC is at
least the color model's alone, the one with the lowest warp error; if none, the best AuC. Test
clips are read for the chosen gate and reported for all.

Run from the repository root:  python experiments/2026-11-30_flow_smoothing_128/run.py
"""

import json
import math
import pathlib

from colornn_keras.models import flow_guided as flow_guided_models
from colornn_keras.research import evaluation
from colornn_keras.research import experiments
from colornn_keras.research.training import flow_guided
from colornn_keras.runs import loading
from colornn_keras.runs import records

GATES = (0.5, 0.75, 0.9)
COLOR_RUN = "experiments/2026-11-27_paper_protocol_128"
GUIDED_RUN = pathlib.Path("experiments/2026-11-30_flow_guided_keyframe_128")  # For its clip split only.
HERE = pathlib.Path(__file__).parent


def main():
    color_model, color_config = loading.load_color_run(COLOR_RUN)
    config = loading.read_video_config(GUIDED_RUN, "flow_guided")[0]
    recorded = records.read_json(GUIDED_RUN / records.DATA_FILE)["splits"]
    colours = flow_guided.ColorModelColours(color_model, config.decoding)
    predictors = {"per_frame": lambda luma, true_uv, cuts: [{"uv": uv} for uv in colours(luma)]}
    for gate in GATES:
        model = flow_guided_models.FlowGuidedModel(filters=4, gate_bias=math.log(gate / (1 - gate)))
        predictors[f"smooth_{gate}"] = flow_guided.guided_predictors(model, colours)["guided_automatic"]
    results = {}
    for part in ("val", "test"):
        paths = experiments.resolved_paths(recorded[part]["clips"], config.videos)
        loaded = flow_guided.prepared_clips(color_model, paths, color_config.image_size, config.decoding,
                                            config.max_frames_per_clip, cache_dir="/tmp/fg_cache")
        for frames, record in loaded:
            colours.remember(record["luma"], record["color_uv"])
        results[part] = evaluation.evaluate_sequences(
            predictors, [frames for frames, _ in loaded], [pathlib.Path(path).parent.name for path in paths],
            color_config.num_bins, config.scene_cut_threshold)
    val = results["val"]["overall"]
    eligible = [gate for gate in GATES if val[f"smooth_{gate}"]["auc"] >= val["per_frame"]["auc"]]
    chosen = (min(eligible, key=lambda gate: val[f"smooth_{gate}"]["warp_error"]) if eligible
              else max(GATES, key=lambda gate: val[f"smooth_{gate}"]["auc"]))
    experiments.write_json(HERE / "results.json", {"gates": GATES, "chosen_on_val": chosen, **results})
    for part in ("val", "test"):
        for mode, row in results[part]["overall"].items():
            print(part, mode, json.dumps({key: round(value, 5) for key, value in row.items() if value is not None}))
    print("chosen on val:", chosen)


if __name__ == "__main__":
    main()
