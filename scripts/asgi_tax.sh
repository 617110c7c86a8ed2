#!/usr/bin/env bash
# What the ASGI path costs: RPS of one pinned server (CPU 0) under wrk pinned to CPU 1, one line per URL.
#   scripts/asgi_tax.sh uvicorn|gunicorn "ENV=VALUE ..." PATH...
# e.g. scripts/asgi_tax.sh uvicorn "LAB_ASGI_TWEAK=reuse-thread" /async/ping "/api/db/read?driver=orm"
# SERVE_ARGS="--loop asyncio" goes to manage.py serve. WRK_SCRIPT=scripts/server_timing.lua adds the mean Server-Timing breakdown (needs LAB_COUNT_HOPS=1).
set -euo pipefail
cd "$(dirname "$0")/.."
server=$1 envs=$2; shift 2
port=${PORT:-8190} duration=${DURATION:-10s}
extra=(); [ "$server" = gunicorn ] && extra=(--threads "${THREADS:-8}")
env $envs .venv/bin/python manage.py serve "$server" --workers 1 "${extra[@]}" ${SERVE_ARGS:-} --cpus 0 --port "$port" \
    > "/tmp/asgi_tax.$port.log" 2>&1 &
serve=$!
trap 'kill -TERM $serve 2>/dev/null; wait $serve 2>/dev/null || true' EXIT
for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/api/ping" >/dev/null && break; sleep 0.2; done
# CPU time (user+system, clock ticks) of the server's whole process tree: CPU per request is
# what the server spends, whatever else runs on CPU 0 (a shared machine moves RPS, not this).
cpu_ticks() {
    local pids total=0 pid
    pids=$(pgrep -P "$serve"; for p in $(pgrep -P "$serve"); do pgrep -P "$p"; done)
    for pid in $pids; do
        total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
    done
    echo "$total"
}
hz=$(getconf CLK_TCK)
for path in "$@"; do
    url="http://127.0.0.1:$port$path"
    taskset -c 1 wrk -t1 -c32 -d2s "$url" >/dev/null  # warm-up: pools open, code loaded
    before=$(cpu_ticks)
    out=$(taskset -c 1 wrk -t1 -c32 -d"$duration" ${WRK_SCRIPT:+-s "$WRK_SCRIPT"} "$url")
    after=$(cpu_ticks)
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    requests=$(awk '/requests in/ {print $1}' <<<"$out")
    cpu_us=$(awk -v t=$((after - before)) -v n="$requests" -v hz="$hz" 'BEGIN {printf "%.0f", t * 1e6 / hz / n}')
    errors=$(grep -E "Non-2xx|Socket errors" <<<"$out" | tr -s ' ' || true)
    echo "$server [$envs] $path rps=$rps cpu_us_per_req=$cpu_us $errors"
    [ -n "${WRK_SCRIPT:-}" ] && sed -n '/server-timing over/,$p' <<<"$out"
done
