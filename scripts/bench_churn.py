"""make bench's churn: short connections from a netns to a host server that closes each at once.

Two rounds of BENCH_CHURN_COUNT connections (10,000), BENCH_CHURN_PARALLEL (50) at a time, from
inside the netns to 127.0.0.1 through the helper's gateway, for rootlet-slirp, slirp4netns and
pasta (and BENCH_OLD_TOP's rootlet-slirp), runs interleaved (BENCH_CHURN_RUNS, 3); medians. Per round: connections that failed and
connections per second, and the helper's open fds at its end; the helper's peak RSS (VmHWM)
and its RSS CHURN_SETTLE_S after the last connection closed.
"""
import os
import shutil
import statistics
import subprocess
import sys
import time

from bench_common import BUILD, NETNS, OLD_TOP, Pasta, Slirpish, binary, env_int, proc_kib, sh

CHURN = os.path.join(BUILD, "tools", "churn")
COUNT = env_int("BENCH_CHURN_COUNT", 10000)
PARALLEL = env_int("BENCH_CHURN_PARALLEL", 50)
CHURN_RUNS = env_int("BENCH_CHURN_RUNS", 3)
CHURN_SETTLE_S = 15
CHURN_PORT = 15203
ROUND_TIMEOUT_S = 300
MTU = 1500


def fds(pid):
    """How many fds @pid has open, as the kernel counts them: the size of /proc/PID/fd (Linux
    6.2), which a stat() reads even of a process that is not dumpable (rootlet-slirp and pasta
    are not), whose fd directory root alone may list (tests/integration/lib.sh's fd_count).
    Before 6.2 that size is 0, and the listing is tried; -1 when neither can be read."""
    try:
        size = os.stat(f"/proc/{pid}/fd").st_size
        return size if size > 0 else len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return -1


def one_run(h, run):
    """Both rounds through helper @h: a dict of its figures."""
    name = f"bench-churn-{os.getpid()}-{run}"
    sh(NETNS, "add", name)
    try:
        pid, _ = h.start(name, MTU)
        r = {"start": proc_kib(pid, "VmRSS")}
        for rnd in (1, 2):
            out = sh(NETNS, "exec", name, "--", CHURN, "connect", h.gateway, str(CHURN_PORT),
                     str(COUNT), str(PARALLEL), check=False, timeout=ROUND_TIMEOUT_S).stdout
            words = out.split()
            try:
                ok, errors, seconds = int(words[1]), int(words[3]), float(words[7])
            except (IndexError, ValueError):
                ok, errors, seconds = 0, COUNT, 0.0
            r[f"err{rnd}"] = errors
            r[f"cps{rnd}"] = COUNT / seconds if seconds else 0.0
            r[f"fds{rnd}"] = fds(pid)
        r["peak"] = proc_kib(pid, "VmHWM")
        time.sleep(CHURN_SETTLE_S)
        r["after"] = proc_kib(pid, "VmRSS")
        h.stop()
        return r
    finally:
        sh(NETNS, "del", name, check=False)


def bench_churn():
    # As the issue ran them (HELPER -c ... tap0), no sandbox.
    helpers = [Slirpish(binary("rootlet-slirp"), "rootlet-slirp", []),
               Slirpish(shutil.which("slirp4netns"), "slirp4netns", []),
               Pasta()]
    if OLD_TOP:
        helpers.insert(1, Slirpish(binary("rootlet-slirp", True), "rootlet-slirp (old)", []))
    server = subprocess.Popen([CHURN, "serve", "127.0.0.1", str(CHURN_PORT)],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    samples = {h.label: [] for h in helpers}
    try:
        time.sleep(0.3)
        for run in range(CHURN_RUNS):
            for h in helpers:
                samples[h.label].append(one_run(h, run))
            print(f"  churn: run {run + 1} of {CHURN_RUNS} done", file=sys.stderr, flush=True)
    finally:
        server.terminate()
        server.wait()
    return {label: {k: statistics.median(s[k] for s in runs) for k in runs[0]}
            for label, runs in samples.items() if runs}


def print_churn(res):
    print()
    print(f"churn: 2 rounds of {COUNT} connections, {PARALLEL} at a time, netns -> a host "
          f"server that closes each at once (median of {CHURN_RUNS})")
    print(f"{'helper':<16} {'errors':>13} {'conn/s':>15} {'2nd/1st':>7} {'fds at end':>13} "
          f"{'peak MiB':>9} {'after MiB':>9}")
    for label, r in res.items():
        ratio = r["cps1"] / r["cps2"] if r["cps2"] else 0
        print(f"{label:<16} {r['err1']:>6.0f} {r['err2']:>6.0f} {r['cps1']:>7.0f} "
              f"{r['cps2']:>7.0f} {ratio:>6.2f}x {r['fds1']:>6.0f} {r['fds2']:>6.0f} "
              f"{r['peak'] / 1024:>9.1f} {r['after'] / 1024:>9.1f}")
    print(f"  ('2nd/1st': the second round's time over the first's; 'after': "
          f"{CHURN_SETTLE_S} s after the last connection closed)")
