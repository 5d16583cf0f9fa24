"""make bench, the bypass (rootlet-bypass): outbound TCP from a netns to the host's loopback
beside the kernel's own path and the user-mode stacks; the cost of a bypassed connect(); the
cost of the filter to a program that makes no socket call. Inbound through a published port
is a row of bench_front's activation table."""
import json
import os
import statistics
import subprocess
import sys
import time

from bench_common import (BENCHCLIENT, NETNS, PIN_CPU, RUNS, SECONDS, Pasta, Slirpish, print_outbound,
                          sh)
from bench_portfwd import free_port

SETTLE_SECONDS = 0.1
CONNECTS = 2000          # connect()s per connect-cost sample
SYSCALL_ROUNDS = 1000000  # rounds of three plain syscalls per sample
FIND_DIR = "/usr"         # a real syscall-heavy program: find over a big tree
FIND_REPEATS = 3


def iperf_gbit(argv):
    out = sh(*argv, check=False).stdout
    try:
        return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9
    except (ValueError, KeyError):
        print(f"  {argv[0]}: iperf3 failed", file=sys.stderr)
        return 0.0


def iperf_args(host, port):
    return ["iperf3", "-c", host, "-p", str(port), "-t", str(SECONDS), "-J"]


def outbound(port):
    """Interleaved runs of iperf3 netns -> the host's loopback through each way; medians."""
    res = {k: [] for k in ("loopback (kernel)", "rootlet-bypass", "rootlet-slirp",
                           "slirp4netns", "pasta", "rootlesskit")}
    for run in range(RUNS):
        res["loopback (kernel)"].append(iperf_gbit(iperf_args("127.0.0.1", port)))
        name = f"bbp-{os.getpid()}-{run}"
        sh(NETNS, "add", name, "--slirp", "--bypass", "--allow-host-loopback")
        try:
            time.sleep(SETTLE_SECONDS)
            res["rootlet-bypass"].append(iperf_gbit(
                [NETNS, "exec", name, "--bypass", "--", *iperf_args("10.0.2.2", port)]))
            res["rootlet-slirp"].append(iperf_gbit(
                [NETNS, "exec", name, "--", *iperf_args("10.0.2.2", port)]))
        finally:
            sh(NETNS, "del", name, check=False)
        for label, helper in (("slirp4netns", Slirpish("/usr/bin/slirp4netns", "slirp4netns",
                                                       ["--enable-seccomp"])),
                              ("pasta", Pasta())):
            name = f"bbq-{os.getpid()}-{run}"
            sh(NETNS, "add", name)
            try:
                time.sleep(SETTLE_SECONDS)
                helper.start(name, 65520)
                res[label].append(iperf_gbit(
                    [NETNS, "exec", name, "--", *iperf_args(helper.gateway, port)]))
                helper.stop()
            finally:
                sh(NETNS, "del", name, check=False)
        res["rootlesskit"].append(iperf_gbit(
            ["rootlesskit", "--net=slirp4netns", "--mtu=65520", *iperf_args("10.0.2.2", port)]))
        print(f"  bypass outbound: run {run + 1} of {RUNS} done", file=sys.stderr, flush=True)
    return {k: statistics.median(v) for k, v in res.items()}


def connect_p50(argv, pin):
    prefix = ["taskset", "-c", str(PIN_CPU)] if pin else []
    out = sh(*prefix, *argv, check=False).stdout.split()
    return float(out[0]) if out else 0.0


def connect_cost():
    """p50 of connect() alone: on the host; bypassed (netns -> 10.0.2.2 -> the host's
    loopback); and, as the floor any seccomp-notify design pays here, a connect() continued
    into the netns with the filter and without it. Unpinned, then with the client and the
    supervisor on one CPU."""
    name = f"bbc-{os.getpid()}"
    port, inner_port = free_port(), free_port()
    host_server = subprocess.Popen([BENCHCLIENT, "serve", "127.0.0.1", str(port)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    sh(NETNS, "add", name, "--slirp", "--bypass", "--allow-host-loopback")
    pidfile = os.path.join(os.environ["ROOTLET_STATE_DIR"], name, "bypass.pid")
    with open(pidfile) as f:
        supervisor = int(f.read().split()[0])
    inner = subprocess.Popen([NETNS, "exec", name, "--", BENCHCLIENT, "serve", "10.0.2.100",
                              str(inner_port)], stdout=subprocess.DEVNULL,
                             stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    everything = os.sched_getaffinity(supervisor)
    res = {}
    try:
        for pin in (False, True):
            if pin:
                os.sched_setaffinity(supervisor, {PIN_CPU})
            samples = {k: [] for k in ("host", "bypassed", "inside", "inside, filtered")}
            for _ in range(RUNS):
                host = [BENCHCLIENT, "connect", "127.0.0.1", str(port), str(CONNECTS)]
                out = [BENCHCLIENT, "connect", "10.0.2.2", str(port), str(CONNECTS)]
                ins = [BENCHCLIENT, "connect", "10.0.2.100", str(inner_port), str(CONNECTS)]
                samples["host"].append(connect_p50(host, pin))
                samples["bypassed"].append(connect_p50(
                    [NETNS, "exec", name, "--bypass", "--", *out], pin))
                samples["inside"].append(connect_p50([NETNS, "exec", name, "--", *ins], pin))
                samples["inside, filtered"].append(connect_p50(
                    [NETNS, "exec", name, "--bypass", "--", *ins], pin))
            res["pinned" if pin else "unpinned"] = {k: statistics.median(v)
                                                    for k, v in samples.items()}
    finally:
        os.sched_setaffinity(supervisor, everything)
        inner.terminate()
        inner.wait()
        host_server.terminate()
        host_server.wait()
        sh(NETNS, "del", name, check=False)
    return res


def find_ms(prefix, empty=False):
    """ms of FIND_DIR's find alone (bash's time: not the exec of rootlet-netns around it),
    under an allow-all filter of its own too with @empty."""
    inner = f"{BENCHCLIENT} empty-filter " if empty else ""
    script = f"TIMEFORMAT=%R; time {inner}find {FIND_DIR} -xdev >/dev/null"
    r = sh(*prefix, "bash", "-c", script, check=False)
    try:
        return float(r.stderr.strip().splitlines()[-1]) * 1000
    except (ValueError, IndexError):
        return 0.0


def filter_cost():
    """A program that makes no socket call, in a netns, without and under the bypass's filter
    (interleaved): find over FIND_DIR (a real syscall-heavy program), and the worst case, a
    loop of the cheapest syscalls: beside an allow-all filter (what any filter costs: the
    kernel's seccomp entry), and with the bypass's filter stacked on an allow-all one (a
    container that has its runtime's profile already)."""
    name = f"bbf-{os.getpid()}"
    sh(NETNS, "add", name, "--slirp", "--bypass")
    plain = [NETNS, "exec", name, "--"]
    under = [NETNS, "exec", name, "--bypass", "--"]
    s = {k: [] for k in ("find", "find, filtered", "find, empty", "find, empty + filtered",
                         "loop", "loop, filtered", "loop, empty", "loop, empty + filtered")}
    try:
        find_ms(plain)  # the tree in the page cache
        for _ in range(RUNS):
            for _ in range(FIND_REPEATS):
                s["find"].append(find_ms(plain))
                s["find, filtered"].append(find_ms(under))
                s["find, empty"].append(find_ms(plain, True))
                s["find, empty + filtered"].append(find_ms(under, True))
            loop = [BENCHCLIENT, "syscalls", str(SYSCALL_ROUNDS)]
            s["loop"].append(float(sh(*plain, *loop).stdout))
            s["loop, filtered"].append(float(sh(*under, *loop).stdout))
            s["loop, empty"].append(float(sh(*plain, *loop, "empty").stdout))
            s["loop, empty + filtered"].append(float(sh(*under, *loop, "empty").stdout))
    finally:
        sh(NETNS, "del", name, check=False)
    return {k: statistics.median(v) for k, v in s.items()}


def bench_bypass(iperf_port):
    print(f"bench: bypass, {RUNS} runs of {SECONDS}s each (medians)", file=sys.stderr)
    res = {"outbound": outbound(iperf_port)}
    print("bench: bypass, connect() cost", file=sys.stderr)
    res["connect"] = connect_cost()
    print("bench: bypass, the filter's cost to other syscalls", file=sys.stderr)
    res["filter"] = filter_cost()
    return res


def print_bypass(res):
    print()
    print("bypass: outbound TCP, iperf3 netns -> host loopback, Gbit/s (ratio to the kernel's "
          "own loopback)")
    print_outbound(res["outbound"], 20)
    print()
    print(f"bypass: connect() p50, us, median of {RUNS} runs of {CONNECTS}; 'inside': to a "
          "server in the netns, continued by the supervisor (the seccomp-notify floor)")
    for mode, r in res["connect"].items():
        print(f"  {mode:<9} host {r['host']:6.1f}  bypassed {r['bypassed']:6.1f} "
              f"(+{r['bypassed'] - r['host']:5.1f})   inside {r['inside']:6.1f}  "
              f"inside, filtered {r['inside, filtered']:6.1f} "
              f"(+{r['inside, filtered'] - r['inside']:5.1f})")
    f = res["filter"]
    print()
    print("bypass: a program without socket calls under the filter (ratio to no filter)")
    print(f"  find {FIND_DIR} -xdev     {f['find']:7.1f} ms, filtered {f['find, filtered']:7.1f} ms "
          f"({f['find, filtered'] / f['find']:5.3f}x); an allow-all filter "
          f"{f['find, empty']:7.1f} ms ({f['find, empty'] / f['find']:5.3f}x); stacked on it "
          f"{f['find, empty + filtered']:7.1f} ms "
          f"({f['find, empty + filtered'] / f['find, empty']:5.3f}x of the allow-all alone)")
    print(f"  3-syscall loop     {f['loop']:7.1f} ns, filtered {f['loop, filtered']:7.1f} ns "
          f"({f['loop, filtered'] / f['loop']:5.3f}x); an allow-all filter "
          f"{f['loop, empty']:7.1f} ns ({f['loop, empty'] / f['loop']:5.3f}x)")
    print(f"  stacked on an allow-all filter (a runtime's profile): "
          f"{f['loop, empty + filtered']:7.1f} ns "
          f"({f['loop, empty + filtered'] / f['loop, empty']:5.3f}x of the allow-all alone)")
