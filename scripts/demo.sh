#!/usr/bin/env bash
# The main job on the bundled sample: start the stack and every service, make
# a demo tenant, cut three 9:16 captioned clips out of a 40-second talk.
# Called by `make demo` (after `make setup`); safe to run again.
# DEMO_WEBHOOK=URL also registers a webhook endpoint first, which then receives
# the jobs' signed events (e.g. `.venv/bin/reelforge-stack webhook-receiver
# --host 127.0.0.2` in another terminal and DEMO_WEBHOOK=http://127.0.0.2:17099/).
set -euo pipefail
cd "$(dirname "$0")/.."

SAMPLE=${DEMO_SAMPLE:-../shared/media/av/lecture_composite.mp4}
OUT=${DEMO_OUTPUT:-demo-output}
if [ ! -f "$SAMPLE" ]; then
  echo "demo: the sample $SAMPLE is missing (set DEMO_SAMPLE=/path/to/a/video.mp4)" >&2
  exit 2
fi

.venv/bin/reelforge-stack up
# shellcheck disable=SC1091
. .stack/env

tenant="demo-$(date +%Y%m%d-%H%M%S)"
created=$(.venv/bin/reelforge admin tenant create "$tenant" --json)
export REELFORGE_API_KEY
REELFORGE_API_KEY=$(.venv/bin/python -c 'import json, sys; print(json.load(sys.stdin)["api_key"]["token"])' <<<"$created")
echo "demo: tenant $tenant created"
if [ -n "${DEMO_WEBHOOK:-}" ]; then
  .venv/bin/reelforge webhooks create "$DEMO_WEBHOOK" --description "make demo"
fi

rm -rf "$OUT"
.venv/bin/reelforge clip "$SAMPLE" --count 3 --aspect 9:16 --min 5 --max 15 -o "$OUT"

echo
echo "demo: done. The clips are in $OUT/:"
ls -1 "$OUT"
echo "demo: $OUT/clips.json lists each clip: times, score and its reasons, title, transcript excerpt."
if [ -n "${DEMO_WEBHOOK:-}" ]; then
  echo "demo: what the webhook got: reelforge webhooks list, then reelforge webhooks deliveries <id> (REELFORGE_API_KEY=$REELFORGE_API_KEY)"
fi
echo "demo: the stack keeps running (API $REELFORGE_API_URL/docs); stop it with: make down"
