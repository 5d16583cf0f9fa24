#!/usr/bin/env python3
"""make bench: rootlet's helpers side by side with the tools they replace, in one run.

slirp: iperf3 netns->host and host->netns through rootlet-slirp, slirp4netns and pasta, at MTU
1500 and 65520, each the median of BENCH_RUNS runs of BENCH_SECONDS; ratios to slirp4netns;
each helper's RSS (and its private part, RssAnon), time from start to ready and idle CPU; a new
netns with slirp, end to end.
slirp and portfwd: the p50 and p99 of 64-byte round trips, unpinned and pinned (client,
server and helper on one CPU, as small VMs and CI runners see it).
portfwd: iperf3, short connections per second and round trips from the host's loopback into
a netns through rootlet-portfwd, rootlesskit's builtin driver, pasta -t and slirp4netns'
add_hostfwd, with a C load client and echo server (build/benchclient), and across a veth pair
without a forwarder as the kernel's own ceiling (bench_portfwd.py).
front door (bench_front.py): `rootlet run` from start to CMD's end with slirp and a forward,
and its teardown, beside slirp4netns+unshare+nsenter, pasta --config-net and rootlesskit; and
inbound through socket activation (the host's socket handed to a server inside `rootlet run`)
beside the plain loopback baseline, rootlet-portfwd, pasta and rootlesskit (benchclient's
stream, conn/s and round trips).
churn (bench_churn.py): 2 rounds of 10,000 short connections, 50 at a time, from a netns to a
host server that closes each at once, through rootlet-slirp, slirp4netns and pasta: failures,
connections/s per round, the helper's fds, peak RSS and RSS after.
bypass (bench_bypass.py): outbound TCP through rootlet-bypass beside the kernel's loopback,
rootlet-slirp, slirp4netns, pasta and rootlesskit; connect()'s p50 bypassed against the host's
and the seccomp-notify floor; the filter's cost to a program without socket calls.
runtime (bench_runtime.py): podman through rootlet-runtime: outbound and inbound TCP with the
bypass beside podman's slirp4netns, rootlet-slirp, rootlessport and the kernel's loopback;
container start with the wrapper, with and without the bypass, beside crun alone.
docker (bench_docker.py): rootless Docker (dockerd-rootless.sh) through rootlet-runtime: outbound
TCP from a container through the bypass beside the kernel's loopback; a container's start with
runc alone, through the wrapper, and with the bypass.
network (bench_network.py): container to container on one rootlet-network beside the same path
made by hand (two veths to a bridge) and a veth pair, alloc's latency (first: the median over
every network made; warm; the 100th) and the infra's RSS.
BENCH_OLD_TOP=DIR adds another tree's rootlet-slirp and rootlet-portfwd (built there) to the
same run, and a table of new/old ratios.
Runs as an unprivileged user; traffic stays on loopback and inside the namespaces it makes.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import time

from bench_common import (BENCHCLIENT, NETNS, OLD_TOP, RUNS, SECONDS, Pasta, Slirpish, binary,
                          proc_kib, round_trips, sh)
from bench_bypass import bench_bypass, print_bypass
from bench_churn import bench_churn, print_churn
from bench_docker import bench_docker, print_docker
from bench_front import bench_activation, bench_run, print_activation, print_run
from bench_network import bench_network, print_network
from bench_portfwd import bench_portfwd, print_portfwd
from bench_runtime import bench_runtime, print_runtime

# BENCH_ONLY=slirp, churn, portfwd, network, bypass, runtime or docker: one part, while working on
# it; make bench runs all.
ONLY = os.environ.get("BENCH_ONLY", "")
IPERF_PORT = 15201
ECHO_PORT = 15202
IDLE_SECONDS = 2.0
# Before each start: the previous helper's exit and its netns's teardown (the kernel finishes
# that in a worker, after del returns) are over, so no start pays for the one before it.
SETTLE_SECONDS = 0.1
E2E_RUNS = 20
RR_MTU = 65520  # round trips are measured at this MTU only: 64 bytes fit either


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def idle_cpu_percent(pid):
    hz = os.sysconf("SC_CLK_TCK")
    before = cpu_ticks(pid)
    time.sleep(IDLE_SECONDS)
    return 100.0 * (cpu_ticks(pid) - before) / hz / IDLE_SECONDS


def iperf(name, gateway, reverse):
    out = sh(NETNS, "exec", name, "--", "iperf3", "-c", gateway, "-p", str(IPERF_PORT), "-t",
             str(SECONDS), "-J", *(["-R"] if reverse else []), check=False).stdout
    try:
        return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9
    except (ValueError, KeyError):
        return 0.0


def bench_slirp(rows, rr):
    """Runs are interleaved (A, B, C, A, B, C, ...) so that drift in what else the two cores
    are doing spreads over every helper alike. Round trips: from the netns to an echo server
    on the host's loopback, through the gateway."""
    ours = ["--enable-sandbox", "--enable-seccomp"]
    helpers = [Slirpish(binary("rootlet-slirp"), "rootlet-slirp", ours),
               Slirpish(shutil.which("slirp4netns"), "slirp4netns", ["--enable-seccomp"]),
               Pasta()]
    if OLD_TOP:
        helpers.insert(1, Slirpish(binary("rootlet-slirp", True), "rootlet-slirp (old)", ours))
    echo = subprocess.Popen([BENCHCLIENT, "serve", "127.0.0.1", str(ECHO_PORT)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rr_samples = {h.label: {"p50": [], "p99": [], "pin50": [], "pin99": []} for h in helpers}
    try:
        for mtu in (65520, 1500):
            bench_slirp_mtu(helpers, mtu, rows, rr_samples, echo.pid)
    finally:
        echo.terminate()
        echo.wait()
    for label, r in rr_samples.items():
        rr[label] = {k: statistics.median(v) for k, v in r.items()}


def bench_slirp_mtu(helpers, mtu, rows, rr_samples, echo_pid):
    results = {h.label: {"n2h": [], "h2n": [], "ready": [], "rss": [], "anon": [], "idle": []}
               for h in helpers}
    for run in range(RUNS):
        for h in helpers:
            r = results[h.label]
            name = f"bench-{os.getpid()}-{run}"
            sh(NETNS, "add", name)
            time.sleep(SETTLE_SECONDS)
            try:
                pid, ms = h.start(name, mtu)
                r["ready"].append(ms)
                r["n2h"].append(iperf(name, h.gateway, False))
                r["h2n"].append(iperf(name, h.gateway, True))
                if mtu == RR_MTU:
                    inside = (NETNS, "exec", name, "--")
                    free, pinned = round_trips(h.gateway, ECHO_PORT, [pid, echo_pid],
                                               inside)
                    for key, v in zip(("p50", "p99", "pin50", "pin99"), (*free, *pinned)):
                        rr_samples[h.label][key].append(v)
                r["rss"].append(proc_kib(pid, "VmRSS"))
                r["anon"].append(proc_kib(pid, "RssAnon"))
                if run == 0:
                    r["idle"].append(idle_cpu_percent(pid))
                h.stop()
            finally:
                sh(NETNS, "del", name, check=False)
        print(f"  MTU {mtu}: run {run + 1} of {RUNS} done", file=sys.stderr, flush=True)
    for h in helpers:
        rows.append((mtu, h.label,
                     {k: statistics.median(v) for k, v in results[h.label].items()}))


def bench_e2e():
    times = {}
    for label, extra in (("add", []), ("add --slirp", ["--slirp"])):
        samples = []
        for i in range(E2E_RUNS):
            name = f"bench-e2e-{os.getpid()}-{i}"
            time.sleep(SETTLE_SECONDS)
            t0 = time.monotonic()
            sh(NETNS, "add", name, *extra)
            samples.append((time.monotonic() - t0) * 1000)
            sh(NETNS, "del", name)
        times[label] = statistics.median(samples)
    return times


def say(what):
    """One line on stderr of what make bench measures now."""
    print(f"bench: {what}", file=sys.stderr)


def chosen(part, what=None):
    """Whether BENCH_ONLY lets @part run; if so, says @what (a part that says its own, none)."""
    if ONLY not in ("", part):
        return False
    if what:
        say(what)
    return True


def main():
    os.environ.setdefault("ROOTLET_STATE_DIR",
                          os.path.join(os.environ["XDG_RUNTIME_DIR"], f"rootlet-bench-{os.getpid()}"))
    iperf_server = subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(IPERF_PORT)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    rows, rr, e2e, fwd, front_run, act, net, bp = [], {}, None, None, None, None, None, None
    churn = rt = dock = None
    try:
        if chosen("slirp", f"slirp, {RUNS} runs of {SECONDS}s each (medians)"):
            bench_slirp(rows, rr)
            e2e = bench_e2e()
            say("rootlet run end to end")
            front_run = bench_run()
        if chosen("churn", "slirp under connection churn"):
            churn = bench_churn()
        if chosen("portfwd", f"portfwd, {RUNS} runs of {SECONDS}s each (medians)"):
            fwd = bench_portfwd()
            say("inbound through socket activation")
            act = bench_activation()
        if chosen("network", "shared networks"):
            net = bench_network()
        if chosen("bypass"):
            bp = bench_bypass(IPERF_PORT)
        if chosen("runtime", "podman through rootlet-runtime"):
            rt = bench_runtime()
        if chosen("docker"):
            dock = bench_docker(IPERF_PORT)
    finally:
        iperf_server.terminate()
        # Whatever a failed step left: every netns of the bench's own state root goes.
        left = sh(NETNS, "list", "--json", check=False).stdout or "[]"
        for entry in json.loads(left):
            sh(NETNS, "del", entry["name"], check=False)
        shutil.rmtree(os.environ["ROOTLET_STATE_DIR"], ignore_errors=True)

    if e2e:
        print_slirp(rows, rr, e2e)
    if churn:
        print_churn(churn)
    if front_run:
        print_run(front_run)
    if fwd:
        print_portfwd(fwd)
    if act:
        print_activation(act)
    if net:
        print_network(net)
    if bp:
        print_bypass(bp)
    if rt:
        print_runtime(rt)
    if dock:
        print_docker(dock)
    if OLD_TOP:
        print_old_new(rows, fwd)


def print_slirp(rows, rr, e2e):
    print()
    print("slirp: iperf3 through the helper, Gbit/s (ratio to slirp4netns)")
    print(f"{'MTU':>5}  {'helper':<20} {'netns->host':>17} {'host->netns':>17} {'ready ms':>9} "
          f"{'RSS KiB':>8} {'anon KiB':>8} {'idle CPU':>8}")
    base = {(m, "n2h"): r["n2h"] for m, label, r in rows if label == "slirp4netns"}
    base.update({(m, "h2n"): r["h2n"] for m, label, r in rows if label == "slirp4netns"})
    for mtu, label, r in rows:
        def cell(key):
            b = base.get((mtu, key)) or 0
            ratio = r[key] / b if b else 0
            return f"{r[key]:6.2f} ({ratio:4.2f}x)"
        print(f"{mtu:>5}  {label:<20} {cell('n2h'):>17} {cell('h2n'):>17} {r['ready']:9.1f} "
              f"{r['rss']:8.0f} {r['anon']:8.0f} {r['idle']:7.1f}%")
    print()
    print("slirp: 64-byte round trips netns -> host loopback, us (ratio to slirp4netns); "
          "'pinned': client, server and helper on CPU 0 alone")
    print(f"{'helper':<20} {'p50':>14} {'p99':>14} {'pinned p50':>14} {'pinned p99':>14}")
    base = rr.get("slirp4netns", {})
    for label, r in rr.items():
        cells = [f"{r[k]:5.1f} ({r[k] / base[k] if base.get(k) else 0:4.2f}x)".rjust(14)
                 for k in ("p50", "p99", "pin50", "pin99")]
        print(f"{label:<20} " + " ".join(cells))
    print()
    print("rootlet-netns end to end, median of %d: add %.1f ms, add --slirp (ready) %.1f ms"
          % (E2E_RUNS, e2e["add"], e2e["add --slirp"]))


def print_old_new(rows, fwd):
    """New tree over old, same run: throughput and connection rate (higher is better)."""
    print()
    print(f"this tree / {OLD_TOP} (same run; > 1: this tree is faster)")
    by = {(m, label): r for m, label, r in rows}
    for mtu in sorted({m for m, _, _ in rows}, reverse=True):
        new, old = by.get((mtu, "rootlet-slirp")), by.get((mtu, "rootlet-slirp (old)"))
        if new and old:
            for key, what in (("n2h", "netns->host"), ("h2n", "host->netns")):
                ratio = new[key] / old[key] if old[key] else 0
                print(f"  rootlet-slirp   MTU {mtu:>5} {what}: {new[key]:6.2f} / "
                      f"{old[key]:6.2f} Gbit/s = {ratio:4.2f}x")
    if fwd and "rootlet-portfwd (old)" in fwd:
        new, old = fwd["rootlet-portfwd"], fwd["rootlet-portfwd (old)"]
        for key, what in (("gbit", "iperf3 Gbit/s"), ("cps", "conn/s")):
            ratio = new[key] / old[key] if old[key] else 0
            print(f"  rootlet-portfwd {what}: {new[key]:8.2f} / {old[key]:8.2f} = {ratio:4.2f}x")


if __name__ == "__main__":
    main()
