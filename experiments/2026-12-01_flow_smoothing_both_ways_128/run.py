"""Automatic mode, both ways (issue #17, item 4): smoothing along the flow forwards and backwards,
on the shipped color model `colornn_water_block4_128`.

A video file is at hand whole when it is coloured, so each frame can be smoothed by its future as
well as its past: each shot without keyframes is run forwards from its first frame and backwards
from its last, both by `FlowSmoothingModel`, and each frame takes the mean of the two
(`propagation.propagate_guided(..., both_ways=True)`).

Modes, none trained:
- per_frame: the color model alone.
- forward_occlusion_0.9_0.03: one way, the mode chosen in 2026-11-30_flow_smoothing_block4_128.
- both_smooth_G: both ways, `FlowSmoothingModel(G, mismatch_scale=None)`.
- both_occlusion_G_S: both ways, `FlowSmoothingModel(G, mismatch_scale=S)`.

The rule, fixed before the results (the same as the one-way run's): on the validation clips, among
the both-ways modes whose U, V and AuC are each at least the color model's alone, the one with the lowest CDC;
if none, the best AuC. The test clips are read for the chosen mode and reported for all.

Run from the repository root:  python experiments/2026-12-01_flow_smoothing_both_ways_128/run.py
"""

import json
import pathlib

from colornn_keras import propagation
from colornn_keras.models import color as color_models
from colornn_keras.models import flow_guided as flow_guided_models
from colornn_keras.research import evaluation
from colornn_keras.research import experiments
from colornn_keras.research.training import flow_guided
from colornn_keras.runs import loading
from colornn_keras.runs import records

COLOR_PRESET = "colornn_water_block4_128"
GATES = (0.75, 0.9)
MISMATCH_SCALES = (0.03, 0.1)
GUIDED_RUN = pathlib.Path("experiments/2026-11-30_flow_guided_keyframe_128")  # For its clip split only.
HERE = pathlib.Path(__file__).parent


def smoothing(colours, weight, mismatch_scale, both_ways):
    model = flow_guided_models.FlowSmoothingModel(weight, mismatch_scale=mismatch_scale)
    return lambda luma, true_uv, cuts: propagation.propagate_guided(model, luma, colours(luma), None, cuts,
                                                                    both_ways=both_ways)


def main():
    color_model = color_models.ColorModel.from_preset(COLOR_PRESET)
    config = loading.read_video_config(GUIDED_RUN, "flow_guided")[0]
    recorded = records.read_json(GUIDED_RUN / records.DATA_FILE)["splits"]
    colours = flow_guided.ColorModelColours(color_model, config.decoding)
    predictors = {"per_frame": lambda luma, true_uv, cuts: [{"uv": uv} for uv in colours(luma)],
                  "forward_occlusion_0.9_0.03": smoothing(colours, 0.9, 0.03, both_ways=False)}
    for gate in GATES:
        predictors[f"both_smooth_{gate}"] = smoothing(colours, gate, None, both_ways=True)
        for scale in MISMATCH_SCALES:
            predictors[f"both_occlusion_{gate}_{scale}"] = smoothing(colours, gate, scale, both_ways=True)
    results = {}
    for part in ("val", "test"):
        paths = experiments.resolved_paths(recorded[part]["clips"], config.videos)
        loaded = flow_guided.prepared_clips(color_model, paths, color_model.image_size, config.decoding,
                                            config.max_frames_per_clip, cache_dir="/tmp/fg_cache_block4")
        for frames, record in loaded:
            colours.remember(record["luma"], record["color_uv"])
        results[part] = evaluation.evaluate_sequences(
            predictors, [frames for frames, _ in loaded], [pathlib.Path(path).parent.name for path in paths],
            color_model.num_bins, config.scene_cut_threshold)
    val = results["val"]["overall"]
    modes = [mode for mode in predictors if mode.startswith("both_")]
    eligible = [mode for mode in modes
                if all(val[mode][key] >= val["per_frame"][key] for key in ("u_accuracy", "v_accuracy", "auc"))]
    chosen = (min(eligible, key=lambda mode: val[mode]["cdc"]) if eligible
              else max(modes, key=lambda mode: val[mode]["auc"]))
    experiments.write_json(HERE / "results.json", {"color_preset": COLOR_PRESET, "gates": GATES,
                                                   "mismatch_scales": MISMATCH_SCALES, "chosen_on_val": chosen,
                                                   **results})
    for part in ("val", "test"):
        for mode, row in results[part]["overall"].items():
            print(part, mode, json.dumps({key: round(value, 6) for key, value in row.items() if value is not None}))
    print("chosen on val:", chosen)


if __name__ == "__main__":
    main()
