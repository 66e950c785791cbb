#!/usr/bin/env bash
# The scale benchmark: `lockwatch report` on SeaweedFS (time, versions per second, lockwatch's
# CPU per version, HEADs in flight) on loopback and with added latency, in lockwatch's
# default shape and in the shape before the pipeline (32 HEADs at once, one listing), a
# sampled report; then split listings against the sandbox in its own process behind the
# same added latency (1, 4, 8 and 16 listings at once). Prints Markdown tables.
#
#   tests/bench/scale.sh [VERSIONS [LATENCY_MS]]     # default 200,000 versions, 15 ms
#   LOCKWATCH_BEFORE=/path/to/an/older/lockwatch tests/bench/scale.sh
#                                 # adds that binary's report, on loopback and with latency
#   LOCKWATCH_BENCH_PROFILE=dev tests/bench/scale.sh 2000
#                                 # what CI runs, to prove the benchmark still works (a debug
#                                 # build: its times mean nothing)
#
# Both buckets hold VERSIONS/10 keys × 10 versions in 100 folders, a delete marker on every
# second key; the report's bucket has Object Lock (so that every version is read with HEAD).
# A benchmark, not a test: nothing here fails on a time.
set -euo pipefail
cd "$(dirname "$0")/../.."
versions=${1:-200000}
latency=${2:-15}
keys=$((versions / 10))
export AWS_EC2_METADATA_DISABLED=true

# shellcheck source=tests/bench/weed.sh
source tests/bench/weed.sh
install_bench_tools

profile=${LOCKWATCH_BENCH_PROFILE:-release}
cargo build --quiet --profile "$profile" --bin lockwatch --example populate --example latency
bin="target/$([ "$profile" = dev ] && echo debug || echo "$profile")"

work=$(mktemp -d)
weed_pid="" pids=()
cleanup() {
  for p in "${pids[@]}" $weed_pid; do kill "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

start_weed "$work"
weed_endpoint=$AWS_ENDPOINT_URL

# latency UPSTREAM NAME: starts the latency proxy in front of UPSTREAM; its endpoint in $NAME.
latency_proxy() {
  local upstream=$1 out="$work/proxy-$2"
  "$bin/examples/latency" "$upstream" "$latency" >"$out" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do [ -s "$out" ] && break; sleep 0.1; done
  printf -v "$2" '%s' "$(head -1 "$out")"
}

echo "bench: filling s3://lockbench with $versions versions (Object Lock on)" >&2
"$bin/examples/populate" lockbench "$keys" 10 2 100 lock
latency_proxy "$weed_endpoint" weed_slow

# report NAME ENDPOINT ARGS…: one report by $lockwatch; appends a row to the table.
: >"$work/reports"
lockwatch="$bin/lockwatch"
report() {
  local name=$1 endpoint=$2; shift 2
  AWS_ENDPOINT_URL=$endpoint /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
    "$lockwatch" report s3://lockbench/ --format json "$@" >"$work/report.json" 2>"$work/err" || {
    echo "bench: $name failed:" >&2; cat "$work/err" >&2; exit 1; }
  read -r wall user sys rss <"$work/time"
  python3 - "$work/report.json" "$name" "$wall" "$user" "$sys" "$rss" >>"$work/reports" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
name, wall, user, sys_, rss = sys.argv[2], float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]), int(sys.argv[6])
v = r["versions"]
cpu = user + sys_
# An older lockwatch does not say how many HEADs it sent: one per version then.
heads = r.get("head_requests", v)
peak = r.get("head_concurrency_peak", "32 (fixed)")
print(f"| {name} | {wall:.1f} s | {v / wall:,.0f} | {heads:,} | {peak} | "
      f"{1e6 * cpu / max(v, 1):.0f} µs | {1e6 * cpu / max(heads, 1):.0f} µs | {rss / 1024:.0f} MB |")
PY
}

if [ -n "${LOCKWATCH_BEFORE:-}" ]; then
  lockwatch=$LOCKWATCH_BEFORE
  report "before: loopback" "$weed_endpoint"
  report "before: +${latency} ms" "$weed_slow"
  lockwatch="$bin/lockwatch"
fi
report "loopback, default (adaptive HEADs up to 64, 4 listings)" "$weed_endpoint"
report "loopback, capped at 32 HEADs, 1 listing" "$weed_endpoint" --concurrency 32 --listings 1
report "+${latency} ms, default" "$weed_slow"
report "+${latency} ms, capped at 32 HEADs, 1 listing" "$weed_slow" --concurrency 32 --listings 1
report "+${latency} ms, --concurrency 256" "$weed_slow" --concurrency 256
report "+${latency} ms, --sample 1000" "$weed_slow" --sample 1000 --seed 1

echo
echo "lockwatch report over $versions versions + $((keys / 2)) delete markers in 100 folders, SeaweedFS $SEAWEEDFS_VERSION, $(date -u +%Y-%m-%d), $(nproc) cores, profile $profile"
echo
echo "| run | wall | versions/s | HEADs | most HEADs at once | lockwatch CPU per version | per HEAD | peak RSS |"
echo "|---|---|---|---|---|---|---|---|"
cat "$work/reports"

# Split listings: the sandbox in its own process, behind the same latency.
sport=$(free_port)
"$bin/lockwatch" sandbox --port "$sport" >"$work/sandbox.out" 2>&1 &
pids+=($!)
sandbox="http://127.0.0.1:$sport"
for _ in $(seq 100); do grep -q AWS_ENDPOINT_URL "$work/sandbox.out" 2>/dev/null && break; sleep 0.1; done
echo "bench: filling the sandbox's s3://splitbench with $versions versions" >&2
AWS_ENDPOINT_URL=$sandbox AWS_ACCESS_KEY_ID=lockwatch-sandbox AWS_SECRET_ACCESS_KEY=lockwatch-sandbox-secret \
  "$bin/examples/populate" splitbench "$keys" 10 2 100
latency_proxy "$sandbox" sandbox_slow

: >"$work/listings"
for n in 1 4 8 16; do
  AWS_ENDPOINT_URL=$sandbox_slow AWS_ACCESS_KEY_ID=lockwatch-sandbox AWS_SECRET_ACCESS_KEY=lockwatch-sandbox-secret \
    /usr/bin/time -f "%e %U %S %M" -o "$work/time" \
    "$bin/lockwatch" ls -r --versions --json s3://splitbench/ --listings "$n" >"$work/ls.out" 2>"$work/err" || {
    echo "bench: ls --listings $n failed:" >&2; cat "$work/err" >&2; exit 1; }
  read -r wall user sys rss <"$work/time"
  echo "$n $wall $(wc -l <"$work/ls.out") $rss" >>"$work/listings"
done
echo
echo "lockwatch ls -r --versions --json over $versions versions + $((keys / 2)) delete markers in 100 folders: the sandbox in its own process, +${latency} ms per request"
echo
echo "| listings at once | wall | speed-up | entries | peak RSS |"
echo "|---|---|---|---|---|"
awk 'NR == 1 { one = $2 } { printf "| %s | %.2f s | %.2f× | %s | %.0f MB |\n", $1, $2, one / $2, $3, $4 / 1024 }' "$work/listings"
