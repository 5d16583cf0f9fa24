"""make bench, portfwd: host loopback -> netns through each forwarder, and the kernel's veth."""
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from bench_common import (BENCHCLIENT, NETNS, NETPY, OLD_TOP, RUNS, SECONDS, binary, measure,
                          netns_path, round_trips, sh, start_with_ready, wait_gone)

IPERF_IN = 5201
ECHO_IN = 7000
PORT_WAIT = 10.0
START_ATTEMPTS = 2
METRICS = ("gbit", "cps", "p50", "p99", "pin50", "pin99")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port):
    """Until an echo comes back through the port: the forwarder and the server behind it."""
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

    def pids(self):
        return [p.pid for p in self.procs]

    def stop(self):
        for p in self.procs:
            p.terminate()
            p.wait()
        sh(NETNS, "del", self.name, check=False)


class ChildForwarder:
    """A forwarder that is our child, in front of Servers of its own."""

    def pids(self):
        return [self.proc.pid] + self.servers.pids()

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        self.servers.stop()


class RootletPortfwd(ChildForwarder):
    def __init__(self, old=False):
        self.label = "rootlet-portfwd" + (" (old)" if old else "")
        self.binary = binary("rootlet-portfwd", old)

    def start(self, hp, he):
        self.servers = Servers(f"bpf-{os.getpid()}")
        self.proc, _ = start_with_ready([self.binary, "--netns", self.servers.name, "--publish",
                                         f"127.0.0.1:{hp}:{IPERF_IN}", "--publish",
                                         f"127.0.0.1:{he}:{ECHO_IN}"], "--ready-fd")


class Slirp4netnsFwd(ChildForwarder):
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


class PastaFwd:
    label = "pasta"

    def start(self, hp, he):
        self.servers = Servers(f"bpa-{os.getpid()}")
        self.pidfile = tempfile.mktemp(prefix="rootlet-bench-pasta.")
        name = self.servers.name
        sh("pasta", "--config-net", "-q", "-t", f"127.0.0.1/{hp}:{IPERF_IN},{he}:{ECHO_IN}",
           "-u", "none", "-T", "none", "-U", "none", "-P", self.pidfile, "--userns",
           netns_path(name, True), "--netns", netns_path(name))
        with open(self.pidfile) as f:
            self.pid = int(f.read())

    def pids(self):
        return [self.pid] + self.servers.pids()

    def stop(self):
        os.kill(self.pid, 15)
        wait_gone(self.pid)
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

    def pids(self):
        return [self.proc.pid]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def host_client(f, hp, he):
    out = sh("iperf3", "-c", "127.0.0.1", "-p", str(hp), "-t", str(SECONDS), "-J",
             check=False).stdout
    try:
        gbit = json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9
    except (ValueError, KeyError):
        gbit = 0.0
    cps = measure("cps", "127.0.0.1", he)
    free, pinned = round_trips("127.0.0.1", he, f.pids())
    return gbit, cps, free, pinned


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
        cps = measure("cps", "10.77.8.2", ECHO_IN, inside)
        free, pinned = round_trips("10.77.8.2", ECHO_IN, [p.pid for p in servers], inside)
        return gbit, cps, free, pinned
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


def record(r, gbit, cps, free, pinned):
    for key, value in zip(METRICS, (gbit, cps, *free, *pinned)):
        r[key].append(value)


def bench_portfwd():
    """Runs are interleaved (A, B, C, ..., A, B, C, ...): drift on the two cores spreads over
    every forwarder alike. Medians of each metric."""
    fwds = [RootletPortfwd(), RootlesskitBuiltin(), PastaFwd(), Slirp4netnsFwd()]
    if OLD_TOP:
        fwds.insert(1, RootletPortfwd(old=True))
    labels = [f.label for f in fwds] + ["veth (kernel)"]
    results = {k: {m: [] for m in METRICS} for k in labels}
    for run in range(RUNS):
        for f in fwds:
            print(f"  {f.label}", file=sys.stderr, flush=True)
            hp, he = start_forwarder(f)
            try:
                record(results[f.label], *host_client(f, hp, he))
            finally:
                f.stop()
        record(results["veth (kernel)"], *veth_ceiling())
        print(f"  portfwd: run {run + 1} of {RUNS} done", file=sys.stderr, flush=True)
    return {k: {m: statistics.median(v) for m, v in r.items()} for k, r in results.items()}


def print_portfwd(fwd):
    print()
    print("portfwd: host 127.0.0.1 -> netns through each forwarder (ratios to the best peer)")
    print(f"64-byte round trips in us; 'pinned': client, server and forwarder on CPU 0 alone")
    ours = [k for k in fwd if k.startswith("rootlet-portfwd")]
    peers = [k for k in fwd if k not in ours and k != "veth (kernel)"]
    best = {"gbit": max(fwd[k]["gbit"] for k in peers), "cps": max(fwd[k]["cps"] for k in peers)}
    best.update({m: min(fwd[k][m] for k in peers) for m in ("p50", "p99", "pin50", "pin99")})
    print(f"{'forwarder':<22} {'iperf3 Gbit/s':>15} {'conn/s':>15} {'p50':>14} {'p99':>14} "
          f"{'pinned p50':>14} {'pinned p99':>14}")
    for k, r in fwd.items():
        cells = []
        for m, width, fmt in (("gbit", 15, "6.2f"), ("cps", 15, "6.0f"), ("p50", 14, "5.1f"),
                              ("p99", 14, "5.1f"), ("pin50", 14, "5.1f"),
                              ("pin99", 14, "5.1f")):
            ratio = r[m] / best[m] if best[m] else 0
            cells.append(f"{format(r[m], fmt)} ({ratio:4.2f}x)".rjust(width))
        print(f"{k:<22} " + " ".join(cells))
    veth = fwd["veth (kernel)"]["gbit"]
    print(f"rootlet-portfwd vs the kernel's veth path: "
          f"{fwd['rootlet-portfwd']['gbit'] / veth if veth else 0:.2f}x")
