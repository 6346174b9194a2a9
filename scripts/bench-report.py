#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Turn the benchmark's boots into bench.csv, a ratio table and a plot.

usage: bench-report.py OUTDIR KERNEL:QEMU:CONSOLE:EMULATOR-LOG ...

CONSOLE is the guest's console: one "bench: run TYPE THREADS PAGES ALIGNED
REP RESULT" line per marked run, in order (guest/bench.c). EMULATOR-LOG is
QEMU's -D file with the ipte-count plugin (trace=on) and, on our QEMU, the
s390_ipte trace event: the k-th "ipte-count: phase 1 end" line holds the
counts of the k-th run; the s390_ipte lines between its begin and end give
the entries invalidated. Debian's QEMU has no such event and no IPTE-range
facility: there every IPTE invalidates one entry.

Writes OUTDIR/bench.csv (medians over the repetitions), OUTDIR/runs.csv
(every run), OUTDIR/table.md (with the guest instructions per entry
invalidated: the cost of the path per PTE, batched or not),
OUTDIR/targets.md (the targets, met or missed), OUTDIR/headline.md (the
README's table) and OUTDIR/plot.gp (for gnuplot, which draws
OUTDIR/global-iptes.svg).
"""
import collections
import csv
import os
import re
import statistics
import sys

RUN = re.compile(r"bench: run (\S+) (\S+) (\d+) (-?\d+) (\d+) (.*?)\s*$")
END = re.compile(r"ipte-count: phase 1 end \(vcpu (\d+)\)(.*)$")
BEGIN = re.compile(r"ipte-count: phase 1 begin")
TRACE = re.compile(r"s390_ipte .*entries (\d+)")
NOTES = []
FIELDS = ("kernel,qemu,scenario,threads,pages,aligned,ipte_global,"
          "ipte_local,entries,guest_insns").split(",")


def parse(kernel, qemu, console, emulog):
    runs = []
    with open(console, errors="replace") as f:
        for line in f:
            m = RUN.search(line)
            if m:
                runs.append(m.groups())
    counts = []
    entries = None
    with open(emulog, errors="replace") as f:
        for line in f:
            if BEGIN.search(line):
                entries = 0
                continue
            m = TRACE.search(line)
            if m and entries is not None:
                entries += int(m.group(1))
                continue
            m = END.search(line)
            if m:
                kv = m.group(2).split()
                c = dict(zip(kv[0::2], map(int, kv[1::2])))
                c["entries"] = entries
                counts.append(c)
                entries = None
    if len(runs) != len(counts):
        # a boot that was stopped: its last run may lack one of the two
        if abs(len(runs) - len(counts)) > 1:
            sys.exit(f"bench-report: {console}: {len(runs)} runs but "
                     f"{emulog}: {len(counts)} counted runs")
        n = min(len(runs), len(counts))
        runs, counts = runs[:n], counts[:n]
        NOTES.append(f"{kernel} on {qemu} QEMU: the boot was stopped after "
                     f"{n} runs; only those are compared")
    out = []
    for (scen, threads, pages, aligned, rep, result), c in zip(runs, counts):
        ent = c["entries"]
        if qemu == "stock":         # no range IPTE, no trace event
            ent = c["ipte_global"] + c["ipte_local"]
        out.append(dict(kernel=kernel, qemu=qemu, scenario=scen,
                        threads=threads, pages=int(pages),
                        aligned=int(aligned), rep=int(rep), result=result,
                        ipte_global=c["ipte_global"],
                        ipte_local=c["ipte_local"], entries=ent,
                        guest_insns=c["vcpu_insns"]))
    return out


def key(r):
    return (r["scenario"], r["threads"], r["pages"], r["aligned"])


def aggregate(runs):
    groups = collections.OrderedDict()
    for r in runs:
        groups.setdefault((r["kernel"], r["qemu"]) + key(r), []).append(r)
    rows, varying = [], []
    for k, rs in groups.items():
        row = dict(rs[0])
        for f in ("ipte_global", "ipte_local", "entries"):
            if len({r[f] for r in rs}) > 1:
                varying.append((k, f, sorted({r[f] for r in rs})))
            row[f] = statistics.median_low(r[f] for r in rs)
        row["guest_insns"] = int(statistics.median(r["guest_insns"] for r in rs))
        row["reps"] = len(rs)
        row["errors"] = sorted({r["result"] for r in rs} - {"ok"})
        rows.append(row)
    return rows, varying


def ratio(a, b):
    if b == 0:
        return "inf" if a else "="
    return f"{a / b:.2f}"


def per_entry(r):
    """Guest instructions of the run per PTE entry it invalidated."""
    return f"{r['guest_insns'] / r['entries']:.1f}" if r["entries"] else "-"


def fmt_aligned(a):
    return {1: "yes", 0: "no", -1: "-"}[a]


# The headline: the walkers of a multi-threaded process (where every IPTE
# is global) at 4096 pages, 1 MiB-aligned, and vmalloc+vfree.
HEADLINE = (("mprotect", "multi", 1), ("munmap", "multi", 1),
            ("mremap", "multi", 1), ("madv_dontneed", "multi", 1),
            ("fork", "multi", 1), ("vmalloc", "kernel", -1))


def headline(rows):
    by = {(r["kernel"], r["qemu"]) + key(r): r for r in rows}
    out = ["| 4096 pages | global IPTEs v7.3 | series | fewer "
           "| guest insns series/v7.3 | insns per entry v7.3 | series |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for scen, threads, aligned in HEADLINE:
        b = by.get(("v7.3", "ours", scen, threads, 4096, aligned))
        s = by.get(("series", "ours", scen, threads, 4096, aligned))
        if not (b and s):
            continue
        gb, gs = b["ipte_global"], s["ipte_global"]
        what = scen if threads == "kernel" else f"{scen}, {threads}-threaded"
        out.append(f"| {what} | {gb} | {gs} | {gb / max(gs, 1):.0f}x "
                   f"| {ratio(s['guest_insns'], b['guest_insns'])} "
                   f"| {per_entry(b)} | {per_entry(s)} |")
    return out


def table(rows, varying):
    by = {(r["kernel"], r["qemu"]) + key(r): r for r in rows}
    keys = sorted({key(r) for r in rows},
                  key=lambda k: (k[0], k[1], k[2], -k[3]))
    lines = []
    lines.append("| scenario | threads | pages | aligned | global IPTEs v7.3 "
                 "| series | v7.3/series | local v7.3 | series "
                 "| entries v7.3 | series | insns series/v7.3 "
                 "| insns per entry v7.3 | series "
                 "| stock QEMU: insns series/v7.3 | note |")
    lines.append("|" + " --- |" * 4 + " ---: |" * 11 + " --- |")
    for k in keys:
        b = by.get(("v7.3", "ours") + k)
        s = by.get(("series", "ours") + k)
        st = by.get(("series", "stock") + k)
        bst = by.get(("v7.3", "stock") + k) or b
        if not b or not s:
            continue
        note = []
        for r in (b, s, st, bst):
            if r and r["errors"]:
                note.append(f"{r['kernel']}/{r['qemu']}: {', '.join(r['errors'])}")
        lines.append(
            f"| {k[0]} | {k[1]} | {k[2]} | {fmt_aligned(k[3])} "
            f"| {b['ipte_global']} | {s['ipte_global']} "
            f"| {ratio(b['ipte_global'], s['ipte_global'])} "
            f"| {b['ipte_local']} | {s['ipte_local']} "
            f"| {b['entries']} | {s['entries']} "
            f"| {ratio(s['guest_insns'], b['guest_insns'])} "
            f"| {per_entry(b)} | {per_entry(s)} "
            f"| {ratio(st['guest_insns'], bst['guest_insns']) if st else '-'} "
            f"| {'; '.join(note)} |")
    if varying:
        lines.append("")
        lines.append("IPTE counts that differ between repetitions (the "
                     "table shows their median):")
        for k, f, vals in varying:
            lines.append(f"- {' '.join(map(str, k))}: {f} {vals}")
    else:
        lines.append("")
        lines.append("IPTE counts and entries are identical in every "
                     "repetition of every scenario.")
    return lines


# The batched path: the walkers of a multi-threaded process and vmalloc, at
# one table and at 16 tables, 1 MiB-aligned, on our QEMU; the same walkers
# in a single-threaded process take the path that is not batched.
BATCHED = (("mprotect", "multi"), ("munmap", "multi"), ("mremap", "multi"),
           ("madv_dontneed", "multi"), ("madv_free", "multi"),
           ("madv_cold", "multi"), ("fork", "multi"), ("vmalloc", "kernel"))
NOT_BATCHED = tuple((scen, "single") for scen, threads in BATCHED
                    if threads == "multi")


def path_target(by, what, scenarios, limit):
    """The target line: on our QEMU, series/v7.3 guest instructions of
    SCENARIOS at 256 and 4096 pages, aligned, at most LIMIT."""
    over, compared = [], 0
    for scen, threads in scenarios:
        for pages in (256, 4096):
            k = (scen, threads, pages, -1 if threads == "kernel" else 1)
            b, s = by.get(("v7.3", "ours") + k), by.get(("series", "ours") + k)
            if not (b and s):
                continue
            compared += 1
            r = s["guest_insns"] / b["guest_insns"]
            if r > limit:
                over.append(f"{scen} {pages} ({r:.3f}x)")
    verdict = ("no data" if not compared else "met" if not over else
               f"MISSED in {len(over)} of {compared}: " + "; ".join(over))
    return (f"- {what}, 256 and 4096 pages, aligned: guest instructions "
            f"series <= {limit:.2f}x v7.3: {verdict}")


def targets(rows):
    by = {(r["kernel"], r["qemu"]) + key(r): r for r in rows}
    out = ["", "Targets (the walkers: 4096 pages, 1 MiB-aligned, "
           "multi-threaded; fork and faults: 16384 pages):"]
    for scen in ("mprotect", "munmap", "mremap", "madv_dontneed"):
        b = by.get(("v7.3", "ours", scen, "multi", 4096, 1))
        s = by.get(("series", "ours", scen, "multi", 4096, 1))
        if b and s:
            r = b["ipte_global"] / max(s["ipte_global"], 1)
            out.append(f"- {scen}: {b['ipte_global']} -> {s['ipte_global']} "
                       f"global IPTEs, {r:.0f}x fewer (target >= 200x): "
                       f"{'met' if r >= 200 else 'MISSED'}")
    single = [k for k in {key(r) for r in rows if r["threads"] == "single"}
              if by.get(("series", "ours") + k) and by.get(("v7.3", "ours") + k)]
    worse = [k for k in single
             if (by[("series", "ours") + k]["ipte_global"]
                 + by[("series", "ours") + k]["ipte_local"]
                 > by[("v7.3", "ours") + k]["ipte_global"]
                 + by[("v7.3", "ours") + k]["ipte_local"])]
    verdict = ("no data" if not single else "met" if not worse else
               "MISSED in " + str(sorted(worse)))
    out.append(f"- single-threaded, never more IPTEs than v7.3: {verdict}")
    for scen, what in (("fork", "fork of 64 MiB"),
                       ("fault", "first-touch faults of 64 MiB")):
        for threads in ("single", "multi"):
            k = (scen, threads, 16384, 1)
            b, s = by.get(("v7.3", "ours") + k), by.get(("series", "ours") + k)
            if not (b and s):
                continue
            r = s["guest_insns"] / b["guest_insns"]
            if scen == "fork" and threads == "multi":
                # The target is the cost of the test where nothing is
                # batched; here every global IPTE saved counts as one
                # instruction, its quiesce as none.
                out.append(f"- {what}, multi-threaded (batched): guest "
                           f"instructions {r:.3f}x v7.3, global IPTEs "
                           f"{b['ipte_global']} -> {s['ipte_global']} "
                           f"(no target)")
                continue
            out.append(f"- {what}, {threads}-threaded: guest "
                       f"instructions {r:.3f}x v7.3 (target <= 1.01x): "
                       f"{'met' if r <= 1.01 else 'MISSED'}")
    out.append(path_target(by, "batched path (multi-threaded and vmalloc)",
                           BATCHED, 1.00))
    out.append(path_target(by, "path not batched (single-threaded)",
                           NOT_BATCHED, 1.01))
    over, compared = [], 0
    for r in rows:
        if r["kernel"] != "series" or r["qemu"] != "stock":
            continue
        b = by.get(("v7.3", "stock") + key(r)) or by.get(("v7.3", "ours") + key(r))
        compared += b is not None
        if b and r["guest_insns"] > 1.01 * b["guest_insns"]:
            over.append(f"{' '.join(map(str, key(r)))} "
                        f"({r['guest_insns'] / b['guest_insns']:.3f}x)")
    verdict = ("no data" if not compared else "met" if not over else
               f"MISSED in {len(over)} of {compared}: " + "; ".join(over))
    out.append(f"- series on Debian's QEMU (no facility), guest instructions "
               f"<= 1.01x v7.3 in every scenario: {verdict}")
    return out


def plot(outdir, rows):
    """Write plot.dat and plot.gp, or neither if no plotted scenario ran."""
    for name in ("plot.dat", "plot.gp", "global-iptes.svg"):
        if os.path.exists(f"{outdir}/{name}"):
            os.remove(f"{outdir}/{name}")
    scen = ("mprotect", "munmap", "mremap", "madv_dontneed")
    lines = []
    for kernel in ("v7.3", "series"):
        for sc in scen:
            points = sorted((r["pages"], max(r["ipte_global"], 0.8))
                            for r in rows if r["kernel"] == kernel
                            and r["qemu"] == "ours" and r["scenario"] == sc
                            and r["threads"] == "multi" and r["aligned"] == 1)
            if points:
                lines.append((f"{sc}, {kernel}",
                              "dt 2" if kernel == "v7.3" else "dt 1", points))
    if not lines:
        return
    with open(f"{outdir}/plot.dat", "w") as f:
        for title, _, points in lines:
            f.write(f"# {title}\n")
            f.writelines(f"{pages} {iptes}\n" for pages, iptes in points)
            f.write("\n\n")
    with open(f"{outdir}/plot.gp", "w") as f:
        f.write(f"""set terminal svg size 900,600 dynamic
set output '{outdir}/global-iptes.svg'
set title 'Global IPTEs per operation, multi-threaded, 1 MiB-aligned (emulator count)'
set xlabel 'pages'
set ylabel 'global IPTEs'
set logscale xy
set key top left
set grid
""")
        f.write("plot " + ", \\\n     ".join(
            f"'{outdir}/plot.dat' index {i} with linespoints {dash} lw 2 "
            f"title '{title}'" for i, (title, dash, _) in enumerate(lines)) + "\n")


def main():
    outdir = sys.argv[1]
    runs = []
    for spec in sys.argv[2:]:
        kernel, qemu, console, emulog = spec.split(":", 3)
        runs += parse(kernel, qemu, console, emulog)
    rows, varying = aggregate(runs)
    with open(f"{outdir}/runs.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS + ["rep", "result"],
                           extrasaction="ignore")
        w.writeheader()
        w.writerows(runs)
    with open(f"{outdir}/bench.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)
    lines = table(rows, varying) + targets(rows)
    if NOTES:
        lines += [""] + [f"Note: {n}" for n in NOTES]
    with open(f"{outdir}/table.md", "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(f"{outdir}/targets.md", "w") as f:
        f.write("\n".join(targets(rows)[1:]) + "\n")
    with open(f"{outdir}/headline.md", "w") as f:
        f.write("\n".join(headline(rows)) + "\n")
    plot(outdir, rows)


if __name__ == "__main__":
    main()
