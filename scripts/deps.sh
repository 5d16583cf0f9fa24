#!/bin/bash
# Installs the Debian packages rootlet builds and tests with (as root), or prints the apt-get
# line to run (as anyone else). Quiet when everything is there already.
set -euo pipefail

build_pkgs=(gcc make pkg-config libc6-dev libslirp-dev libglib2.0-dev libnl-3-dev
	libnl-route-3-dev libcap-ng-dev libseccomp-dev libjansson-dev
	libnftnl-dev libmnl-dev)
lint_pkgs=(clang-format cppcheck)
test_pkgs=(libldns-dev clang libclang-rt-14-dev uidmap runc crun busybox-static iproute2 procps util-linux passwd jq python3 tmux
	man-db systemd)
# The engines the suite runs (tests/engines): podman with its network stack and helpers; the
# CNI plugins check a CNI result as their prevResult; docker.io for rootless Docker
# (dockerd-rootless.sh, run by the test user; root's own dockerd is kept from starting).
engine_pkgs=(podman conmon catatonit netavark aardvark-dns iptables containernetworking-plugins
	docker.io)
# The tools `make bench` compares against, and its load generator.
bench_pkgs=(slirp4netns passt rootlesskit iperf3)

missing=()
for pkg in "${build_pkgs[@]}" "${lint_pkgs[@]}" "${test_pkgs[@]}" "${engine_pkgs[@]}" \
	"${bench_pkgs[@]}"; do
	status=$(dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null || true)
	[ "$status" = "install ok installed" ] || missing+=("$pkg")
done
[ ${#missing[@]} -eq 0 ] && exit 0

line="apt-get install -y --no-install-recommends ${missing[*]}"
if [ "$(id -u)" -ne 0 ]; then
	echo "deps: missing packages; as root run: $line" >&2
	exit 1
fi
echo "deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# No service is started by the install (docker.io's root dockerd and containerd): a
# policy-rc.d that refuses every start, for the install's length only, unless one is there.
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# rootlet deps.sh: no service starts during the install\nexit 101\n' >"$policy"
	chmod 0755 "$policy"
	trap 'rm -f "$policy"' EXIT
fi
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
