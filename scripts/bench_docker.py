"""make bench, rootless Docker through rootlet-runtime: outbound TCP from a container of
dockerd-rootless.sh's dockerd to the host's loopback through the bypass (`docker run --runtime
rootlet`, the supervisor `rootlet-bypass --host --engine-pid` beside it in the host's netns)
beside the kernel's own loopback; and a container's start (docker run --rm IMAGE true) with
runc alone, runc added as a runtime the way rootlet is (Docker's own cost of an added runtime),
through the wrapper without the bypass, and with it. Docker's own path to the
host's loopback is none: dockerd-rootless.sh's slirp4netns refuses 10.0.2.2."""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from bench_common import BUILD, RUNS, SECONDS, print_outbound, sh
from bench_bypass import iperf_args, iperf_gbit

DOCKER = "/usr/bin/docker"
DOCKERD_ROOTLESS = "/usr/share/docker.io/contrib/dockerd-rootless.sh"
IMAGE = "localhost/rootlet-bench-bb"
START_RUNS = 15          # docker run --rm IMAGE true, per runtime
RUNC = "/usr/sbin/runc"
# A global option runc takes anyway (its default): Docker writes a wrapper script for any
# runtime given runtimeArgs, and rootlet's entries have them.
ADDED_ARGS = '["--log-format", "text"]'
READY_SECONDS = 60
APPLETS = ("sh", "true", "sleep")


class RootlessDocker:
    """dockerd-rootless.sh with its own data root, exec root and socket; the host supervisor."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="rootlet-bench-docker.")
        self.run = os.path.join(os.environ["XDG_RUNTIME_DIR"], f"dkb{os.getpid()}")
        self.env = dict(os.environ, DOCKER_HOST=f"unix://{self.run}.sock",
                        DOCKER_CONFIG=os.path.join(self.work, ".docker"),
                        PATH="/usr/bin:/usr/sbin:/bin:/sbin")
        self.kit = self.host = None

    def docker(self, *args, check=True):
        return subprocess.run([DOCKER, *args], check=check, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True, env=self.env)

    def start(self):
        rt = os.path.join(BUILD, "rootlet-runtime")
        conf = os.path.join(self.work, "daemon.json")
        with open(conf, "w") as f:
            f.write('{"storage-driver": "vfs", "runtimes": {'
                    f'"rootlet": {{"path": "{rt}", "runtimeArgs": ["--runtime", "runc", '
                    '"--bypass", "--bypass-host-loopback"]}, '
                    f'"rootlet-plain": {{"path": "{rt}", "runtimeArgs": ["--runtime", "runc"]}}, '
                    # runc itself added as rootlet is: what any added runtime costs in Docker
                    f'"runc-added": {{"path": "{RUNC}", "runtimeArgs": {ADDED_ARGS}}}}}}}')
        self.kit = subprocess.Popen(
            [DOCKERD_ROOTLESS, "--data-root", os.path.join(self.work, "dd"), "--exec-root",
             self.run, "-H", self.env["DOCKER_HOST"], "--pidfile", self.run + ".pid",
             "--config-file", conf], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, env=self.env, start_new_session=True)
        deadline = time.monotonic() + READY_SECONDS
        while self.docker("info", check=False).returncode:
            if time.monotonic() > deadline:
                raise RuntimeError("dockerd-rootless.sh did not start")
            time.sleep(0.2)
        with open(self.run + ".pid") as f:
            engine = f.read().strip()
        self.host = subprocess.Popen(
            [os.path.join(BUILD, "rootlet-bypass"), "--host", "--engine-pid", engine],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        api = os.path.join(os.environ["ROOTLET_STATE_DIR"], "bypass@host-%d.sock.api"
                           % os.stat(f"/proc/{engine}/ns/user").st_ino)
        while not os.path.exists(api):
            if time.monotonic() > deadline or self.host.poll() is not None:
                raise RuntimeError("rootlet-bypass --host --engine-pid did not start")
            time.sleep(0.05)
        self.image()

    def image(self):
        root = os.path.join(self.work, "root")
        for d in ("bin", "proc", "sys", "dev", "etc", "tmp", "usr"):
            os.makedirs(os.path.join(root, d))
        shutil.copy("/bin/busybox", os.path.join(root, "bin", "busybox"))
        for a in APPLETS:
            os.symlink("busybox", os.path.join(root, "bin", a))
        os.symlink("usr/lib", os.path.join(root, "lib"))
        os.symlink("usr/lib64", os.path.join(root, "lib64"))
        tar = os.path.join(self.work, "root.tar")
        sh("tar", "-C", root, "--owner=0", "--group=0", "--numeric-owner", "-cf", tar, ".")
        self.docker("import", tar, IMAGE)

    def stop(self):
        ids = self.docker("ps", "-aq", check=False).stdout.split()
        if ids:
            self.docker("rm", "-f", *ids, check=False)
        try:
            with open(self.run + ".pid") as f:
                os.kill(int(f.read().strip()), signal.SIGTERM)
            self.kit.wait(timeout=20)
        except (OSError, ValueError, subprocess.TimeoutExpired):
            pass
        for pid in sh("pgrep", "-u", str(os.getuid()), "-f", "--", self.run + "([/ .]|$)",
                      check=False).stdout.split() + ([str(self.kit.pid)] if self.kit else []):
            sh("pkill", "-KILL", "-P", pid, check=False)
            sh("kill", "-KILL", pid, check=False)
        if self.host:
            try:
                self.host.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.host.terminate()
        sh("chmod", "-R", "u+rwx", self.run, check=False)
        shutil.rmtree(self.run, ignore_errors=True)
        for f in (self.run + ".sock", self.run + ".pid"):
            if os.path.exists(f):
                os.unlink(f)
        # Files of the container's other users are the user's subordinate ids'.
        sh("rootlesskit", "--net=host", "rm", "-rf", self.work, check=False)
        shutil.rmtree(self.work, ignore_errors=True)


def start_ms(d, ways):
    """Interleaved (A, B, C, A, B, C, ...): drift in dockerd or the host spreads over each way
    alike. Each way's median."""
    samples = {label: [] for label, _ in ways}
    for _ in range(START_RUNS):
        for label, runtime in ways:
            t0 = time.monotonic()
            d.docker("run", "--rm", *(["--runtime", runtime] if runtime else []), IMAGE, "true")
            samples[label].append((time.monotonic() - t0) * 1000)
    return {label: statistics.median(v) for label, v in samples.items()}


def bench_docker(iperf_port):
    if not (os.access(DOCKERD_ROOTLESS, os.X_OK) and os.access(DOCKER, os.X_OK)):
        print("bench: docker: docker.io is not installed (make deps installs it)",
              file=sys.stderr)
        return None
    print(f"bench: rootless Docker, {RUNS} runs of {SECONDS}s each (medians)", file=sys.stderr)
    d = RootlessDocker()
    res = {"outbound": {"loopback (kernel)": [], "docker --runtime rootlet": []}}
    try:
        d.start()
        for run in range(RUNS):
            res["outbound"]["loopback (kernel)"].append(
                iperf_gbit(iperf_args("127.0.0.1", iperf_port)))
            res["outbound"]["docker --runtime rootlet"].append(iperf_gbit(
                ["env", "DOCKER_HOST=" + d.env["DOCKER_HOST"],
                 "DOCKER_CONFIG=" + d.env["DOCKER_CONFIG"], DOCKER, "run", "--rm", "--runtime", "rootlet", "-v", "/usr:/usr:ro", IMAGE,
                 *iperf_args("10.0.2.2", iperf_port)]))
            print(f"  docker outbound: run {run + 1} of {RUNS} done", file=sys.stderr,
                  flush=True)
        res["outbound"] = {k: statistics.median(v) for k, v in res["outbound"].items()}
        res["start"] = start_ms(d, (("runc", None), ("runc, added as a runtime", "runc-added"),
                                    ("rootlet-runtime, no bypass", "rootlet-plain"),
                                    ("rootlet-runtime --bypass", "rootlet")))
    finally:
        d.stop()
    return res


def print_docker(res):
    if not res:
        return
    print()
    print("rootless Docker (dockerd-rootless.sh, slirp4netns): outbound TCP, iperf3 container -> "
          "host loopback, Gbit/s (ratio to the kernel's own loopback)")
    print_outbound(res["outbound"], 28)
    print("  (docker's own path: none, its slirp4netns refuses the host's loopback)")
    print()
    print(f"rootless Docker: docker run --rm IMAGE true, ms, median of {START_RUNS} "
          "(ratio to runc alone)")
    base = res["start"]["runc"]
    added = res["start"]["runc, added as a runtime"]
    for label, ms in res["start"].items():
        print(f"  {label:<28} {ms:7.1f} ({ms / base if base else 0:4.2f}x, "
              f"{ms / added if added else 0:4.2f}x of runc added as a runtime)")
