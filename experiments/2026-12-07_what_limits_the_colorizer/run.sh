#!/usr/bin/env bash
# The comparisons of issue #28 (items 3 and 5), one after another, each with the machine to itself.
# Re-running this script resumes: a finished run (metrics.json) is skipped, a killed one resumed.
# Usage (from the repository root): bash experiments/2026-12-07_what_limits_the_colorizer/run.sh
set -euo pipefail
HERE=experiments/2026-12-07_what_limits_the_colorizer
DATA=${DATA:-../shared/data/stills}
# Shared by every run: from ImageNet's VGG16 (frozen, as the paper) and a fresh decoder, AdamW with
# a cosine schedule, epochs of 2,000 photos, the same seeded split and validation photos.
COMMON=(--data "$DATA" --runs-root "$HERE" --batch-size 16 --learning-rate 1e-3 --optimizer adamw
        --weight-decay 1e-4 --schedule cosine --warmup-epochs 0.3 --augmentation resized_crop
        --steps-per-epoch 125 --patience 100 --precision auto --quiet)
# Equal photos, not equal minutes: other engineers' processes (reniced) share the cores unevenly,
# so each run gets the same steps and its minutes and photos per second are recorded.
# 64x64: 10 epochs of 2,000 photos (about a pass over the 18,945); --max-minutes only as a guard.
AT_64=(--image-size 64 --epochs 10 --max-minutes 40)
# 128x128 (validated at 128 throughout), at about equal compute: 4 epochs at 128 against 6 at 64
# (a 64x64 photo costs about a third of a 128x128 one) and then 2 at 128.
AT_128=(--image-size 128 --max-minutes 40)

run() {
  local name=$1; shift
  local folder; folder=$(ls -d "$HERE"/*_"$name" 2>/dev/null | head -1 || true)
  if [[ -n "$folder" && -f "$folder/metrics.json" ]]; then echo "done: $folder"; return; fi
  if [[ -n "$folder" ]]; then python -m colornn_keras.cli train color --resume "$folder" --quiet; return; fi
  python -m colornn_keras.cli train color --name "$name" "${COMMON[@]}" "$@"
}

# Most telling first: a run late in the list may not fit the sitting.
run all_sets_block4_64 "${AT_64[@]}" --include '*'
run water_block4_64 "${AT_64[@]}"
run all_sets_block5_64 "${AT_64[@]}" --include '*' --deepest-tap block5_conv3
run all_sets_rebalanced_05_64 "${AT_64[@]}" --include '*' --rebalance 0.5
run all_sets_128_only "${AT_128[@]}" --include '*' --epochs 4
run all_sets_progressive_64_then_128 "${AT_128[@]}" --include '*' --epochs 8 --progressive 64:6
run all_sets_rebalanced_075_64 "${AT_64[@]}" --include '*' --rebalance 0.75
