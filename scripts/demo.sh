#!/bin/bash
# The main job, shown step by step: as an unprivileged user, a persistent netns is added, used
# through exec and through an OCI runtime (runc) via oci, given outbound connectivity and a
# port forward through rootlet-slirp, shown, and deleted.
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

step "add --slirp: outbound connectivity through rootlet-slirp (host loopback allowed for the demo)"
web=$name-net
show_run "$netns" add "$web" --slirp --allow-host-loopback
trap '"$netns" del "$name" 2>/dev/null; "$netns" del "$web" 2>/dev/null; kill $srv 2>/dev/null; rm -rf "$work"' EXIT
mkdir -p "$work/site" && echo "hello from the host's loopback" >"$work/site/index.html"
python3 -m http.server -b 127.0.0.1 -d "$work/site" 18480 >/dev/null 2>&1 &
srv=$!
sleep 0.5
show_run "$netns" exec "$web" -- busybox wget -q -O - http://10.0.2.2:18480/
show_run "$netns" exec "$web" -- cat /etc/resolv.conf

step "a port forward through slirp's API: host 127.0.0.1:PORT -> the netns's port 80"
echo "hello from inside the netns" >"$work/site/inside.html"
"$netns" exec "$web" -- python3 -m http.server -b 0.0.0.0 -d "$work/site" 80 >/dev/null 2>&1 &
sleep 0.5
reply=$(python3 "$top/tests/integration/tools/net.py" api "$XDG_RUNTIME_DIR/rootlet/$web/slirp.sock" \
	'{"execute":"add_hostfwd","arguments":{"proto":"tcp","host_addr":"127.0.0.1","host_port":0,"guest_port":80}}')
echo "$reply"
port=$(echo "$reply" | jq -r .return.host_port)
show_run python3 -c "import urllib.request; print(urllib.request.urlopen('http://127.0.0.1:$port/inside.html').read().decode(), end='')"
show_run "$netns" show "$web"
show_run "$netns" del "$web"

step "show: interfaces, addresses, routes, and the holder's memory"
show_run "$netns" show "$name"

step "del: the holder stops, the state goes"
show_run "$netns" del "$name"
show_run "$netns" list
trap 'rm -rf "$work"' EXIT
echo
echo "demo: done"
