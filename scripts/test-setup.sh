#!/bin/bash
# Root part of the test setup: an unprivileged test user that rootless tests run as.
# Idempotent; prints what it changed. Usage: scripts/test-setup.sh [USER]
set -euo pipefail

user=${1:-rootlet-test}
sub_count=65536
sub_min=100000

if [ "$(id -u)" -ne 0 ]; then
	echo "test-setup: must run as root" >&2
	exit 1
fi

if ! id -u "$user" >/dev/null 2>&1; then
	useradd --create-home --shell /bin/bash "$user"
	echo "test-setup: created user $user"
fi
uid=$(id -u "$user")

# One subordinate range each in /etc/subuid and /etc/subgid, after every range already there.
for f in /etc/subuid /etc/subgid; do
	touch "$f"
	if ! grep -q -E "^($user|$uid):" "$f"; then
		start=$(awk -F: -v min="$sub_min" '
			$2 ~ /^[0-9]+$/ && $3 ~ /^[0-9]+$/ && $2 + $3 > min { min = $2 + $3 }
			END { print min }' "$f")
		echo "$user:$start:$sub_count" >>"$f"
		echo "test-setup: $f: $user:$start:$sub_count"
	fi
done

# What pam_systemd would make at login.
run_dir=/run/user/$uid
install -d -m 0700 -o "$uid" -g "$(id -g "$user")" "$run_dir"

# A second unprivileged user, for the cross-user tests: it tries to reach the first one's
# state, sockets, namespaces, processes and ports, and must be refused everywhere.
other=${user}2
if ! id -u "$other" >/dev/null 2>&1; then
	useradd --create-home --shell /bin/bash "$other"
	echo "test-setup: created user $other"
fi
install -d -m 0700 -o "$(id -u "$other")" -g "$(id -g "$other")" "/run/user/$(id -u "$other")"

# A standard distribution ships /dev/net/tun 0666; this machine's is 0600.
if [ -c /dev/net/tun ] && [ "$(stat -c %a /dev/net/tun)" != 666 ]; then
	chmod 0666 /dev/net/tun
	echo "test-setup: /dev/net/tun mode 0666"
fi

# crun 1.8 refuses hybrid cgroups while any controller is left on cgroup2: give each one a v1
# hierarchy of its own, as a pure v1 layout would have.
if [ -f /sys/fs/cgroup/unified/cgroup.controllers ]; then
	for ctrl in $(cat /sys/fs/cgroup/unified/cgroup.controllers); do
		[ -d "/sys/fs/cgroup/$ctrl" ] && mountpoint -q "/sys/fs/cgroup/$ctrl" && continue
		mkdir -p "/sys/fs/cgroup/$ctrl"
		if mount -t cgroup -o "$ctrl" cgroup "/sys/fs/cgroup/$ctrl"; then
			echo "test-setup: cgroup controller $ctrl moved to a v1 hierarchy"
		else
			echo "test-setup: could not move cgroup controller $ctrl to v1" >&2
		fi
	done
fi
