#!/usr/bin/env bash
# What one interval of `lockwatch watch` costs against a server: requests sent, time and peak
# memory, for the first look (the listing kept), a look after a storm (compared), and a look at
# the posture alone (--no-listing: what an interval costs when the listing is not needed);
# then the scan's engine without the network at the sizes given (the `watch` example).
# Prints Markdown tables.
#
#   tests/bench/watch.sh [VERSIONS [ENGINE_VERSIONS…]]   # default 1,000,000; engine 1M and 10M
#   LOCKWATCH_BENCH_PROFILE=dev tests/bench/watch.sh 2000 20000
#                                 # what CI runs, to prove the benchmark still works
#
# The bucket, in the sandbox in its own process, holds VERSIONS/2 keys × 2 versions in 100
# folders; the storm is a delete marker on every 1000th key. A benchmark, not a test: nothing
# here fails on a time.
set -euo pipefail
cd "$(dirname "$0")/../.."
versions=${1:-1000000}
shift || true
engine=("$@")
[ ${#engine[@]} -gt 0 ] || engine=(1000000 10000000)
keys=$((versions / 2))
export AWS_EC2_METADATA_DISABLED=true
[ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is needed: apt-get install time" >&2; exit 1; }

profile=${LOCKWATCH_BENCH_PROFILE:-release}
cargo build --quiet --profile "$profile" --bin lockwatch --example populate --example watch
bin="target/$([ "$profile" = dev ] && echo debug || echo "$profile")"

work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
"$bin/lockwatch" sandbox --empty --max-memory 16GiB --max-object 1MiB --port "$port" >"$work/sandbox.out" 2>&1 &
pids+=($!)
for _ in $(seq 100); do grep -q AWS_ENDPOINT_URL "$work/sandbox.out" 2>/dev/null && break; sleep 0.1; done
export AWS_ENDPOINT_URL=http://127.0.0.1:$port AWS_ACCESS_KEY_ID=lockwatch-sandbox \
  AWS_SECRET_ACCESS_KEY=lockwatch-sandbox-secret AWS_REGION=us-east-1

echo "bench: filling the sandbox's s3://watchbench with $versions versions" >&2
"$bin/examples/populate" watchbench "$keys" 2 0 100 >&2

# look NAME ARGS…: one `watch --once`; a row of the table (requests from its status.json).
look() {
  local name=$1
  shift
  /usr/bin/time -f "%e %M" -o "$work/time" \
    "$bin/lockwatch" watch --once --locks-every 0 --state-dir "$work/state" "$@" s3://watchbench/ \
    >"$work/events" 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  local requests
  requests=$(python3 -c 'import glob, json; print(sum(json.load(open(f))["requests"] for f in glob.glob("'"$work"'/state/watch/*/status.json")))')
  read -r seconds kb <"$work/time"
  printf '| %s | %s | %s s | %s MB | %s |\n' "$name" "$requests" "$seconds" "$((kb / 1024))" \
    "$(python3 -c 'import json,sys; print(", ".join(json.loads(l)["event"] for l in open(sys.argv[1]) if l.strip()) or "none")' "$work/events")"
}

echo
echo "One interval of lockwatch watch over $versions versions ($keys keys, 100 folders) in the sandbox"
echo
echo "| interval | requests | time | peak memory | events |"
echo "|---|---|---|---|---|"
look "first look: posture, listing kept"
echo "bench: a storm: a delete marker on every 1000th key" >&2
# The same keys again with no new version: a delete marker on every 1000th (CreateBucket of a
# bucket the sandbox already has changes nothing).
"$bin/examples/populate" watchbench "$keys" 0 1000 100 >&2
markers=$(( keys / 1000 > 0 ? keys / 1000 : 1 ))
look "after a storm of $markers delete markers: compared with the kept listing" --storm "$markers"
look "posture only (--no-listing)" --no-listing

# With notifications: a running watcher that set them up on the sandbox (its first look lists),
# a quiet interval, then a second storm of markers, alerted from the notices read back.
echo "bench: with notifications" >&2
rm -rf "$work/state"
interval=60
/usr/bin/time -f "%e %M" -o "$work/notify-time" \
  "$bin/lockwatch" watch --notifications --yes --json --interval "$interval" --locks-every 0 \
  --storm "$markers" --state-dir "$work/state" s3://watchbench/ \
  >"$work/notify-events" 2>"$work/notify-err" &
watcher=$!
pids+=("$watcher")
status() { python3 -c 'import glob, json, sys; f = glob.glob(sys.argv[1] + "/state/watch/*/status.json"); s = json.load(open(f[0])) if f else {}; print(s.get("updated_at", ""), s.get("requests", 0))' "$work"; }
wait_change() { # wait_change BEFORE: the status line once its time differs
  local now
  for _ in $(seq 6000); do
    now=$(status)
    [ -n "${now% *}" ] && [ "${now% *}" != "${1% *}" ] && { echo "$now"; return; }
    kill -0 "$watcher" 2>/dev/null || { cat "$work/notify-err" >&2; exit 1; }
    sleep 0.1
  done
  echo "bench: the watcher finished no interval" >&2; exit 1
}
first=$(wait_change "")
quiet=$(wait_change "$first")
# A second delete marker on each key of the first storm.
storm_started=$(date +%s.%N)
"$bin/examples/populate" watchbench "$keys" 0 1000 100 >&2
for _ in $(seq 6000); do grep -q deletion_storm "$work/notify-events" 2>/dev/null && break; sleep 0.1; done
alerted=$(date +%s.%N)
grep -q deletion_storm "$work/notify-events" || { echo "bench: no storm from the notices" >&2; cat "$work/notify-err" >&2; exit 1; }
stormy=$(status)
# SIGTERM to the watcher itself (the child of time), which then removes its set-up.
pkill -TERM -P "$watcher"
wait "$watcher" 2>/dev/null || true
grep -q "removed the notification set-up" "$work/notify-err" || { echo "bench: the set-up was not removed" >&2; cat "$work/notify-err" >&2; exit 1; }
read -r _ kb < <(tail -n 1 "$work/notify-time")
echo
echo "With --notifications (the sandbox sends them; the watcher ran throughout: peak memory $((kb / 1024)) MB)"
echo
echo "| interval | requests | events |"
echo "|---|---|---|"
printf '| first look: posture, listing kept, set-up checked | %s | baseline |\n' "${first#* }"
printf '| a quiet interval: posture and the notification configuration | %s | none |\n' "${quiet#* }"
printf '| the storm, from the notices, each key read back | %s | deletion_storm, %.1f s after the deletions began |\n' \
  "${stormy#* }" "$(python3 -c "print($alerted - $storm_started)")"
echo
echo "The listing scan's engine without the network (records kept and compared; example \`watch\`)"
echo
"$bin/examples/watch" "${engine[@]}"
