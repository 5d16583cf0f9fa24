"""make bench, shared networks: container to container on one rootlet-network beside the same
path made by hand (two veths to a bridge) and a plain veth pair between two netns (the kernel
path), alloc's latency (first, warm, the 100th) and
the infra's memory."""
import json
import os
import statistics
import subprocess
import sys
import time

from bench_common import (BENCHCLIENT, BUILD, NETNS, RUNS, SECONDS, measure, netns_path, proc_kib,
                          sh)
from bench_portfwd import IPERF_IN, ECHO_IN, veth_ceiling

NETWORK = os.path.join(BUILD, "rootlet-network")
MANY = 100
EDGE = 5  # allocs at each end of the MANY, for a steadier ratio of last to first warm
VETH_MTU = 1500
SERVER_WAIT = 0.5


def kib(pid, field="VmRSS"):
    """proc_kib(), 0 for a process gone (or not found: pid 0)."""
    try:
        return proc_kib(pid, field)
    except OSError:
        return 0


def pid_of(entry, file):
    try:
        with open(os.path.join(os.environ["ROOTLET_STATE_DIR"], entry, file)) as f:
            return int(f.read().split()[0])
    except (OSError, ValueError, IndexError):
        return 0


def holder_of(entry):
    for e in json.loads(sh(NETNS, "list", "--json").stdout):
        if e["name"] == entry:
            return e["holder_pid"]
    return 0


def alloc(net, cid):
    t0 = time.monotonic()
    out = sh(NETWORK, "alloc", net, cid).stdout
    return (time.monotonic() - t0) * 1000, json.loads(out)["ips"][0]["address"].split("/")[0]


def across(client, server, ip):
    """(Gbit/s, conn/s, (p50, p99)) from netns @client to servers in netns @server at @ip."""
    servers = [subprocess.Popen([NETNS, "exec", server, "--", "iperf3", "-s", "-p", str(IPERF_IN)],
                                stdout=subprocess.DEVNULL),
               subprocess.Popen([NETNS, "exec", server, "--", BENCHCLIENT, "serve", "0.0.0.0",
                                 str(ECHO_IN)], stdout=subprocess.DEVNULL)]
    try:
        time.sleep(SERVER_WAIT)
        out = sh(NETNS, "exec", client, "--", "iperf3", "-c", ip, "-p", str(IPERF_IN), "-t",
                 str(SECONDS), "-J", check=False).stdout
        gbit = json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9
        inside = (NETNS, "exec", client, "--")
        return gbit, measure("cps", ip, ECHO_IN, inside), measure("pingpong", ip, ECHO_IN, inside)
    finally:
        for p in servers:
            p.terminate()
            p.wait()


def container_to_container():
    """(Gbit/s, conn/s, (p50, p99), first alloc ms) from one container to another of one
    network, made for it: its first alloc starts the infra."""
    net = f"bnet{os.getpid()}"
    # The veth pair it is set beside has the kernel's default MTU: so does this network.
    sh(NETWORK, "create", net, "--mtu", str(VETH_MTU))
    try:
        first, _ = alloc(net, f"{net}a")
        _, ip_b = alloc(net, f"{net}b")
        return (*across(f"{net}a", f"{net}b", ip_b), first)
    finally:
        sh(NETWORK, "rm", net, "--force", check=False)


def bridge_ceiling():
    """The kernel's own path of a network, made by hand with ip: two netns, each with a veth
    to a bridge in a third, all in one user namespace."""
    br, a, b = (f"bk{x}-{os.getpid()}" for x in ("br", "a", "b"))
    sh(NETNS, "add", br)
    try:
        for n in (a, b):
            sh(NETNS, "add", n, "--userns", netns_path(br, True))
        pids = {e["name"]: e["holder_pid"] for e in json.loads(sh(NETNS, "list", "--json").stdout)}
        sh(NETNS, "exec", br, "--", "sh", "-c",
           "ip link add b0 type bridge && ip link set b0 up && ip link set lo up && "
           f"ip link add p1 type veth peer name e0 netns {pids[a]} && "
           f"ip link add p2 type veth peer name e0 netns {pids[b]} && "
           "ip link set p1 master b0 && ip link set p2 master b0 && "
           "ip link set p1 up && ip link set p2 up")
        for n, ip in ((a, "10.77.9.1"), (b, "10.77.9.2")):
            sh(NETNS, "exec", n, "--", "sh", "-c",
               f"ip addr add {ip}/24 dev e0 && ip link set e0 up && ip link set lo up")
        return across(a, b, "10.77.9.2")
    finally:
        for n in (a, b, br):
            sh(NETNS, "del", n, check=False)


def allocs_and_memory():
    """alloc's ms: the first (infra start), the warm ones, the MANY-th; the infra's RSS."""
    net = f"bmany{os.getpid()}"
    sh(NETWORK, "create", net)
    try:
        times = [alloc(net, f"{net}-{i}")[0] for i in range(MANY)]
        infra = f"net.{net}"
        parts = {"holder": kib(holder_of(infra)), "slirp": kib(pid_of(infra, "slirp.pid")),
                 "dns": kib(pid_of(infra, "dns.pid"))}
        container = kib(holder_of(f"{net}-1"))
        return times, parts, container
    finally:
        sh(NETWORK, "rm", net, "--force", check=False)


def bench_network():
    res = {"network": [], "bridge (kernel)": [], "veth (kernel)": []}
    for run in range(RUNS):
        res["network"].append(container_to_container())
        res["bridge (kernel)"].append(bridge_ceiling())
        gbit, cps, free, _ = veth_ceiling()
        res["veth (kernel)"].append((gbit, cps, free))
        print(f"  network: run {run + 1} of {RUNS} done", file=sys.stderr, flush=True)
    out = {}
    for k, rows in res.items():
        out[k] = {"gbit": statistics.median(r[0] for r in rows),
                  "cps": statistics.median(r[1] for r in rows),
                  "p50": statistics.median(r[2][0] for r in rows),
                  "p99": statistics.median(r[2][1] for r in rows)}
    times, parts, container = allocs_and_memory()
    # A first alloc is one sample per network: each run's network gives one more.
    firsts = [r[3] for r in res["network"]] + [times[0]]
    out["alloc"] = {"first": statistics.median(firsts), "firsts": firsts,
                    "warm": statistics.median(times[1:]), "second": times[1], "last": times[-1],
                    # The same comparison less at the mercy of one sample: five allocs each.
                    "early": statistics.median(times[1:1 + EDGE]),
                    "late": statistics.median(times[-EDGE:])}
    out["rss"] = parts
    out["container_rss"] = container
    return out


def print_network(res):
    print()
    print(f"rootlet-network: container to container on one network, beside the same path made "
          f"by hand (two veths to a bridge) and a veth pair (the kernel path), all at MTU "
          f"{VETH_MTU}; ratio to the veth")
    base = res["veth (kernel)"]
    print(f"  {'path':<16} {'iperf3 Gbit/s':>16} {'conn/s':>15} {'p50 us':>14} {'p99 us':>14}")
    for k in ("network", "bridge (kernel)", "veth (kernel)"):
        r = res[k]
        cells = [f"{r[m]:{fmt}} ({r[m] / base[m] if base[m] else 0:4.2f}x)".rjust(width)
                 for m, fmt, width in (("gbit", "6.2f", 16), ("cps", "6.0f", 15),
                                       ("p50", "5.1f", 14), ("p99", "5.1f", 14))]
        print(f"  {k:<16} " + " ".join(cells))
    hand = res["bridge (kernel)"]
    print(f"  network vs the bridge made by hand: iperf3 {res['network']['gbit'] / hand['gbit']:.2f}x, "
          f"p50 {res['network']['p50'] / hand['p50']:.2f}x")
    a = res["alloc"]
    print(f"  alloc: first (infra start) median {a['first']:.1f} ms of {len(a['firsts'])} networks "
          f"({' '.join(f'{t:.1f}' for t in a['firsts'])}), warm median {a['warm']:.1f} ms, "
          f"the {MANY}th {a['last']:.1f} ms ({a['last'] / a['second']:.2f}x the first warm); "
          f"median of the last {EDGE} {a['late']:.1f} ms ({a['late'] / a['early']:.2f}x the "
          f"first {EDGE} warm)")
    rss = res["rss"]
    print(f"  infra RSS: {sum(rss.values()) / 1024:.1f} MiB (holder {rss['holder']} KiB, "
          f"slirp {rss['slirp']} KiB, dns {rss['dns']} KiB); each container: its holder, "
          f"{res['container_rss']} KiB")
