#!/usr/bin/env bash
# What the completeness checks cost: `ls -r --versions --json` (one listing and four) and
# `report --format csv` over the same SeaweedFS bucket, by this lockwatch and by an older one
# built without the checks, each run three times; prints the median wall and CPU time of each
# and this one's CPU against the older one's.
#
#   LOCKWATCH_BEFORE=/path/to/an/older/lockwatch tests/bench/checks.sh [VERSIONS]
#                                 # default 200,000 versions
#   LOCKWATCH_BENCH_PROFILE=dev LOCKWATCH_BEFORE=target/debug/lockwatch tests/bench/checks.sh 2000
#                                 # proves the benchmark works (a debug build: times mean nothing)
#
# The bucket holds VERSIONS/10 keys × 10 versions in 100 folders, a delete marker on every
# second key, with Object Lock (the report reads every version with HEAD). A benchmark, not a
# test: nothing here fails on a time.
set -euo pipefail
cd "$(dirname "$0")/../.."
versions=${1:-200000}
keys=$((versions / 10))
before=${LOCKWATCH_BEFORE:?set LOCKWATCH_BEFORE to an older lockwatch binary to compare with}
export AWS_EC2_METADATA_DISABLED=true

# shellcheck source=tests/bench/weed.sh
source tests/bench/weed.sh
install_bench_tools

profile=${LOCKWATCH_BENCH_PROFILE:-release}
cargo build --quiet --profile "$profile" --bin lockwatch --example populate
bin="target/$([ "$profile" = dev ] && echo debug || echo "$profile")"
now="$bin/lockwatch"

work=$(mktemp -d)
weed_pid=""
cleanup() {
  [ -n "$weed_pid" ] && kill "$weed_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
start_weed "$work"
echo "bench: filling s3://checkbench with $versions versions (Object Lock on)" >&2
"$bin/examples/populate" checkbench "$keys" 10 2 100 lock

# run BINARY ARGS…: three runs; prints "median-wall median-cpu lines".
run() {
  local binary=$1; shift
  : >"$work/runs"
  for _ in 1 2 3; do
    /usr/bin/time -f "%e %U %S" -o "$work/time" "$binary" "$@" >"$work/out" 2>"$work/err" || {
      echo "bench: $binary $* failed:" >&2; cat "$work/err" >&2; exit 1; }
    read -r wall user sys <"$work/time"
    echo "$wall $(awk "BEGIN { print $user + $sys }") $(wc -l <"$work/out")" >>"$work/runs"
  done
  sort -n -k2 "$work/runs" | sed -n 2p
}

echo
echo "The completeness checks' cost over $versions versions + $((keys / 2)) delete markers in 100 folders, SeaweedFS $SEAWEEDFS_VERSION on loopback, $(date -u +%Y-%m-%d), $(nproc) cores, profile $profile; median of 3"
echo
echo "| command | before: wall, CPU | now: wall, CPU | CPU now / before | lines before / now |"
echo "|---|---|---|---|---|"
for cmd in "ls -r --versions --json --listings 1" "ls -r --versions --json --listings 4" "report --format csv"; do
  # shellcheck disable=SC2086
  read -r bw bc bl < <(run "$before" $cmd s3://checkbench/)
  # shellcheck disable=SC2086
  read -r nw nc nl < <(run "$now" $cmd s3://checkbench/)
  python3 - "$cmd" "$bw" "$bc" "$bl" "$nw" "$nc" "$nl" <<'PY'
import sys
cmd, bw, bc, bl, nw, nc, nl = sys.argv[1], *map(float, sys.argv[2:])
print(f"| `{cmd}` | {bw:.2f} s, {bc:.2f} s | {nw:.2f} s, {nc:.2f} s | {100 * nc / bc:.1f}% | {bl:,.0f} / {nl:,.0f} |")
PY
done
