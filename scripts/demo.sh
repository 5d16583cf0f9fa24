#!/bin/bash
# The main job, shown step by step: as an unprivileged user, a persistent netns is added, used
# through exec and through an OCI runtime (runc) via oci; then `rootlet run` publishes an HTTP
# server from a netns of its own, fetched from the host, and reaches the host from inside.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)

# As root, become the unprivileged user that rootless work is for (made by the test setup).
if [ "$(id -u)" -eq 0 ]; then
	exec "$top/scripts/as-test-user.sh" bash "$top/scripts/demo.sh"
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

step "rootlet run: an HTTP server in a netns of its own, published on 127.0.0.1:8080"
rootlet=$top/build/rootlet
mkdir -p "$work/site" && echo "hello from inside the netns" >"$work/site/inside.html"
echo "hello from the host's loopback" >"$work/host.html"
printf '$ %s\n' "rootlet run --name $name-run --publish 127.0.0.1:8080:80 --allow-host-loopback -- python3 -m http.server -d site 80 &"
"$rootlet" run --name "$name-run" --publish 127.0.0.1:8080:80 --allow-host-loopback -- \
	python3 -m http.server -b 0.0.0.0 -d "$work/site" 80 >/dev/null 2>&1 &
runpid=$!
python3 -m http.server -b 127.0.0.1 -d "$work" 18480 >/dev/null 2>&1 &
srv=$!
trap '"$netns" del "$name" 2>/dev/null; kill $runpid $srv 2>/dev/null; rm -rf "$work"' EXIT
fetch() {
	python3 -c "import sys, urllib.request; print(urllib.request.urlopen(sys.argv[1], timeout=2).read().decode(), end='')" "$1"
}
for _ in $(seq 100); do fetch http://127.0.0.1:8080/inside.html >/dev/null 2>&1 && break; sleep 0.1; done

step "from the host, through the forward"
show_run fetch http://127.0.0.1:8080/inside.html

step "from inside, the host's loopback through 10.0.2.2 (allowed for the demo)"
show_run "$rootlet" netns exec "$name-run" -- busybox wget -q -O - http://10.0.2.2:18480/host.html

step "rootlet netns show: the netns rootlet run made, its helpers and forwards"
show_run "$rootlet" netns show "$name-run"

step "tear down: the command ends, rootlet run deletes its netns"
show_run kill "$runpid"
wait "$runpid" 2>/dev/null || true
for _ in $(seq 50); do [ -e "$XDG_RUNTIME_DIR/rootlet/$name-run" ] || break; sleep 0.1; done
show_run "$rootlet" netns list

step "show: interfaces, addresses, routes, and the holder's memory"
show_run "$netns" show "$name"

step "del: the holder stops, the state goes"
show_run "$netns" del "$name"
show_run "$netns" list
trap 'kill $srv 2>/dev/null; rm -rf "$work"' EXIT
echo
echo "demo: done"
