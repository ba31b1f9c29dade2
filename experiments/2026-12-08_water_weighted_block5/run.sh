#!/usr/bin/env bash
# Issue #28, item 5: the water-weighted mix, the one lever the issue names that no run had tried.
# Identical to ../2026-12-07_block5_continued/run.sh (same start, data, split, schedule and rates)
# but for --oversample: each pass repeats the paper's 7 water sets' training photos 3 times, so
# they are about 36% of what the model sees instead of 16%. Re-running this script resumes a
# killed run (from the cache folder, or from its kept epoch when that is gone); a finished one
# (metrics.json) is left alone.
# Usage (from the repository root): bash experiments/2026-12-08_water_weighted_block5/run.sh
set -euo pipefail
HERE=experiments/2026-12-08_water_weighted_block5
DATA=${DATA:-../shared/data/stills}
FROM=experiments/2026-12-07_block5_grown_from_default/2026-12-07_grown_block5_low_lr_all_sets_128
folder=$(ls -d "$HERE"/*_water_x3_all_sets_128 2>/dev/null | head -1 || true)
if [[ -n "$folder" && -f "$folder/metrics.json" ]]; then echo "done: $folder"; exit 0; fi
if [[ -n "$folder" ]]; then exec python -m colornn_keras.cli train color --resume "$folder" --quiet; fi
water=()
for set in sun_ocean sun_waterfall miniplaces_coast miniplaces_harbor miniplaces_river miniplaces_lighthouse miniplaces_iceberg; do
  water+=(--oversample "$set:3")
done
exec python -m colornn_keras.cli train color --data "$DATA" --include '*' --runs-root "$HERE" \
  --name water_x3_all_sets_128 --image-size 128 --batch-size 16 "${water[@]}" \
  --init-from "$FROM" --deepest-tap block5_conv3 --fine-tune-from block4_conv1 \
  --learning-rate 2e-5 --schedule cosine --warmup-epochs 0.3 --optimizer adamw --weight-decay 1e-4 \
  --augmentation resized_crop --steps-per-epoch 250 --epochs 7 --patience 3 --max-minutes 62 \
  --precision auto --quiet
