#!/bin/bash
# make bench: as root, prepare the unprivileged user and run the benchmarks as that user.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
user=${ROOTLET_TEST_USER:-rootlet-test}
if [ "$(id -u)" -eq 0 ]; then
	"$top/scripts/test-setup.sh" "$user" >/dev/null
	uid=$(id -u "$user")
	chmod -R a+rX "$top/build"
	exec runuser -u "$user" -- env -i HOME="$(getent passwd "$user" | cut -d: -f6)" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin XDG_RUNTIME_DIR="/run/user/$uid" \
		BENCH_RUNS="${BENCH_RUNS:-5}" BENCH_SECONDS="${BENCH_SECONDS:-3}" \
		python3 "$top/scripts/bench.py"
fi
exec python3 "$top/scripts/bench.py"
