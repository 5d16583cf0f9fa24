#!/bin/sh
# rootlesskit (and so k3s rootless) on rootlet-slirp: the flags k3s passes, with rootlet-slirp
# found as "slirp4netns" first in PATH (k3s runs the slirp4netns of PATH). tests/engines runs
# this invocation. Usage: contrib/rootlesskit/k3s.sh COMMAND...
set -eu
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
ln -s "$(command -v rootlet-slirp)" "$dir/slirp4netns"
PATH=$dir:$PATH exec rootlesskit --net=slirp4netns --cidr 10.41.0.0/16 --disable-host-loopback \
	--mtu 1500 --port-driver=slirp4netns --slirp4netns-sandbox=auto --slirp4netns-seccomp=auto \
	--copy-up=/etc --copy-up=/run "$@"
