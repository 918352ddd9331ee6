#!/usr/bin/env python3
"""Benchmark: `parc-agent collect` against `fusioninventory-inventory` on this machine, in one run.

Prints CPU time (user + system), peak RSS and the zlib-compressed size of one full inventory as each
agent sends it (parc: the protobuf Inventory message; FusionInventory: its XML, which it sends
zlib-compressed), then the three ratios against the targets of issue 3:
CPU <= 1/20, RSS <= 1/6, compressed size <= 1/2.

Usage: bench/agent-vs-fusioninventory.sh (builds the release agent, installs fusioninventory-agent).
"""
import os
import statistics
import subprocess
import sys
import zlib

RUNS = int(os.environ.get("RUNS", "7"))


def measure(argv, stdout_path):
    """Runs argv once under GNU time; returns (cpu seconds, peak RSS KiB, output bytes).

    GNU time, not this Python process, is the parent: the kernel counts the
    parent's memory in a child's peak RSS until exec, and Python's is ~14 MiB.
    CPU comes from wait4 on GNU time, which includes the program it waited
    for, to the microsecond (GNU time itself prints hundredths).
    """
    report = stdout_path + ".time"
    with open(stdout_path, "wb") as out:
        process = subprocess.Popen(["/usr/bin/time", "-o", report, "-f", "%M", *argv],
                                   stdout=out, stderr=subprocess.DEVNULL)
        _, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        sys.exit(f"{argv[0]} failed with status {status}")
    with open(report) as f:
        rss = int(f.read().split()[-1])
    with open(stdout_path, "rb") as f:
        data = f.read()
    return usage.ru_utime + usage.ru_stime, rss, data


def run(name, argv, output_path):
    samples = [measure(argv, output_path) for _ in range(RUNS)]
    cpu = statistics.median(s[0] for s in samples)
    rss = statistics.median(s[1] for s in samples)
    data = samples[-1][2]
    compressed = len(zlib.compress(data, 6))
    print(f"{name:<28} cpu {cpu * 1000:8.1f} ms   peak RSS {rss / 1024:7.1f} MiB   "
          f"inventory {len(data) / 1024:8.1f} KiB -> {compressed / 1024:6.1f} KiB zlib")
    return cpu, rss, compressed, data


def main():
    agent = sys.argv[1]
    tmp = os.environ.get("TMPDIR", "/tmp")
    print(f"runs per tool: {RUNS} (median)")
    parc = run("parc-agent collect", [agent, "collect", "--output", "protobuf"], f"{tmp}/parc-inventory.pb")
    fusion = run("fusioninventory-inventory", ["fusioninventory-inventory"], f"{tmp}/fusion-inventory.xml")
    fusion_packages = fusion[3].count(b"<SOFTWARES>")
    print(f"software entries: fusioninventory {fusion_packages}")
    ratios = [
        ("CPU time", parc[0] / fusion[0], 1 / 20),
        ("peak RSS", parc[1] / fusion[1], 1 / 6),
        ("compressed inventory", parc[2] / fusion[2], 1 / 2),
    ]
    failed = False
    for label, ratio, target in ratios:
        ok = ratio <= target
        failed |= not ok
        print(f"ratio {label:<22} {ratio:6.3f}  (target <= {target:.3f})  {'ok' if ok else 'MISSED'}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
