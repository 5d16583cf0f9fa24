#!/usr/bin/env python3
"""make bench: rootlet's helpers side by side with the tools they replace, in one run.

slirp: iperf3 netns->host and host->netns through rootlet-slirp, slirp4netns and pasta, at MTU
1500 and 65520, each the median of BENCH_RUNS runs of BENCH_SECONDS; ratios to slirp4netns;
each helper's RSS, time from start to ready and idle CPU; a new netns with slirp, end to end.
Runs as an unprivileged user; traffic stays on loopback and inside the namespaces it makes.
"""
import json
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, "build")
NETNS = os.path.join(BUILD, "rootlet-netns")
SLIRP = os.path.join(BUILD, "rootlet-slirp")
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
IPERF_PORT = 15201
IDLE_SECONDS = 2.0
READY_TIMEOUT = 10.0
E2E_RUNS = 20


def sh(*args, check=True, **kw):
    return subprocess.run(args, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def netns_path(name, user=False):
    return sh(NETNS, "path", name, *(["--user"] if user else [])).stdout.strip()


def proc_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def idle_cpu_percent(pid):
    hz = os.sysconf("SC_CLK_TCK")
    before = cpu_ticks(pid)
    time.sleep(IDLE_SECONDS)
    return 100.0 * (cpu_ticks(pid) - before) / hz / IDLE_SECONDS


def start_with_ready(argv):
    """Start a slirp4netns-style helper with -r on a pipe; return (process, ms to ready)."""
    r, w = os.pipe()
    t0 = time.monotonic()
    p = subprocess.Popen(argv + ["-r", str(w)], pass_fds=(w,), stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    os.close(w)
    ready, _, _ = select.select([r], [], [], READY_TIMEOUT)
    ms = (time.monotonic() - t0) * 1000
    ok = ready and os.read(r, 1) == b"1"
    os.close(r)
    if not ok:
        p.kill()
        raise RuntimeError(f"{argv[0]} did not become ready")
    return p, ms


class Slirpish:
    """rootlet-slirp or slirp4netns as rootlesskit runs them (from the host, --userns-path),
    with host loopback allowed for the iperf3 server. slirp4netns' sandbox fails in that
    setting, so it runs with seccomp only; rootlet-slirp with both."""

    def __init__(self, binary, label, flags):
        self.binary, self.label, self.flags, self.gateway = binary, label, flags, "10.0.2.2"

    def start(self, name, mtu):
        argv = [self.binary, "--configure", f"--mtu={mtu}", *self.flags, "--netns-type=path",
                f"--userns-path={netns_path(name, True)}", netns_path(name), "tap0"]
        self.proc, ms = start_with_ready(argv)
        return self.proc.pid, ms

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class Pasta:
    """pasta, configuring the netns itself; its gateway address maps to the host's loopback."""
    label = "pasta"

    def start(self, name, mtu):
        self.pidfile = tempfile.mktemp(prefix="rootlet-bench-pasta.")
        t0 = time.monotonic()
        sh("pasta", "--config-net", "-q", "-m", str(mtu), "-t", "none", "-u", "none", "-T",
           "none", "-U", "none", "-P", self.pidfile, "--userns", netns_path(name, True),
           "--netns", netns_path(name))
        ms = (time.monotonic() - t0) * 1000
        with open(self.pidfile) as f:
            self.pid = int(f.read())
        route = sh(NETNS, "exec", name, "--", "ip", "-j", "route", "show", "default").stdout
        self.gateway = json.loads(route)[0]["gateway"]
        return self.pid, ms

    def stop(self):
        os.kill(self.pid, 15)
        os.unlink(self.pidfile)


def iperf(name, gateway, reverse):
    out = sh(NETNS, "exec", name, "--", "iperf3", "-c", gateway, "-p", str(IPERF_PORT), "-t",
             str(SECONDS), "-J", *(["-R"] if reverse else []), check=False).stdout
    try:
        return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9
    except (ValueError, KeyError):
        return 0.0


def bench_slirp(rows):
    """Runs are interleaved (A, B, C, A, B, C, ...) so that drift in what else the two cores
    are doing spreads over every helper alike."""
    helpers = [Slirpish(SLIRP, "rootlet-slirp", ["--enable-sandbox", "--enable-seccomp"]),
               Slirpish(shutil.which("slirp4netns"), "slirp4netns", ["--enable-seccomp"]),
               Pasta()]
    for mtu in (65520, 1500):
        results = {h.label: {"n2h": [], "h2n": [], "ready": [], "rss": [], "idle": []}
                   for h in helpers}
        for run in range(RUNS):
            for h in helpers:
                r = results[h.label]
                name = f"bench-{os.getpid()}-{run}"
                sh(NETNS, "add", name)
                try:
                    pid, ms = h.start(name, mtu)
                    r["ready"].append(ms)
                    r["n2h"].append(iperf(name, h.gateway, False))
                    r["h2n"].append(iperf(name, h.gateway, True))
                    r["rss"].append(proc_kib(pid, "VmRSS"))
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
            t0 = time.monotonic()
            sh(NETNS, "add", name, *extra)
            samples.append((time.monotonic() - t0) * 1000)
            sh(NETNS, "del", name)
        times[label] = statistics.median(samples)
    return times


def main():
    os.environ.setdefault("ROOTLET_STATE_DIR",
                          os.path.join(os.environ["XDG_RUNTIME_DIR"], f"rootlet-bench-{os.getpid()}"))
    iperf_server = subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(IPERF_PORT)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    rows = []
    try:
        print(f"bench: slirp, {RUNS} runs of {SECONDS}s each (medians)", file=sys.stderr)
        bench_slirp(rows)
        e2e = bench_e2e()
    finally:
        iperf_server.terminate()
        shutil.rmtree(os.environ["ROOTLET_STATE_DIR"], ignore_errors=True)

    print()
    print("slirp: iperf3 through the helper, Gbit/s (ratio to slirp4netns)")
    print(f"{'MTU':>5}  {'helper':<14} {'netns->host':>17} {'host->netns':>17} {'ready ms':>9} "
          f"{'RSS KiB':>8} {'idle CPU':>8}")
    base = {(m, "n2h"): r["n2h"] for m, label, r in rows if label == "slirp4netns"}
    base.update({(m, "h2n"): r["h2n"] for m, label, r in rows if label == "slirp4netns"})
    for mtu, label, r in rows:
        def cell(key):
            b = base.get((mtu, key)) or 0
            ratio = r[key] / b if b else 0
            return f"{r[key]:6.2f} ({ratio:4.2f}x)"
        print(f"{mtu:>5}  {label:<14} {cell('n2h'):>17} {cell('h2n'):>17} {r['ready']:9.1f} "
              f"{r['rss']:8.0f} {r['idle']:7.1f}%")
    print()
    print("rootlet-netns end to end, median of %d: add %.1f ms, add --slirp (ready) %.1f ms"
          % (E2E_RUNS, e2e["add"], e2e["add --slirp"]))


if __name__ == "__main__":
    main()
