"""CPU time and memory of a process, read from /proc (Linux; no psutil needed)."""

from __future__ import annotations

import os
from dataclasses import dataclass

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Usage:
    cpu_seconds: float  # user + system, the process and its threads
    rss_mb: float  # resident now
    peak_rss_mb: float  # VmHWM: the highest resident size since the process started


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat", encoding="ascii") as handle:
        # The command name (field 2) may contain spaces; fields after ")" are fixed.
        fields = handle.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime, stime


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) in MiB."""
    rss = hwm = 0.0
    with open(f"/proc/{pid}/status", encoding="ascii") as handle:
        for line in handle:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1]) / 1024
            elif line.startswith("VmHWM:"):
                hwm = int(line.split()[1]) / 1024
    return rss, hwm


def usage(pid: int) -> Usage:
    rss, hwm = memory_mb(pid)
    return Usage(cpu_seconds(pid), rss, hwm)


def steal_seconds() -> float:
    """CPU time the hypervisor gave to other machines, summed over this machine's CPUs."""
    with open("/proc/stat", encoding="ascii") as handle:
        fields = handle.readline().split()  # "cpu user nice system idle iowait irq softirq steal"
    return int(fields[8]) / _TICKS if len(fields) > 8 else 0.0


def load_average() -> tuple[float, float, float]:
    one, five, fifteen = os.getloadavg()
    return one, five, fifteen
