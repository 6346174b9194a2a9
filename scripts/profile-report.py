#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Per-function guest instructions of the profiled benchmark runs.

Usage: profile-report.py NAME:SYSTEM_MAP:CONSOLE:EMULOG NAME:...

EMULOG holds the ipte-count plugin's "ipte-count: profile 0xADDR insns I"
lines (profile=N), CONSOLE the guest's "bench: run TYPE THREADS PAGES ..."
lines of the profiled runs. Each block address is charged to the kernel
function of SYSTEM_MAP that contains it ("[user]" below the kernel's text,
"[other]" above it). Prints, per function, the instructions per page of
the runs on each kernel and the difference from the first, largest
difference first, and the totals.
"""
import bisect
import re
import sys

PROFILE = re.compile(r"ipte-count: profile 0x([0-9a-f]+) insns (\d+)")
RUN = re.compile(r"^bench: run \S+ \S+ (\d+) ", re.M)
STEXT = re.compile(r"bench: _stext 0x([0-9a-f]+)")
TEXT = set("TtWw")
SHOWN = 30


def symbols(system_map, stext):
    """Sorted (address, name) of the text symbols where the kernel ran
    (_stext at @stext), and the end of its text."""
    syms, end, offset = [], 0, None
    with open(system_map) as f:
        for line in f:
            addr, kind, name = line.split()[:3]
            if name == "_stext":
                offset = stext - int(addr, 16)
            if name == "_etext":
                end = int(addr, 16)
            if kind in TEXT:
                syms.append((int(addr, 16), name))
    if offset is None:
        sys.exit(f"{system_map}: no _stext")
    syms = sorted((a + offset, n) for a, n in syms)
    return syms, end + offset


def profile(system_map, console, emulog):
    """Instructions per page of the runs, per function."""
    with open(console, errors="replace") as f:
        text = f.read()
    stext = STEXT.search(text)
    if not stext:
        sys.exit(f"{console}: no \"bench: _stext\" line")
    pages = sum(int(m.group(1)) for m in RUN.finditer(text))
    if not pages:
        sys.exit(f"{console}: no profiled run")
    syms, end = symbols(system_map, int(stext.group(1), 16))
    starts = [a for a, _ in syms]
    per_func = {}
    with open(emulog, errors="replace") as f:
        for m in map(PROFILE.search, f):
            if not m:
                continue
            addr, insns = int(m.group(1), 16), int(m.group(2))
            i = bisect.bisect_right(starts, addr) - 1
            if i < 0:
                name = "[user]"
            elif addr >= end:
                name = "[other]"
            else:
                name = syms[i][1]
            per_func[name] = per_func.get(name, 0) + insns
    if not per_func:
        sys.exit(f"{emulog}: no profile (plugin option profile=N)")
    return {k: v / pages for k, v in per_func.items()}, pages


def main(args):
    if len(args) < 2:
        sys.exit(__doc__)
    names, profiles = [], []
    for arg in args:
        name, system_map, console, emulog = arg.split(":")
        prof, pages = profile(system_map, console, emulog)
        names.append(name)
        profiles.append(prof)
        print(f"{name}: {pages} pages in the profiled runs")
    base = profiles[0]
    funcs = set().union(*profiles)

    def delta(f):
        return max(abs(p.get(f, 0) - base.get(f, 0)) for p in profiles)

    head = "".join(f"{n:>10}" for n in names)
    diffs = "".join(f"{'+/- ' + n:>12}" for n in names[1:])
    print(f"\ninstructions per page      {'function':<36}{head}{diffs}")
    rows = sorted(funcs, key=delta, reverse=True)[:SHOWN]
    rows.append("total")
    for f in rows:
        vals = [sum(p.values()) if f == "total" else p.get(f, 0)
                for p in profiles]
        cols = "".join(f"{v:10.2f}" for v in vals)
        ds = "".join(f"{v - vals[0]:+12.2f}" for v in vals[1:])
        print(f"{'':27}{f[:35]:<36}{cols}{ds}")


if __name__ == "__main__":
    main(sys.argv[1:])
