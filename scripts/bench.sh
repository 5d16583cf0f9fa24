#!/bin/bash
# make bench: as root, prepare the unprivileged user and run the benchmarks as that user.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
if [ "$(id -u)" -eq 0 ]; then
	exec "$top/scripts/as-test-user.sh" env BENCH_RUNS="${BENCH_RUNS:-5}" \
		BENCH_SECONDS="${BENCH_SECONDS:-3}" BENCH_ONLY="${BENCH_ONLY:-}" \
		BENCH_CHURN_RUNS="${BENCH_CHURN_RUNS:-3}" BENCH_CHURN_COUNT="${BENCH_CHURN_COUNT:-10000}" \
		BENCH_OLD_TOP="${BENCH_OLD_TOP:-}" python3 "$top/scripts/bench.py"
fi
exec python3 "$top/scripts/bench.py"
