#!/bin/bash
# The main job, shown step by step: as an unprivileged user, a persistent netns is added, used
# through exec and through an OCI runtime (runc) via oci, shown, and deleted.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
user=${ROOTLET_DEMO_USER:-rootlet-test}

# As root, become the unprivileged user that rootless work is for (made by the test setup).
if [ "$(id -u)" -eq 0 ]; then
	"$top/scripts/test-setup.sh" "$user" >/dev/null
	uid=$(id -u "$user")
	chmod -R a+rX "$top/build"
	exec runuser -u "$user" -- env -i HOME="$(getent passwd "$user" | cut -d: -f6)" \
		PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin XDG_RUNTIME_DIR="/run/user/$uid" \
		bash "$top/scripts/demo.sh"
fi

netns=$top/build/rootlet-netns
name=demo-$$
work=$(mktemp -d /tmp/rootlet-demo.XXXXXX)
trap '"$netns" del "$name" 2>/dev/null; rm -rf "$work"' EXIT

step() {
	printf '\n\033[1m==> %s\033[0m\n' "$*"
}
show_run() {
	printf '$ %s\n' "$*"
	"$@"
}

step "as $(id -un) (uid $(id -u)): add a persistent network namespace"
show_run "$netns" add "$name"
show_run "$netns" list

step "exec: give it an address; a second exec sees it (the netns persists)"
show_run "$netns" exec "$name" -- ip addr add 10.99.0.1/32 dev lo
show_run "$netns" exec "$name" -- ip -brief addr show dev lo

step "oci: hand the netns to runc through config.json"
mkdir -p "$work/rootfs/bin"
cp /bin/busybox "$work/rootfs/bin/" && ln -s busybox "$work/rootfs/bin/sh" &&
	ln -s busybox "$work/rootfs/bin/ip"
(cd "$work" && runc spec --rootless)
show_run "$netns" oci "$name" "$work/config.json" --in-place
jq '.process.terminal = false | .process.args = ["ip", "-o", "-4", "addr"]' \
	"$work/config.json" >"$work/c.json" && mv "$work/c.json" "$work/config.json"
show_run runc --root "$work/runc" run --bundle "$work" "demo-$$"

step "show: interfaces, addresses, routes, and the holder's memory"
show_run "$netns" show "$name"

step "del: the holder stops, the state goes"
show_run "$netns" del "$name"
show_run "$netns" list
trap 'rm -rf "$work"' EXIT
echo
echo "demo: done"
