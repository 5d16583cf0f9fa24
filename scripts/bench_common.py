"""make bench's shared parts: running commands, starting helpers, pinning, measuring."""
import json
import os
import select
import subprocess
import sys
import tempfile
import time

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(TOP, "build")
BENCHCLIENT = os.path.join(BUILD, "benchclient")
NETNS = os.path.join(BUILD, "rootlet-netns")
NETPY = os.path.join(TOP, "tests", "integration", "tools", "net.py")
# BENCH_OLD_TOP: another tree's build (say, the last release's), benched beside this one.
OLD_TOP = os.environ.get("BENCH_OLD_TOP", "")


def env_int(name, default):
    """The whole number in environment variable @name (a BENCH_* knob), or @default."""
    return int(os.environ.get(name, str(default)))


RUNS = env_int("BENCH_RUNS", 5)
SECONDS = env_int("BENCH_SECONDS", 3)
READY_TIMEOUT = 10.0
EXIT_TIMEOUT = 5.0
CPS_SECONDS = 2
PINGPONG_COUNT = 5000
# The CPU that client, server and helper share in the pinned rows, as on a one-vCPU VM.
PIN_CPU = 0


def proc_kib(pid, field="VmRSS"):
    """A /proc/PID/status field in KiB (VmRSS, VmHWM, RssAnon); 0 if it has none."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def print_outbound(out, width):
    """Rows of LABEL: Gbit/s and its ratio to out["loopback (kernel)"], LABEL WIDTH wide."""
    base = out["loopback (kernel)"]
    for label, gbit in out.items():
        print(f"  {label:<{width}} {gbit:7.2f} ({gbit / base if base else 0:4.2f}x)")


def sh(*args, check=True, **kw):
    return subprocess.run(args, check=check, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          text=True, **kw)


def binary(name, old=False):
    return os.path.join(OLD_TOP if old else TOP, "build", name)


def netns_path(name, user=False):
    return sh(NETNS, "path", name, *(["--user"] if user else [])).stdout.strip()


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


def descendants(pids):
    """@pids and every process below them."""
    children = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], list(pids)
    while todo:
        pid = todo.pop()
        out.append(pid)
        todo.extend(children.get(pid, []))
    return out


def pin(pids, cpus):
    """Every thread of @pids and their descendants onto @cpus."""
    for pid in descendants(pids):
        try:
            for tid in os.listdir(f"/proc/{pid}/task"):
                os.sched_setaffinity(int(tid), cpus)
        except OSError:
            pass


def measure(what, host, port, prefix=()):
    """One benchclient measurement: conn/s, or (p50, p99) of round trips in microseconds;
    zeros (and the complaint on stderr) when it fails."""
    amount = CPS_SECONDS if what == "cps" else PINGPONG_COUNT
    r = sh(*prefix, BENCHCLIENT, what, host, str(port), str(amount), check=False)
    try:
        values = [float(v) for v in r.stdout.split()]
        return values[0] if what == "cps" else (values[0], values[1])
    except (ValueError, IndexError):
        print(f"  {what} failed: {r.stderr.strip().splitlines()[-1:]}", file=sys.stderr)
        return 0.0 if what == "cps" else (0.0, 0.0)


def round_trips(host, port, pids, prefix=()):
    """(p50, p99) unpinned, then (p50, p99) with the client and @pids' trees on PIN_CPU."""
    free = measure("pingpong", host, port, prefix)
    everything = os.sched_getaffinity(0)
    pin(pids, {PIN_CPU})
    try:
        pinned = measure("pingpong", host, port, ("taskset", "-c", str(PIN_CPU), *prefix))
    finally:
        pin(pids, everything)
    return free, pinned


class Slirpish:
    """rootlet-slirp or slirp4netns as rootlesskit runs them (from the host, --userns-path),
    with host loopback allowed for the iperf3 server. slirp4netns' sandbox fails in that
    setting, so it runs with seccomp only; rootlet-slirp with both."""

    def __init__(self, path, label, flags):
        self.binary, self.label, self.flags, self.gateway = path, label, flags, "10.0.2.2"

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
