#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""The workbench's results: manifests and the figure check.

usage:
  results.py begin DIR COMMAND          note what a command begins with
  results.py manifest DIR STATUS        write DIR/manifest.json (scripts/results.sh)
  results.py check FILE...              every figure that FILE quotes is in a
                                        committed results file it links to
  results.py quote FILE...              refresh FILE's quoted blocks from
                                        their results files
  results.py doctor FILE OUT            OUT: FILE with its first figure
                                        outside tables changed (a test)

A quoted block is the lines between "<!-- quote: results/.../NAME -->" and
"<!-- end quote -->": a copy of that file, which the check compares with
the file itself.

The figure check reads each FILE (the README, the cover letter) and the
results directories it names (results/<date>-<commit>/...). A table line
must be a line of a results file, character for character; any other
number in the text must be a number of those files, except for the
numbers that name things rather than measure them (NAMES below). A
directory whose manifest says "dirty" (measured with uncommitted changes)
or that git does not track cannot be quoted.
"""
import datetime
import hashlib
import json
import os
import platform
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def git(*args, cwd=REPO):
    try:
        return subprocess.run(["git", "-C", cwd] + list(args), check=True,
                              capture_output=True, text=True).stdout.rstrip("\n")
    except (subprocess.CalledProcessError, FileNotFoundError):
        return None


def first_line(cmd):
    try:
        out = subprocess.run(cmd, capture_output=True, text=True).stdout
    except FileNotFoundError:
        return None
    return out.splitlines()[0] if out else None


def sha256_files(paths):
    h = hashlib.sha256()
    for p in paths:
        with open(p, "rb") as f:
            h.update(f.read())
    return h.hexdigest()


def patches(directory):
    if not os.path.isdir(directory):
        return []
    return sorted(os.path.join(directory, p) for p in os.listdir(directory)
                  if re.match(r"\d{4}-.*\.patch$", p) and not p.startswith("0000-"))


def steps(directory):
    marks = []
    with open(os.path.join(directory, ".steps")) as f:
        for line in f:
            t, _, name = line.rstrip("\n").partition(" ")
            marks.append((int(t), name))
    return marks


def duration(seconds):
    return (f"{seconds // 60} min {seconds % 60} s" if seconds >= 60
            else f"{seconds} s")


def cache_gib(cache):
    """Disk space of the cache (downloads, builds, ccache, QEMU)."""
    if not cache or not os.path.isdir(cache):
        return None
    out = subprocess.run(["du", "-sk", cache], capture_output=True,
                         text=True).stdout.split()
    return round(int(out[0]) / 1048576, 1) if out else None


def begin(directory, command):
    """What the command begins with: written to DIR/.begin, read by
    manifest() when the command exits (the tree may change meanwhile)."""
    series = patches(os.path.join(REPO, "patches"))
    qpatches = patches(os.path.join(REPO, "qemu", "patches"))
    dirty = git("status", "--porcelain", "--untracked-files=no")
    b = {"command": command, "commit": git("rev-parse", "HEAD"),
         "dirty": dirty.splitlines() if dirty else [],
         "series": {"patches": len(series), "sha256": sha256_files(series)},
         "qemu_patches": {"patches": len(qpatches),
                          "sha256": sha256_files(qpatches)}}
    with open(os.path.join(directory, ".begin"), "w") as f:
        json.dump(b, f)


def manifest(directory, status):
    env = os.environ
    marks = steps(directory)
    t0, t1 = marks[0][0], marks[-1][0]
    with open(os.path.join(directory, ".begin")) as f:
        b = json.load(f)
    src = env.get("SRC", "")
    qsrc = os.path.join(env.get("CACHE", ""), "qemu", "src")
    meminfo = open("/proc/meminfo").read()
    mem_kib = int(re.search(r"MemTotal:\s+(\d+)", meminfo).group(1))
    osname = re.search(r'PRETTY_NAME="([^"]*)"', open("/etc/os-release").read())
    knobs = ("BENCH_ONLY", "BENCH_THREADS", "PROFILE", "THREADS", "ON", "SMP",
             "STRESS_SECONDS", "ARCHS", "LMR_BASE_VERSION", "LMR_BASE_TREE",
             "LMR_QEMU_VERSION", "LMR_QEMU_TREE")
    m = {
        "command": b["command"],
        "status": int(status),
        "repository": {"commit": b["commit"], "dirty": b["dirty"]},
        "base": {
            "package": env.get("BASE_PKG"),
            "version": env.get("BASE_VERSION"),
            "tree": git("rev-parse", env.get("BASE_TAG", "") + "^{tree}", cwd=src)
            if src else None,
        },
        "series": b["series"],
        "qemu": {
            "source": env.get("QEMU_VERSION"),
            "tree": git("rev-parse", "base^{tree}", cwd=qsrc),
            "patches": b["qemu_patches"]["patches"],
            "patches_sha256": b["qemu_patches"]["sha256"],
            "stock": first_line(["dpkg-query", "-W", "-f", "${Version}\n",
                                 "qemu-system-misc"]),
        },
        "host": {
            "machine": platform.machine(),
            "kernel": platform.release(),
            "os": osname.group(1) if osname else None,
            "cpus": os.cpu_count(),
            "memory_gib": round(mem_kib / 1048576, 1),
            "gcc_s390x": first_line(["s390x-linux-gnu-gcc", "--version"]),
        },
        "environment": {k: env[k] for k in knobs if env.get(k)},
        "started": datetime.datetime.fromtimestamp(t0, datetime.timezone.utc)
        .isoformat(),
        "wall_seconds": t1 - t0,
        "wall": duration(t1 - t0),
        "cache_gib": cache_gib(env.get("CACHE")),
        "steps": [{"name": name, "seconds": marks[i + 1][0] - t,
                   "wall": duration(marks[i + 1][0] - t)}
                  for i, (t, name) in enumerate(marks[:-1])],
        "files": {},
    }
    for name in sorted(os.listdir(directory)):
        path = os.path.join(directory, name)
        if name.startswith(".") or name == "manifest.json" or not os.path.isfile(path):
            continue
        m["files"][name] = sha256_files([path])
    with open(os.path.join(directory, "manifest.json"), "w") as f:
        json.dump(m, f, indent=2)
        f.write("\n")


# Numbers that name things and measure nothing: versions, the Debian
# release, patch numbers, sizes that are parameters of the benchmark, the
# limits the README promises. Each is a regular expression for the number
# in its context.
NAMES = [
    r"v?7\.3(\.\d+)?", r"Debian \d+", r"QEMU \d+\.\d+", r"\b\d{4}-\d{2}-\d{2}\b",
    r"\d{4}-[a-z][\w.-]*\.patch", r"[Pp]atch(es)? \d+((-| to | and )\d+)?", r"\d+ patches",
    r"-smp \d+", r"\d+ cores?", r"\d+ GiB of", r"\d+ pages?", r"\d+ MiB",
    r"[Ff]acility \d+", r"\d+-entry", r"\d+ entries per",
    r"N passed, N failed", r"x86_64", r"arm64", r"s390x?", r"\bW=1\b",
    r"IPTE-range", r"GPL-2\.0", r"1 MiB", r"\d+ repetitions",
    r"\bs390_\w+", r"results/[\w./-]+", r"\b(?=[0-9a-f]*[a-f])[0-9a-f]{7,40}\b",
    r"\d[\w.:~+-]*(bpo|deb)\d+[\w.+~]*", r"^\s*\d+\.( (to|and) \d+\.)?(?=\s)",
    r"0x[0-9a-f]+", r"\d+ walkers", r"\d+ contiguous",
]
QUOTE = re.compile(r"^<!-- quote: (results/\S+) -->\n(.*?)^<!-- end quote -->$",
                   re.M | re.S)


def quote(name):
    text = open(name).read()

    def body(m):
        with open(os.path.join(REPO, m.group(1))) as f:
            content = f.read()
        return f"<!-- quote: {m.group(1)} -->\n{content}<!-- end quote -->"
    with open(name, "w") as f:
        f.write(QUOTE.sub(body, text))


# A figure: a number with its unit if it is a ratio or a share ("256x",
# "1.33", "7 %"): "16x" is not found in a file that says "16".
NUMBER = re.compile(r"(?<![\w.])\d+(?:[.,]\d+)*(?:x\b|%)?")


def figures_of(text):
    for pat in NAMES:
        # a name never takes part of a longer number ("17.35" is no "7.3")
        text = re.sub(r"(?<![\d.])(?:" + pat + r")(?![\d])", " ", text)
    return [f.rstrip(".,") for f in NUMBER.findall(text)]


def numbers_of(name, content):
    """The figures a results file offers: every number of its tables and
    text; of a manifest only the wall times and the cache's size."""
    if name == "manifest.json":
        m = json.loads(content)
        walls = [m.get("wall", "")] + [s["wall"] for s in m.get("steps", [])]
        content = " ".join(walls + [str(m.get("cache_gib"))])
    elif not name.endswith((".md", ".txt")):
        return set()
    # a TAP line's number counts the checks; it measures nothing
    content = re.sub(r"^(not )?ok \d+ ", "", content, flags=re.M)
    return set(NUMBER.findall(content)) | set(re.findall(r"(?<![\w.])\d+(?:[.,]\d+)*", content))


def cover_text(patch):
    """The cover letter's own text: after the mail headers, before the
    shortlog, the diffstat and the base-commit that git generates."""
    body = patch.split("\n\n", 1)[1] if "\n\n" in patch else ""
    m = re.search(r"^\S.* \(\d+\):$", body, re.M)
    return body[:m.start()] if m else body


def committed(path):
    """The committed content of a file of this repository, or None."""
    rel = os.path.relpath(path, REPO)
    try:
        return subprocess.run(["git", "-C", REPO, "show", f"HEAD:{rel}"],
                              check=True, capture_output=True).stdout
    except subprocess.CalledProcessError:
        return None


RUN_DIR = re.compile(r"results/\d{4}-\d{2}-\d{2}-[0-9a-f]+(?:-dirty)?/[\w-]+")


def load_run(d, problems):
    """The committed files of one results directory, checked against its
    manifest; returns {name: content}."""
    path = os.path.join(REPO, d)
    raw = committed(os.path.join(path, "manifest.json"))
    if raw is None:
        problems.append(f"{d} has no committed manifest.json")
        return {}
    m = json.loads(raw)
    if m["repository"]["dirty"]:
        problems.append(f"{d} was measured with uncommitted changes")
    files = {"manifest.json": raw.decode()}
    for name, digest in m["files"].items():
        content = committed(os.path.join(path, name))
        if content is None:
            problems.append(f"{d}/{name} is not committed")
        elif hashlib.sha256(content).hexdigest() != digest:
            problems.append(f"{d}/{name} differs from what the run wrote")
        else:
            files[name] = content.decode(errors="replace")
    return files


def quoted(text, problems):
    """The results directories TEXT links: their runs, their lines and
    their numbers."""
    lines, numbers = set(), set()
    runs = {d: load_run(d, problems) for d in sorted(set(RUN_DIR.findall(text)))}
    for d, run in runs.items():
        for n, content in run.items():
            lines.update(l.strip() for l in content.splitlines())
            numbers |= numbers_of(n, content)
    return runs, lines, numbers


def check(files):
    bad = 0
    for name in files:
        text = open(name).read()
        if name.endswith(".patch"):
            text = cover_text(text)
        problems = []
        runs, lines, numbers = quoted(text, problems)
        for m in QUOTE.finditer(text):
            d, _, n = m.group(1).rpartition("/")
            if runs.get(d, {}).get(n) != m.group(2):
                problems.append(f"the quote of {m.group(1)} is not that "
                                "committed file")
        for p in problems:
            print(f"{name}: {p}")
        bad += len(problems)
        for i, line in enumerate(text.splitlines(), 1):
            s = line.strip()
            if s.startswith("|") and not re.fullmatch(r"[|:\s-]+", s):
                if s not in lines:
                    print(f"{name}:{i}: table line not in a quoted results file: {s}")
                    bad += 1
                continue
            for fig in figures_of(line):
                if fig not in numbers:
                    print(f"{name}:{i}: figure {fig} not in a quoted results file")
                    bad += 1
    return bad


def doctor(name, out):
    """For the check's own test: a copy of NAME with the first figure of
    its text (outside tables) changed; prints the line number."""
    text = open(name).read()
    _, _, numbers = quoted(text, [])
    lines = text.split("\n")
    for i, line in enumerate(lines):
        if line.strip().startswith(("|", "<!--")):
            continue
        for fig in figures_of(line):
            m = re.search(r"(?<![\w.])" + re.escape(fig), line)
            if not m:
                continue
            # a value that no quoted file has: the last digit changed,
            # or a 9 appended
            num = fig.rstrip("x%")
            unit = fig[len(num):]
            tries = [num[:-1] + str((int(num[-1]) + k) % 10) for k in range(1, 10)]
            new = next((t for t in tries + [num + "9"] if t + unit not in numbers
                        and t not in numbers), None)
            if new is None:
                continue
            lines[i] = line[:m.start()] + new + line[m.start() + len(num):]
            with open(out, "w") as f:
                f.write("\n".join(lines))
            print(i + 1)
            return
    sys.exit(f"{name}: no figure in the text")


def main():
    cmd = sys.argv[1] if len(sys.argv) > 1 else ""
    if cmd == "begin" and len(sys.argv) == 4:
        begin(*sys.argv[2:])
    elif cmd == "manifest" and len(sys.argv) == 4:
        manifest(*sys.argv[2:])
    elif cmd == "doctor" and len(sys.argv) == 4:
        doctor(*sys.argv[2:])
    elif cmd == "quote" and len(sys.argv) > 2:
        for name in sys.argv[2:]:
            quote(name)
    elif cmd == "check" and len(sys.argv) > 2:
        bad = check(sys.argv[2:])
        if bad:
            sys.exit(f"{bad} figures not found in committed results")
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main()
