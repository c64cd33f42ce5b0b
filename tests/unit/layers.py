#!/usr/bin/env python3
"""Include layering of libattune (README, section Architecture).

host/lib is in folders by pipeline stage, core -> io -> dsp -> files -> live -> net -> offline. A
file of a stage may include the attune/ headers of its own stage or an earlier one, never a later
one, and the attune/ headers include each other without a cycle. A header's stage is the folder of
its .c; the few headers without one are placed below by what they declare.

Usage: layers.py SOURCE_ROOT. Prints each violation and exits 1 if there is any."""

import os
import re
import sys

STAGES = ["core", "io", "dsp", "files", "live", "net", "offline"]

# Headers with no .c of the same name, placed by content.
HEADER_STAGE = {
    "wire.h": "io",  # the device's bytes (include/attune/, shared with the firmware)
    "sample.h": "io",  # one decoded sample instant, as sources hand it out
    "session.h": "live",  # the live session: source, engine, sinks
}

# Known violations, each (file, header), while one is being fixed; an entry that no longer occurs
# is reported so it can be deleted. None today.
ALLOWED = set()

INCLUDE = re.compile(r'^\s*#\s*include\s+"attune/([^"]+)"', re.M)


def includes(path):
    with open(path, encoding="utf-8") as f:
        return INCLUDE.findall(f.read())


def header_stages(lib):
    stages = dict(HEADER_STAGE)
    for stage in STAGES:
        for name in os.listdir(os.path.join(lib, stage)):
            if name.endswith(".c"):
                stages[name[:-2] + ".h"] = stage
    return stages


def header_paths(root):
    paths = {}
    for d in ("host/lib/include/attune", "include/attune"):
        for name in sorted(os.listdir(os.path.join(root, d))):
            if name.endswith(".h"):
                paths[name] = os.path.join(d, name)
    return paths


def find_cycle(graph):
    """Returns one cycle as a list of headers (first == last), or None."""
    state = {}  # 1 = on the current path, 2 = done
    path = []

    def visit(h):
        state[h] = 1
        path.append(h)
        for g in graph.get(h, ()):
            if state.get(g) == 1:
                return path[path.index(g):] + [g]
            if g not in state:
                found = visit(g)
                if found:
                    return found
        path.pop()
        state[h] = 2
        return None

    for h in sorted(graph):
        if h not in state:
            found = visit(h)
            if found:
                return found
    return None


def main():
    root = sys.argv[1] if len(sys.argv) > 1 else "."
    lib = os.path.join(root, "host/lib")
    stages = header_stages(lib)
    headers = header_paths(root)

    files = []  # (path relative to root, stage)
    for stage in STAGES:
        for name in sorted(os.listdir(os.path.join(lib, stage))):
            if name.endswith((".c", ".h")):
                files.append((f"host/lib/{stage}/{name}", stage))
    for name, rel in headers.items():
        if name not in stages:
            print(f"{rel}: no stage known (give it a .c or an entry in HEADER_STAGE)")
            return 1
        files.append((rel, stages[name]))

    errors = 0
    seen_allowed = set()
    graph = {}
    for rel, stage in files:
        incs = includes(os.path.join(root, rel))
        if rel in headers.values():
            graph[os.path.basename(rel)] = incs
        for inc in incs:
            if inc not in stages:
                print(f"{rel}: includes attune/{inc} (no such header or no stage known)")
                errors += 1
                continue
            if STAGES.index(stages[inc]) <= STAGES.index(stage):
                continue
            if (rel, inc) in ALLOWED:
                seen_allowed.add((rel, inc))
                continue
            print(f"{rel}: includes attune/{inc} (stage {stages[inc]} > {stage})")
            errors += 1

    cycle = find_cycle(graph)
    if cycle:
        print("include cycle: " + " -> ".join("attune/" + h for h in cycle))
        errors += 1

    for rel, inc in sorted(ALLOWED):
        state = "allowed" if (rel, inc) in seen_allowed else "no longer occurs, delete the entry"
        print(f"note: {rel}: includes attune/{inc} ({state})")

    if errors:
        print(f"{errors} layering violation(s)")
        return 1
    print("layers ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
