#!/usr/bin/env python3
"""Benchmark: what an agent costs between reports, next to fusioninventory-agent's daemon.

For each agent: start it as its service would run it, wait until its first inventory is done,
then watch it for IDLE seconds (default 30) and print from /proc: the resident set at the end
(VmRSS; of it, RssAnon is the memory the process itself holds, the rest being its program's and
libraries' pages, shared and clean) and its peak over the whole run (VmHWM), the CPU time spent during the idle window, and
the context switches in it (each is a wake-up: a busy loop shows as thousands).

parc-agent runs `run --splay 0s` against a real parc-server (release, fresh database, loopback);
fusioninventory-agent runs `--daemon --no-fork` with a local target (it writes its inventory to a
folder; no GLPI server is needed) and its embedded web server on a free port, as packaged. Its
stored schedule for the local target is reset first, so its first inventory comes at once.

Usage: bench/agent-idle.sh (builds the release agent and server, installs fusioninventory-agent).
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

IDLE = float(os.environ.get("IDLE", "30"))
TICKS = os.sysconf("SC_CLK_TCK")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def proc_status(pid):
    fields = {}
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            fields[key] = value.strip()
    return fields


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        parts = f.read().rsplit(")", 1)[1].split()
    # utime and stime are fields 14 and 15; parts starts at field 3.
    return (int(parts[11]) + int(parts[12])) / TICKS


def switches(pid):
    status = proc_status(pid)
    return int(status["voluntary_ctxt_switches"]) + int(status["nonvoluntary_ctxt_switches"])


def kib(text):
    return int(text.split()[0])


def tree(pid):
    """pid and its descendants (fusioninventory-agent may start helpers)."""
    pids = [pid]
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
            if ppid == pid:
                pids.extend(tree(int(entry)))
    return pids


def watch(name, process, ready):
    deadline = time.time() + 300
    while not ready():
        if process.poll() is not None:
            sys.exit(f"{name} exited with {process.returncode} before its first inventory")
        if time.time() > deadline:
            sys.exit(f"{name}: no first inventory after 5 minutes")
        time.sleep(0.2)
    time.sleep(2)  # let the report's buffers go
    pids = tree(process.pid)
    cpu0 = sum(cpu_seconds(p) for p in pids)
    sw0 = sum(switches(p) for p in pids)
    time.sleep(IDLE)
    cpu1 = sum(cpu_seconds(p) for p in pids)
    sw1 = sum(switches(p) for p in pids)
    rss = sum(kib(proc_status(p)["VmRSS"]) for p in pids)
    anon = sum(kib(proc_status(p)["RssAnon"]) for p in pids)
    hwm = sum(kib(proc_status(p)["VmHWM"]) for p in pids)
    process.terminate()
    process.wait(timeout=30)
    print(f"{name:<24} RSS {rss / 1024:6.1f} MiB (private {anon / 1024:5.1f})   peak {hwm / 1024:6.1f} MiB   "
          f"idle CPU {(cpu1 - cpu0) * 1000:6.0f} ms   wake-ups {sw1 - sw0:6d}   ({len(pids)} process(es))")
    return rss, hwm, cpu1 - cpu0, sw1 - sw0, anon


def main():
    agent, server = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="parc-idle-")
    port, http = free_port(), free_port()
    env = dict(os.environ, PARC_ENROLL_SECRET="bench-enroll-secret-0123", RUST_LOG="info")
    srv = subprocess.Popen([server, "serve", "--db", f"{work}/parc.db", "--listen", f"127.0.0.1:{port}",
                            "--http-listen", f"127.0.0.1:{http}"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    log = open(f"{work}/agent.log", "w+")
    parc = subprocess.Popen([agent, "run", "--server", f"http://127.0.0.1:{port}", "--splay", "0s",
                             "--state-dir", f"{work}/agent"], env=env,
                            stdout=subprocess.DEVNULL, stderr=log)

    def reported():
        log.seek(0)
        return "report sent" in log.read()

    print(f"idle window: {IDLE:.0f} s after the first inventory")
    ours = watch("parc-agent run", parc, reported)
    srv.terminate()
    srv.wait(timeout=30)

    # The same over TLS, as agents beyond the server's own machine report.
    certs = f"{work}/certs"
    subprocess.run([server, "gen-cert", "--dir", certs, "--host", "localhost"], check=True,
                   stdout=subprocess.DEVNULL)
    port = free_port()
    srv = subprocess.Popen([server, "serve", "--db", f"{work}/tls.db", "--listen", f"127.0.0.1:{port}",
                            "--http-listen", f"127.0.0.1:{free_port()}", "--tls-cert", f"{certs}/server.pem",
                            "--tls-key", f"{certs}/server.key"], env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    with open(f"{work}/agent.toml", "w") as config:
        config.write(f"ca_file = '{certs}/ca.pem'\n")
    log.seek(0)
    log.truncate()
    tls = subprocess.Popen([agent, "run", "--config", f"{work}/agent.toml", "--server", f"https://localhost:{port}",
                            "--splay", "0s", "--state-dir", f"{work}/agent-tls"], env=env,
                           stdout=subprocess.DEVNULL, stderr=log)
    watch("parc-agent run (TLS)", tls, reported)
    srv.terminate()
    srv.wait(timeout=30)

    out = f"{work}/fusion"
    os.mkdir(out)
    # Its local target keeps its next run date in its storage: forget it,
    # so that the first inventory comes within --delaytime (1 s).
    shutil.rmtree("/var/lib/fusioninventory-agent/__LOCAL__", ignore_errors=True)
    fusion = subprocess.Popen(["fusioninventory-agent", "--daemon", "--no-fork", "--local", out,
                               "--delaytime", "1", "--httpd-ip", "127.0.0.1",
                               "--httpd-port", str(free_port())],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    theirs = watch("fusioninventory-agent -d", fusion, lambda: len(os.listdir(out)) > 0)

    print()
    print(f"RSS ratio     {ours[0] / theirs[0]:.3f}   (target: parc-agent at most 10 MiB: "
          f"{'met' if ours[0] <= 10 * 1024 else 'NOT met'})")
    print(f"private ratio {ours[4] / theirs[4]:.3f}   (anonymous memory: what the process itself holds)")
    print(f"peak ratio    {ours[1] / theirs[1]:.3f}")
    print(f"idle CPU      {ours[2] * 1000:.0f} ms vs {theirs[2] * 1000:.0f} ms over {IDLE:.0f} s")
    print(f"wake-ups      {ours[3]} vs {theirs[3]} over {IDLE:.0f} s")


if __name__ == "__main__":
    main()
