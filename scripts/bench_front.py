"""make bench, the front door: `rootlet run` end to end and its teardown beside the peers' way
to the same, and inbound through socket activation and through a port published by
rootlet-bypass beside the loopback baseline and the forwarders."""
import json
import os
import pwd
import select
import socket
import statistics
import subprocess
import sys
import tempfile
import time

from bench_common import BENCHCLIENT, BUILD, NETNS, RUNS, SECONDS, measure, sh, wait_gone
from bench_portfwd import (PastaFwd, RootlesskitBuiltin, RootletPortfwd, free_port, wait_port)

ROOTLET = os.path.join(BUILD, "rootlet")
USERNSFLOOR = os.path.join(BUILD, "usernsfloor")
RUN_RUNS = 20
SETTLE_SECONDS = 0.1  # the previous netns's kernel teardown is over before the next start
TEARDOWN_POLL = 0.0002
TEARDOWN_LIMIT = 5.0
GUEST_PORT = 80
CMD = "/bin/true"


def state_root():
    return os.environ["ROOTLET_STATE_DIR"]


def rootlet_run(i):
    """(ms from start to CMD's end, ms from there until the netns's entry is gone: del removes
    it last, once the holder, slirp and portfwd have exited)."""
    name = f"brun-{os.getpid()}-{i}"
    t0 = time.monotonic()
    subprocess.run([ROOTLET, "run", "--name", name, "--publish",
                    f"127.0.0.1:{free_port()}:{GUEST_PORT}", "--", CMD], check=True)
    t1 = time.monotonic()
    entry = os.path.join(state_root(), name)
    while os.path.exists(entry) and time.monotonic() - t1 < TEARDOWN_LIMIT:
        time.sleep(TEARDOWN_POLL)
    return (t1 - t0) * 1000, (time.monotonic() - t1) * 1000


def timed(argv):
    """ms for @argv to run, or None when it failed (a peer's rare failed start: not a sample)."""
    t0 = time.monotonic()
    r = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if r.returncode:
        print(f"  {argv[0]} exited {r.returncode}; that run is left out", file=sys.stderr)
        return None
    return (time.monotonic() - t0) * 1000


def subids(path, uid):
    """START COUNT of the first range of the running user in /etc/subuid or /etc/subgid."""
    names = {str(uid), pwd.getpwuid(uid).pw_name}
    with open(path) as f:
        for line in f:
            parts = line.strip().split(":")
            if len(parts) == 3 and parts[0] in names:
                return parts[1], parts[2]
    raise SystemExit(f"bench: no range of uid {uid} in {path}")


def floor_run(i):
    """The floor under any rootless run with subordinate ids: a user namespace and netns,
    mapped by newuidmap and newgidmap, then CMD exec'd in it; no network, nothing of ours."""
    uids = subids("/etc/subuid", os.getuid())
    gids = subids("/etc/subgid", os.getuid())
    return timed([USERNSFLOOR, *uids, *gids, "--", CMD]), None


def pasta_run(i):
    return timed(["pasta", "--config-net", "-q", "-t", f"127.0.0.1/{free_port()}:{GUEST_PORT}",
                  "-u", "none", "-T", "none", "-U", "none", "--", CMD]), None


def rootlesskit_run(i):
    return timed(["rootlesskit", "--net=slirp4netns", "--disable-host-loopback",
                  "--port-driver=builtin", "-p", f"127.0.0.1:{free_port()}:{GUEST_PORT}/tcp",
                  CMD]), None


def slirp4netns_run(i):
    """As a script composes it: unshare makes the namespaces, slirp4netns serves them and
    forwards a port (its API), nsenter runs CMD inside; then both are stopped."""
    t0 = time.monotonic()
    ns = subprocess.Popen(["unshare", "--user", "--map-root-user", "--net", "sleep", "infinity"])
    mine = os.readlink("/proc/self/ns/net")
    while True:
        try:
            if os.readlink(f"/proc/{ns.pid}/ns/net") != mine:
                break
        except OSError:
            pass
        time.sleep(0.0002)
    api = tempfile.mktemp(prefix="rootlet-bench-api.")
    r, w = os.pipe()
    slirp = subprocess.Popen(["slirp4netns", "--configure", "--mtu=65520", "--api-socket", api,
                              "-r", str(w), str(ns.pid), "tap0"], pass_fds=(w,),
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    os.close(w)
    select.select([r], [], [], 10)
    os.read(r, 1)
    os.close(r)
    with socket.socket(socket.AF_UNIX) as c:
        c.connect(api)
        c.sendall(json.dumps({"execute": "add_hostfwd", "arguments": {
            "proto": "tcp", "host_addr": "127.0.0.1", "host_port": free_port(),
            "guest_port": GUEST_PORT}}).encode())
        c.shutdown(socket.SHUT_WR)
        c.recv(4096)
    subprocess.run(["nsenter", "-t", str(ns.pid), "-U", "-n", "--preserve-credentials", CMD],
                   check=True)
    t1 = time.monotonic()
    slirp.terminate()
    ns.terminate()
    slirp.wait()
    ns.wait()
    t2 = time.monotonic()
    os.unlink(api)
    return (t1 - t0) * 1000, (t2 - t1) * 1000


def bench_run():
    """Interleaved: one of each, RUN_RUNS times; medians."""
    ways = (("rootlet run", rootlet_run), ("slirp4netns+unshare+nsenter", slirp4netns_run),
            ("pasta --config-net", pasta_run), ("rootlesskit", rootlesskit_run),
            ("floor (newuidmap'd, no net)", floor_run))
    samples = {label: ([], []) for label, _ in ways}
    for i in range(RUN_RUNS):
        for label, fn in ways:
            time.sleep(SETTLE_SECONDS)
            start, down = fn(i)
            if start is None:
                continue
            samples[label][0].append(start)
            if down is not None:
                samples[label][1].append(down)
    return {label: (statistics.median(s), statistics.median(d) if d else None)
            for label, (s, d) in samples.items()}


def print_run(res):
    print()
    print(f"rootlet run -- {CMD} with slirp and one forward, start to CMD's end, median of "
          f"{RUN_RUNS} (ratio to rootlet run); teardown: CMD's end to everything gone; the floor: "
          f"a user namespace and netns mapped by newuidmap and newgidmap, CMD exec'd in it")
    base = res["rootlet run"][0]
    for label, (start, down) in res.items():
        down_text = f"{down:6.1f} ms" if down is not None else "   (in the run)"
        print(f"  {label:<28} {start:6.1f} ms ({start / base:4.2f}x)   teardown {down_text}")


class Loopback:
    """The baseline: the echo server on the host's loopback, no namespace at all."""
    label = "loopback (no netns)"

    def start(self, hp, he):
        self.proc = subprocess.Popen([BENCHCLIENT, "serve", "127.0.0.1", str(he)])

    def pids(self):
        return [self.proc.pid]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


class RootletRunWay:
    """A server in `rootlet run`: its pid is the run's, and stopping it ends the netns."""

    def pids(self):
        return [self.proc.pid]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()
        wait_gone(self.proc.pid)


class Activated(RootletRunWay):
    """The socket bound on the host, handed to the server inside `rootlet run` as fd 3."""
    label = "socket activation"

    def start(self, hp, he):
        s = socket.socket()
        s.bind(("127.0.0.1", he))
        s.listen(1024)

        def as_fd3():
            os.dup2(s.fileno(), 3)
            os.environ.update(LISTEN_FDS="1", LISTEN_PID=str(os.getpid()))

        self.proc = subprocess.Popen([ROOTLET, "run", "--name", f"bact-{os.getpid()}", "--",
                                      BENCHCLIENT, "serve", "fd", "3"], preexec_fn=as_fd3,
                                     pass_fds=(3,) if s.fileno() == 3 else ())
        s.close()


class Bypassed(RootletRunWay):
    """The server's own bind() of a published port, made on the host's side by rootlet-bypass
    (rootlet run --bypass --publish): clients reach it natively. With host loopback allowed:
    where the kernel refuses the supervisor a socket filter (these VMs), a published TCP bind
    becomes a twin only then, and portfwd serves the port otherwise (SECURITY.md)."""
    label = "rootlet-bypass"

    def start(self, hp, he):
        self.proc = subprocess.Popen([ROOTLET, "run", "--name", f"bbyp-{os.getpid()}", "--bypass",
                                      "--allow-host-loopback", "--publish", f"127.0.0.1:{he}:{GUEST_PORT}", "--",
                                      BENCHCLIENT, "serve", "0.0.0.0", str(GUEST_PORT)])


def bench_activation():
    """Interleaved runs; medians of stream Gbit/s, conn/s and round trips through each."""
    ways = [Loopback(), Activated(), Bypassed(), RootletPortfwd(), PastaFwd(),
            RootlesskitBuiltin()]
    res = {w.label: {"stream": [], "cps": [], "p50": [], "p99": []} for w in ways}
    for run in range(RUNS):
        for w in ways:
            hp, he = free_port(), free_port()
            w.start(hp, he)
            try:
                wait_port(he)
                r = res[w.label]
                out = sh(BENCHCLIENT, "stream", "127.0.0.1", str(he), str(SECONDS),
                         check=False).stdout
                r["stream"].append(float(out or 0))
                r["cps"].append(measure("cps", "127.0.0.1", he))
                p50, p99 = measure("pingpong", "127.0.0.1", he)
                r["p50"].append(p50)
                r["p99"].append(p99)
            finally:
                w.stop()
        print(f"  activation: run {run + 1} of {RUNS} done", file=sys.stderr, flush=True)
    return {k: {m: statistics.median(v) for m, v in r.items()} for k, r in res.items()}


def print_activation(res):
    print()
    print("inbound from the host's loopback: benchclient stream, conn/s, 64-byte round trips "
          "(ratio to the loopback baseline)")
    base = res["loopback (no netns)"]
    print(f"  {'way in':<22} {'stream Gbit/s':>16} {'conn/s':>15} {'p50 us':>14} {'p99 us':>14}")
    for label, r in res.items():
        cells = [f"{r[m]:{fmt}} ({r[m] / base[m] if base[m] else 0:4.2f}x)".rjust(width)
                 for m, fmt, width in (("stream", "6.2f", 16), ("cps", "6.0f", 15),
                                       ("p50", "5.1f", 14), ("p99", "5.1f", 14))]
        print(f"  {label:<22} " + " ".join(cells))
