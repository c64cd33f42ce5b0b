#!/usr/bin/env python3
"""The production C functions longer than N lines (default 80), longest first, and their count.

usage: tools/long_functions.py [ROOT] [N]     (ROOT: the repository, default: this one)
A definition is a line at column 0 holding '(' followed by a body whose braces sit at column 0
(the .clang-format layout); the length runs from that line to the closing brace.
"""
import os
import re
import sys

N = int(sys.argv[2]) if len(sys.argv) > 2 else 80
root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")
out = []
for d in ("host", "firmware", "tools", "include"):
    for dp, _, fs in os.walk(os.path.join(root, d)):
        for f in fs:
            if not f.endswith(".c"):
                continue
            p = os.path.join(dp, f)
            lines = open(p, errors="replace").read().split("\n")
            start = None
            for i, l in enumerate(lines):
                if l.startswith("{") and start is None:
                    j = i - 1
                    while j > 0 and not re.match(r"^[A-Za-z_].*\(", lines[j]):
                        j -= 1
                    if not lines[j].startswith(("static const", "const struct")) or "(" in lines[j]:
                        start = j
                        name = re.findall(r"([A-Za-z_0-9]+)\s*\(", lines[j])
                        name = name[0] if name else "?"
                elif l.startswith("}") and start is not None:
                    n = i - start + 1
                    if n > N and "=" not in lines[start]:
                        out.append((n, os.path.relpath(p, root), name))
                    start = None
for n, p, name in sorted(out, reverse=True):
    print(f"{n:4d} {p} {name}")
print(len(out), "functions over", N, "lines")
