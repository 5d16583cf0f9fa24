"""make bench, rootlet-runtime: podman 4.3 rootless through the OCI runtime wrapper, beside
podman's own ways and the kernel's loopback, in one run.

outbound: iperf3 from a container of podman's default network (slirp4netns, host loopback
allowed) to a server on the host's 127.0.0.1, through 10.0.2.2: podman's slirp4netns,
rootlet-slirp as network_cmd_path, and `--runtime rootlet-runtime` with the bypass
(`--annotation io.rootlet.bypass=1 --runtime-flag bypass-host-loopback`); beside iperf3 on the
host's loopback.
inbound: iperf3 from the host's 127.0.0.1 to a server in the container: `-p` through podman's
own rootlessport, and the bypass's published bind (`--runtime-flag bypass-publish=...`).
start: `podman run --rm IMAGE sleep 0` (podman's default network for all three) with crun,
with rootlet-runtime over crun and no bypass, and with the bypass asked.
podman is set up as the engines suite sets it up (tests/engines/lib.sh, engines_setup): the
same tmp_dir, so one pause process, killed at the end as the suite does.
"""
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

from bench_common import RUNS, SECONDS, TOP, binary, sh
from bench_portfwd import free_port

ENG_DIR = os.path.join(os.environ.get("XDG_RUNTIME_DIR", "/run"), "re")  # the engines suite's
IMAGE = "localhost/rootlet-bb"
RUN_OPTS = ["-v", "/usr:/usr:ro"]  # iperf3 and its libraries from the host's /usr
RUNTIME = binary("rootlet-runtime")
IN_PORT = 5201            # the iperf3 server's port inside the container
START_RUNS = 10           # podman run --rm ... true, per way
READY_SECONDS = 15.0      # a detached container's server, or a port, ready
POLL_SECONDS = 0.1
BUSYBOX = "/bin/busybox"


def podman_env(network_cmd_path):
    """The engines suite's containers.conf and storage.conf, with this network_cmd_path."""
    for d in ("tmp", "run", "bench-helpers"):
        os.makedirs(os.path.join(ENG_DIR, d), exist_ok=True)
    graph = os.path.join(os.environ["HOME"], ".rootlet-engines")
    os.makedirs(graph, exist_ok=True)
    label = os.path.basename(network_cmd_path)
    conf = os.path.join(ENG_DIR, f"bench-{label}.conf")
    with open(conf, "w") as f:
        f.write(f'[engine]\ncgroup_manager = "cgroupfs"\nevents_logger = "file"\n'
                f'network_cmd_path = "{network_cmd_path}"\n'
                f'tmp_dir = "{os.path.join(ENG_DIR, "tmp")}"\n')
    storage = os.path.join(ENG_DIR, "storage.conf")
    with open(storage, "w") as f:
        f.write(f'[storage]\ndriver = "vfs"\nrunroot = "{os.path.join(ENG_DIR, "run")}"\n'
                f'graphroot = "{graph}"\nrootless_storage_path = "{graph}"\n')
    helpers = os.path.join(ENG_DIR, "bench-helpers")
    link = os.path.join(helpers, "rootlessport")
    if not os.path.islink(link):
        os.symlink("/usr/lib/podman/rootlessport", link)  # podman's own
    return dict(os.environ, CONTAINERS_CONF=conf, CONTAINERS_STORAGE_CONF=storage,
                CONTAINERS_HELPER_BINARY_DIR=helpers)


def ensure_image(env):
    """The engines suite's image: busybox-static, /lib and /lib64 leading into /usr."""
    if sh("podman", "image", "exists", IMAGE, env=env, check=False).returncode == 0:
        return
    with tempfile.TemporaryDirectory() as d:
        root = os.path.join(d, "rootfs")
        for sub in ("bin", "proc", "sys", "dev", "etc", "tmp", "usr"):
            os.makedirs(os.path.join(root, sub))
        shutil.copy(BUSYBOX, os.path.join(root, "bin", "busybox"))
        for applet in ("sh", "sleep"):
            os.symlink("busybox", os.path.join(root, "bin", applet))
        os.symlink("usr/lib", os.path.join(root, "lib"))
        os.symlink("usr/lib64", os.path.join(root, "lib64"))
        tar = os.path.join(d, "rootfs.tar")
        with tarfile.open(tar, "w") as t:
            t.add(root, arcname=".")
        sh("podman", "import", "-q", tar, IMAGE, env=env)


def gbit(out):
    try:
        return json.loads(out)["end"]["sum_received"]["bits_per_second"] / 1e9
    except (ValueError, KeyError):
        return 0.0


def iperf_client(host, port):
    return ["iperf3", "-c", host, "-p", str(port), "-t", str(SECONDS), "-J"]


def wrapper(*flags):
    """podman's global options naming rootlet-runtime and passing it @flags."""
    return ["--runtime", RUNTIME, *(a for fl in flags for a in ("--runtime-flag", fl))]


ASK = ["--annotation", "io.rootlet.bypass=1"]  # a run option


def outbound(envs, port):
    """Interleaved runs; each way's median."""
    ways = {
        "loopback (kernel)": None,
        "podman, slirp4netns": (envs["slirp4netns"], [], []),
        "podman, rootlet-slirp": (envs["rootlet-slirp"], [], []),
        "podman + rootlet-runtime bypass": (envs["slirp4netns"], wrapper("bypass-host-loopback"),
                                            ASK),
    }
    res = {k: [] for k in ways}
    for _ in range(RUNS):
        for label, way in ways.items():
            if way is None:
                res[label].append(gbit(sh(*iperf_client("127.0.0.1", port), check=False).stdout))
                continue
            env, pre, post = way
            out = sh("podman", *pre, "run", "--rm", *post,
                     "--network", "slirp4netns:allow_host_loopback=true", *RUN_OPTS, IMAGE,
                     *iperf_client("10.0.2.2", port), env=env, check=False)
            res[label].append(gbit(out.stdout))
            if not res[label][-1]:
                print(f"  {label}: {out.stderr.strip()[-200:]}", file=sys.stderr)
    return {k: statistics.median(v) for k, v in res.items()}


def wait_port(port):
    end = time.monotonic() + READY_SECONDS
    while time.monotonic() < end:
        if sh("ss", "-Hltn", f"src 127.0.0.1 and sport = :{port}", check=False).stdout.strip():
            return True
        time.sleep(POLL_SECONDS)
    return False


def inbound_once(env, pre, post, hport):
    """One iperf3 run from the host into a detached container's server; 0 if it failed."""
    name = f"bench-rt-{os.getpid()}-{hport}"
    sh("podman", *pre, "run", "-d", "--name", name, "--network", "slirp4netns", *post,
       *RUN_OPTS, IMAGE, "iperf3", "-s", "-1", "-p", str(IN_PORT), env=env, check=False)
    try:
        if not wait_port(hport):
            return 0.0
        end = time.monotonic() + READY_SECONDS
        while time.monotonic() < end:  # the port listens before the server in the container
            g = gbit(sh(*iperf_client("127.0.0.1", hport), check=False).stdout)
            if g:
                return g
            time.sleep(POLL_SECONDS)
        return 0.0
    finally:
        sh("podman", "rm", "-f", "-t", "0", name, env=env, check=False)


def inbound(envs, loop_port):
    env = envs["slirp4netns"]
    res = {"loopback (kernel)": [], "podman -p (rootlessport)": [],
           "podman + rootlet-runtime bypass publish": []}
    for _ in range(RUNS):
        res["loopback (kernel)"].append(
            gbit(sh(*iperf_client("127.0.0.1", loop_port), check=False).stdout))
        hp = free_port()
        res["podman -p (rootlessport)"].append(
            inbound_once(env, [], ["-p", f"127.0.0.1:{hp}:{IN_PORT}"], hp))
        hp = free_port()
        pre = wrapper("bypass-host-loopback", f"bypass-publish=127.0.0.1:{hp}:{IN_PORT}")
        res["podman + rootlet-runtime bypass publish"].append(inbound_once(env, pre, ASK, hp))
    return {k: statistics.median(v) for k, v in res.items()}


def start_times(envs):
    env = envs["slirp4netns"]
    ways = {"crun": (["--runtime", "crun"], []),
            "rootlet-runtime over crun": (wrapper("runtime=crun"), []),
            "rootlet-runtime over crun, bypass": (wrapper("runtime=crun"), ASK)}
    res = {k: [] for k in ways}
    for _ in range(START_RUNS):
        for label, (pre, post) in ways.items():
            t = time.monotonic()
            out = sh("podman", *pre, "run", "--rm", *post, "--network", "slirp4netns", IMAGE, "sleep",
                     "0", env=env, check=False)
            if out.returncode == 0:
                res[label].append((time.monotonic() - t) * 1000)
            else:
                print(f"  start, {label}: {out.stderr.strip()[-200:]}", file=sys.stderr)
    return {k: statistics.median(v) if v else 0.0 for k, v in res.items()}


def bench_runtime():
    if not shutil.which("podman") or not shutil.which("iperf3"):
        print("runtime: skipped (podman or iperf3 is not installed)", file=sys.stderr)
        return None
    envs = {"slirp4netns": podman_env(shutil.which("slirp4netns") or "/usr/bin/slirp4netns"),
            "rootlet-slirp": podman_env(binary("rootlet-slirp"))}
    ensure_image(envs["slirp4netns"])
    port, loop_port = free_port(), free_port()
    servers = [subprocess.Popen(["iperf3", "-s", "-B", "127.0.0.1", "-p", str(p)],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
               for p in (port, loop_port)]
    time.sleep(POLL_SECONDS * 5)
    try:
        return {"outbound": outbound(envs, port), "inbound": inbound(envs, loop_port),
                "start": start_times(envs)}
    finally:
        for s in servers:
            s.terminate()
            s.wait()
        pause = os.path.join(ENG_DIR, "tmp", "pause.pid")
        if os.path.exists(pause):
            with open(pause) as f:
                sh("kill", f.read().strip(), check=False)


def print_runtime(r):
    if not r:
        return
    for part, unit in (("outbound", "Gbit/s"), ("inbound", "Gbit/s")):
        base = r[part]["loopback (kernel)"]
        print(f"\nrootlet-runtime, podman {part} TCP (iperf3, {SECONDS} s, median of {RUNS}):")
        print(f"  {'way':42} {unit:>8} {'x loopback':>11}")
        for label, g in r[part].items():
            ratio = g / base if base else 0.0
            print(f"  {label:42} {g:8.2f} {ratio:10.2f}x")
    base = r["start"]["crun"]
    print(f"\nrootlet-runtime, podman run --rm IMAGE sleep 0 (podman's slirp4netns, median of "
          f"{START_RUNS}):")
    print(f"  {'way':42} {'ms':>8} {'x crun':>11}")
    for label, ms in r["start"].items():
        ratio = ms / base if base else 0.0
        print(f"  {label:42} {ms:8.0f} {ratio:10.2f}x")
