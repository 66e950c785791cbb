#!/usr/bin/env bash
# The report from an S3 Inventory at scale: writes a CSV inventory (gzip, the lock fields,
# every row a version or delete marker of the bucket) of VERSIONS rows in data files of
# 500,000 rows to SeaweedFS, as AWS lays one out (manifest.json, manifest.checksum, MD5s),
# then times `lockwatch report --inventory … --format json` on it: wall time, CPU, peak RSS.
#
#   tests/bench/inventory.sh [VERSIONS]       # default 2,000,000
#   LOCKWATCH_BENCH_PROFILE=dev tests/bench/inventory.sh 20000
#                                 # what CI runs, to prove the benchmark still works
#
# A benchmark, not a test: nothing here fails on a time.
set -euo pipefail
cd "$(dirname "$0")/../.."
versions=${1:-2000000}
export AWS_EC2_METADATA_DISABLED=true

# shellcheck source=tests/bench/weed.sh
source tests/bench/weed.sh
install_bench_tools

profile=${LOCKWATCH_BENCH_PROFILE:-release}
cargo build --quiet --profile "$profile" --bin lockwatch
bin="target/$([ "$profile" = dev ] && echo debug || echo "$profile")"

work=$(mktemp -d)
weed_pid=""
cleanup() {
  [ -n "$weed_pid" ] && kill "$weed_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
start_weed "$work"
aws=.venv/bin/aws
$aws s3api create-bucket --bucket invbench --object-lock-enabled-for-bucket >/dev/null
$aws s3api create-bucket --bucket invbench-inventory >/dev/null

echo "bench: writing a CSV inventory of $versions versions" >&2
python3 - "$work" "$versions" <<'PY'
import gzip, hashlib, json, os, sys
work, total = sys.argv[1], int(sys.argv[2])
per_file = 500_000
files, row = [], 0
os.makedirs(f"{work}/inv", exist_ok=True)
while row < total:
    n = len(files)
    path = f"{work}/inv/{n}.csv.gz"
    with gzip.open(path, "wt", compresslevel=1) as out:
        for i in range(row, min(total, row + per_file)):
            key, version = divmod(i, 10)
            marker = version == 0 and key % 2 == 0
            mode, until, hold = ("", "", "") if marker else (
                ("COMPLIANCE", "2099-01-01T00:00:00.000Z", "OFF") if key % 3 else ("", "", "OFF"))
            out.write(
                f'"invbench","f{key % 100:03}/backup-{key:08}.tar","v{version:02}{key:08}",'
                f'"{str(version == 0).lower()}","{str(marker).lower()}","{"" if marker else 4096}",'
                f'"2026-11-20T10:00:00.000Z","{"" if marker else "etag"}","{"" if marker else "STANDARD"}",'
                f'"","","","{until}","{mode}","{hold}"\n')
    row = min(total, row + per_file)
    body = open(path, "rb").read()
    files.append({"key": f"invbench/config/data/{n}.csv.gz", "size": len(body),
                  "MD5checksum": hashlib.md5(body).hexdigest()})
manifest = json.dumps({
    "sourceBucket": "invbench", "destinationBucket": "arn:aws:s3:::invbench-inventory",
    "version": "2016-11-30", "creationTimestamp": "1795737600000", "fileFormat": "CSV",
    "fileSchema": "Bucket, Key, VersionId, IsLatest, IsDeleteMarker, Size, LastModifiedDate, ETag, StorageClass, IsMultipartUploaded, ReplicationStatus, EncryptionStatus, ObjectLockRetainUntilDate, ObjectLockMode, ObjectLockLegalHoldStatus",
    "files": files}).encode()
open(f"{work}/manifest.json", "wb").write(manifest)
open(f"{work}/manifest.checksum", "w").write(hashlib.md5(manifest).hexdigest())
print(len(files))
PY
for f in "$work"/inv/*.csv.gz; do
  $aws s3api put-object --bucket invbench-inventory --key "invbench/config/data/$(basename "$f")" --body "$f" >/dev/null
done
for f in manifest.json manifest.checksum; do
  $aws s3api put-object --bucket invbench-inventory --key "invbench/config/2026-11-27T00-00Z/$f" --body "$work/$f" >/dev/null
done

/usr/bin/time -f "%e %U %S %M" -o "$work/time" "$bin/lockwatch" report \
  --inventory s3://invbench-inventory/invbench/config/2026-11-27T00-00Z/manifest.json \
  s3://invbench/ --format json >"$work/report.json" 2>"$work/err" || {
  echo "bench: the report failed:" >&2; cat "$work/err" >&2; exit 1; }
read -r wall user sys rss <"$work/time"
counted=$(python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); print(r["versions"] + r["delete_markers"])' "$work/report.json")
echo
echo "lockwatch report --inventory: a CSV inventory of $versions rows (gzip, $(ls "$work"/inv | wc -l) data files), SeaweedFS $SEAWEEDFS_VERSION on loopback, $(date -u +%Y-%m-%d), $(nproc) cores, profile $profile"
echo
echo "| rows | counted | wall | CPU | peak RSS |"
echo "|---|---|---|---|---|"
echo "| $versions | $counted | ${wall} s | $(awk "BEGIN { printf \"%.1f\", $user + $sys }") s | $((rss / 1024)) MB |"
[ "$counted" = "$versions" ] || { echo "bench: the report counted $counted rows of $versions" >&2; exit 1; }
