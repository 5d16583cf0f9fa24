#!/usr/bin/env python3
"""make bench: rootlet's helpers side by side with the tools they replace, in one run.

slirp: iperf3 netns->host and host->netns through rootlet-slirp, slirp4netns and pasta, at MTU
1500 and 65520, each the median of BENCH_RUNS runs of BENCH_SECONDS; ratios to slirp4netns;
each helper's RSS (and its private part, RssAnon), time from start to ready and idle CPU; a new
netns with slirp, end to end.
portfwd: iperf3, short connections per second and the p50 of 64-byte round trips from the
host's loopback into a netns through rootlet-portfwd, rootlesskit's builtin driver, pasta -t
and slirp4netns' add_hostfwd, with a C load client and echo server (build/benchclient), and
across a veth pair without a forwarder as the kernel's own ceiling.
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
BENCHCLIENT = os.path.join(BUILD, "benchclient")
NETNS = os.path.join(BUILD, "rootlet-netns")
SLIRP = os.path.join(BUILD, "rootlet-slirp")
RUNS = int(os.environ.get("BENCH_RUNS", "5"))
SECONDS = int(os.environ.get("BENCH_SECONDS", "3"))
# BENCH_ONLY=slirp or portfwd: one half, while working on it; make bench runs both.
ONLY = os.environ.get("BENCH_ONLY", "")
IPERF_PORT = 15201
IDLE_SECONDS = 2.0
READY_TIMEOUT = 10.0
# Before each start: the previous helper's exit and its netns's teardown (the kernel finishes
# that in a worker, after del returns) are over, so no start pays for the one before it.
SETTLE_SECONDS = 0.1
EXIT_TIMEOUT = 5.0
E2E_RUNS = 20
PORTFWD = os.path.join(BUILD, "rootlet-portfwd")
NETPY = os.path.join(TOP, "tests", "integration", "tools", "net.py")
IPERF_IN = 5201
ECHO_IN = 7000
PORT_WAIT = 10.0
START_ATTEMPTS = 2


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


def wait_gone(pid):
    """Until @pid, a daemon that is not our child, has exited."""
    end = time.monotonic() + EXIT_TIMEOUT
    while time.monotonic() < end:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return
        time.sleep(0.005)


def start_with_ready(argv, flag="-r"):
    """Start a helper with its ready fd (-r FD) on a pipe; return (process, ms to ready)."""
    r, w = os.pipe()
    t0 = time.monotonic()
    p = subprocess.Popen(argv + [flag, str(w)], pass_fds=(w,), stdout=subprocess.DEVNULL,
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
        wait_gone(self.pid)
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
        results = {h.label: {"n2h": [], "h2n": [], "ready": [], "rss": [], "anon": [],
                                "idle": []}
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


def free_port():
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port):
    """Until an echo comes back through the port: the forwarder and the server behind it."""
    import socket
    end = time.monotonic() + PORT_WAIT
    while time.monotonic() < end:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as c:
                c.sendall(b"x")
                if c.recv(1) == b"x":
                    return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"nothing echoes on port {port}")


class Servers:
    """iperf3 and an echo server inside a netns of ours, with an address to forward to."""

    def __init__(self, name):
        self.name = name
        sh(NETNS, "add", name)
        sh(NETNS, "exec", name, "--", "sh", "-c",
           "ip link set lo up && ip addr add 10.77.9.1/32 dev lo")
        self.procs = [subprocess.Popen([NETNS, "exec", name, "--", "iperf3", "-s", "-p",
                                        str(IPERF_IN)], stdout=subprocess.DEVNULL,
                                       stderr=subprocess.DEVNULL),
                      subprocess.Popen([NETNS, "exec", name, "--", BENCHCLIENT, "serve",
                                        "0.0.0.0", str(ECHO_IN)],
                                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)]

    def stop(self):
        for p in self.procs:
            p.terminate()
            p.wait()
        sh(NETNS, "del", self.name, check=False)


class RootletPortfwd:
    label = "rootlet-portfwd"

    def start(self, hp, he):
        self.servers = Servers(f"bpf-{os.getpid()}")
        self.proc, _ = start_with_ready([PORTFWD, "--netns", self.servers.name, "--publish",
                                         f"127.0.0.1:{hp}:{IPERF_IN}", "--publish",
                                         f"127.0.0.1:{he}:{ECHO_IN}"], "--ready-fd")

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.servers.stop()


class Slirp4netnsFwd:
    label = "slirp4netns"

    def start(self, hp, he):
        self.servers = Servers(f"bs4-{os.getpid()}")
        self.api = tempfile.mktemp(prefix="rootlet-bench-api.")
        name = self.servers.name
        self.proc, _ = start_with_ready(["slirp4netns", "--configure", "--mtu=65520",
                                         "--api-socket", self.api, "--netns-type=path",
                                         f"--userns-path={netns_path(name, True)}",
                                         netns_path(name), "tap0"])
        for host, inside in ((hp, IPERF_IN), (he, ECHO_IN)):
            req = json.dumps({"execute": "add_hostfwd", "arguments": {
                "proto": "tcp", "host_addr": "127.0.0.1", "host_port": host,
                "guest_port": inside}})
            sh("python3", NETPY, "api", self.api, req)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.servers.stop()


class PastaFwd:
    label = "pasta"

    def start(self, hp, he):
        self.servers = Servers(f"bpa-{os.getpid()}")
        self.pidfile = tempfile.mktemp(prefix="rootlet-bench-pasta.")
        name = self.servers.name
        sh("pasta", "--config-net", "-q", "-t", f"127.0.0.1/{hp}:{IPERF_IN},{he}:{ECHO_IN}",
           "-u", "none", "-T", "none", "-U", "none", "-P", self.pidfile, "--userns",
           netns_path(name, True), "--netns", netns_path(name))

    def stop(self):
        with open(self.pidfile) as f:
            pid = int(f.read())
        os.kill(pid, 15)
        wait_gone(pid)
        os.unlink(self.pidfile)
        self.servers.stop()


class RootlesskitBuiltin:
    label = "rootlesskit"

    def start(self, hp, he):
        script = f"iperf3 -s -p {IPERF_IN} -D && exec {BENCHCLIENT} serve 0.0.0.0 {ECHO_IN}"
        # --pidns: the daemonized iperf3 goes with rootlesskit's child when the run ends.
        self.proc = subprocess.Popen(["rootlesskit", "--pidns", "--net=slirp4netns",
                                      "--disable-host-loopback",
                                      "--port-driver=builtin", "-p", f"127.0.0.1:{hp}:{IPERF_IN}/tcp",
                                      "-p", f"127.0.0.1:{he}:{ECHO_IN}/tcp", "sh", "-c", script],
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wait_port(he)
        time.sleep(0.3)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def host_client(hp, he):
    out = sh("iperf3", "-c", "127.0.0.1", "-p", str(hp), "-t", str(SECONDS), "-J",
             check=False).stdout
    try:
        gbit = json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9
    except (ValueError, KeyError):
        gbit = 0.0
    return gbit, measure("cps", he), measure("pingpong", he)


CPS_SECONDS = 2
PINGPONG_COUNT = 5000


def measure(what, port, prefix=()):
    """One benchclient measurement; 0 (and its complaint on stderr) when it fails."""
    amount = CPS_SECONDS if what == "cps" else PINGPONG_COUNT
    r = sh(*prefix, BENCHCLIENT, what, "127.0.0.1" if not prefix else "10.77.8.2",
           str(port), str(amount), check=False)
    try:
        return float(r.stdout)
    except ValueError:
        print(f"  {what} failed: {r.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return 0.0


def veth_ceiling():
    """The kernel's own path: a client in one netns, the server across a veth pair."""
    a, b = f"bva-{os.getpid()}", f"bvb-{os.getpid()}"
    sh(NETNS, "add", a)
    sh(NETNS, "add", b, "--userns", netns_path(a, True))
    servers = []
    try:
        holder_b = json.loads(sh(NETNS, "list", "--json").stdout)
        pid_b = [e["holder_pid"] for e in holder_b if e["name"] == b][0]
        sh(NETNS, "exec", a, "--", "sh", "-c",
           f"ip link add v0 type veth peer name v1 && ip link set v1 netns {pid_b} && "
           "ip addr add 10.77.8.1/24 dev v0 && ip link set v0 up && ip link set lo up")
        sh(NETNS, "exec", b, "--", "sh", "-c",
           "ip addr add 10.77.8.2/24 dev v1 && ip link set v1 up && ip link set lo up")
        servers = [subprocess.Popen([NETNS, "exec", b, "--", "iperf3", "-s", "-p",
                                     str(IPERF_IN)], stdout=subprocess.DEVNULL),
                   subprocess.Popen([NETNS, "exec", b, "--", BENCHCLIENT, "serve", "0.0.0.0",
                                     str(ECHO_IN)], stdout=subprocess.DEVNULL)]
        time.sleep(0.5)
        out = sh(NETNS, "exec", a, "--", "iperf3", "-c", "10.77.8.2", "-p", str(IPERF_IN),
                 "-t", str(SECONDS), "-J", check=False).stdout
        gbit = json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9
        inside = (NETNS, "exec", a, "--")
        return gbit, measure("cps", ECHO_IN, inside), measure("pingpong", ECHO_IN, inside)
    finally:
        for p in servers:
            p.terminate()
            p.wait()
        sh(NETNS, "del", b, check=False)
        sh(NETNS, "del", a, check=False)


def start_forwarder(f):
    """Start @f on fresh ports until its echo answers; a failed start is stopped and tried once
    more (rootlesskit's builtin driver has, once in many runs, never forwarded its port)."""
    for attempt in range(START_ATTEMPTS):
        hp, he = free_port(), free_port()
        try:
            f.start(hp, he)
            wait_port(he)
            return hp, he
        except RuntimeError as e:
            try:
                f.stop()
            except Exception:
                pass
            if attempt + 1 == START_ATTEMPTS:
                raise
            print(f"  {f.label}: {e}; starting it again", file=sys.stderr, flush=True)


def bench_portfwd():
    fwds = [RootletPortfwd(), RootlesskitBuiltin(), PastaFwd(), Slirp4netnsFwd()]
    results = {f.label: {"gbit": [], "cps": [], "p50": []} for f in fwds}
    results["veth (kernel)"] = {"gbit": [], "cps": [], "p50": []}
    for run in range(RUNS):
        for f in fwds:
            print(f"  {f.label}", file=sys.stderr, flush=True)
            hp, he = start_forwarder(f)
            try:
                gbit, cps, p50 = host_client(hp, he)
            finally:
                f.stop()
            r = results[f.label]
            r["gbit"].append(gbit)
            r["cps"].append(cps)
            r["p50"].append(p50)
        gbit, cps, p50 = veth_ceiling()
        results["veth (kernel)"]["gbit"].append(gbit)
        results["veth (kernel)"]["cps"].append(cps)
        results["veth (kernel)"]["p50"].append(p50)
        print(f"  portfwd: run {run + 1} of {RUNS} done", file=sys.stderr, flush=True)
    return {k: {m: statistics.median(v) for m, v in r.items()} for k, r in results.items()}


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


def main():
    os.environ.setdefault("ROOTLET_STATE_DIR",
                          os.path.join(os.environ["XDG_RUNTIME_DIR"], f"rootlet-bench-{os.getpid()}"))
    iperf_server = subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(IPERF_PORT)],
                                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(0.3)
    rows, e2e, fwd = [], None, None
    try:
        if ONLY != "portfwd":
            print(f"bench: slirp, {RUNS} runs of {SECONDS}s each (medians)", file=sys.stderr)
            bench_slirp(rows)
            e2e = bench_e2e()
        if ONLY != "slirp":
            print(f"bench: portfwd, {RUNS} runs of {SECONDS}s each (medians)", file=sys.stderr)
            fwd = bench_portfwd()
    finally:
        iperf_server.terminate()
        # Whatever a failed step left: every netns of the bench's own state root goes.
        left = sh(NETNS, "list", "--json", check=False).stdout or "[]"
        for entry in json.loads(left):
            sh(NETNS, "del", entry["name"], check=False)
        shutil.rmtree(os.environ["ROOTLET_STATE_DIR"], ignore_errors=True)

    if e2e:
        print_slirp(rows, e2e)
    if fwd:
        print_portfwd(fwd)


def print_slirp(rows, e2e):
    print()
    print("slirp: iperf3 through the helper, Gbit/s (ratio to slirp4netns)")
    print(f"{'MTU':>5}  {'helper':<14} {'netns->host':>17} {'host->netns':>17} {'ready ms':>9} "
          f"{'RSS KiB':>8} {'anon KiB':>8} {'idle CPU':>8}")
    base = {(m, "n2h"): r["n2h"] for m, label, r in rows if label == "slirp4netns"}
    base.update({(m, "h2n"): r["h2n"] for m, label, r in rows if label == "slirp4netns"})
    for mtu, label, r in rows:
        def cell(key):
            b = base.get((mtu, key)) or 0
            ratio = r[key] / b if b else 0
            return f"{r[key]:6.2f} ({ratio:4.2f}x)"
        print(f"{mtu:>5}  {label:<14} {cell('n2h'):>17} {cell('h2n'):>17} {r['ready']:9.1f} "
              f"{r['rss']:8.0f} {r['anon']:8.0f} {r['idle']:7.1f}%")
    print()
    print("rootlet-netns end to end, median of %d: add %.1f ms, add --slirp (ready) %.1f ms"
          % (E2E_RUNS, e2e["add"], e2e["add --slirp"]))


def print_portfwd(fwd):
    print()
    print("portfwd: host 127.0.0.1 -> netns through each forwarder (ratios to the best peer)")
    peers = [k for k in fwd if k not in ("rootlet-portfwd", "veth (kernel)")]
    best_gbit = max(fwd[k]["gbit"] for k in peers)
    best_cps = max(fwd[k]["cps"] for k in peers)
    best_p50 = min(fwd[k]["p50"] for k in peers)
    print(f"{'forwarder':<16} {'iperf3 Gbit/s':>20} {'conn/s':>16} {'p50 64B RTT us':>20}")
    for k, r in fwd.items():
        print(f"{k:<16} {r['gbit']:8.2f} ({r['gbit'] / best_gbit:4.2f}x)    "
              f"{r['cps']:7.0f} ({r['cps'] / best_cps:4.2f}x) "
              f"{r['p50']:10.1f} ({r['p50'] / best_p50:4.2f}x)")
    print(f"rootlet-portfwd vs the kernel's veth path: "
          f"{fwd['rootlet-portfwd']['gbit'] / fwd['veth (kernel)']['gbit']:.2f}x")


if __name__ == "__main__":
    main()
