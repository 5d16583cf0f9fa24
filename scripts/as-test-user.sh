#!/bin/bash
# Runs a command as the unprivileged test user that test-setup.sh makes, with the environment
# a login would give it. Root only: demo, bench and the tests use it to act rootless.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
user=${ROOTLET_TEST_USER:-rootlet-test}

"$top/scripts/test-setup.sh" "$user" >/dev/null
uid=$(id -u "$user")
# The user reads the build tree it runs.
chmod -R a+rX "$top/build"
exec runuser -u "$user" -- env -i HOME="$(getent passwd "$user" | cut -d: -f6)" \
	PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin LANG=C.UTF-8 \
	XDG_RUNTIME_DIR="/run/user/$uid" "$@"
