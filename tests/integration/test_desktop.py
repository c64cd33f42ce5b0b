#!/usr/bin/python3
"""Desktop integration: the launcher, icon, udev rule and man page are valid and get installed.

  test_desktop.py valid DATA ATTUNE
      attune.desktop passes desktop-file-validate with nothing to say and launches `attune app`;
      the icon is an SVG of its own name; the udev rule gives the Arduino boards to dialout and
      keeps ModemManager away; attune.1 renders without a warning (groff -ww, man --warnings)
      and has a section for every command `attune --help` lists, plus app, history, journal and
      room (the contract's commands).
  test_desktop.py install MESON BUILD PREFIX DATADIR MANDIR UDEVRULESDIR
      `meson install --destdir` puts attune, attune.desktop, the icon, the rule and attune.1
      where a desktop, udev and man look for them, and the installed launcher still validates.
"""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

failures = 0
CONTRACT_COMMANDS = ["app", "history", "journal", "room"]


def check(cond, what):
    global failures
    if not cond:
        failures += 1
        print("FAIL: " + what, file=sys.stderr)


def need(tool, package):
    path = shutil.which(tool)
    if not path:
        print(f"{tool} is missing: apt-get install {package} (tools/run installs it)",
              file=sys.stderr)
        sys.exit(1)
    return path


def validate_desktop(path):
    r = subprocess.run([need("desktop-file-validate", "desktop-file-utils"), path],
                       capture_output=True, text=True)
    said = (r.stdout + r.stderr).strip()
    check(r.returncode == 0 and said == "", f"desktop-file-validate {path}: {r.returncode} {said!r}")
    entry = {}
    for line in open(path, encoding="utf-8"):
        if "=" in line and not line.startswith("#"):
            k, v = line.rstrip("\n").split("=", 1)
            entry[k] = v
    check(entry.get("Exec", "").split()[:2] == ["attune", "app"],
          f"the launcher opens 'attune app': Exec={entry.get('Exec')!r}")
    check(entry.get("Icon") == "attune" and entry.get("Terminal") == "false",
          f"Icon={entry.get('Icon')!r} Terminal={entry.get('Terminal')!r}")
    print(f"{path}: valid, Exec={entry.get('Exec')}")


def check_icon(path):
    root = ET.parse(path).getroot()
    check(root.tag == "{http://www.w3.org/2000/svg}svg", f"{path} is not an SVG: {root.tag}")
    box = root.get("viewBox", "").split()
    check(len(box) == 4 and box[2] == box[3], f"{path}: a square viewBox, not {box}")
    check(os.path.basename(path) == "attune.svg", "the icon is named after Icon=attune")


def check_udev(path):
    pair = re.compile(r'\s*([A-Za-z_]+(?:\{[^}]*\})?)\s*(==|!=|=|\+=|-=|:=)\s*"([^"]*)"\s*(,|$)')
    rules = []
    for n, line in enumerate(open(path), 1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        keys, pos = {}, 0
        while pos < len(line):
            m = pair.match(line, pos)
            if not m:
                check(False, f"{path}:{n}: not a udev rule at column {pos + 1}: {line!r}")
                break
            keys[m.group(1)] = (m.group(2), m.group(3))
            pos = m.end()
        rules.append(keys)
    boards = [k for k in rules if "ATTRS{idVendor}" in k]
    vendors = {k["ATTRS{idVendor}"][1] for k in boards}
    check({"2341", "2a03", "1a86"} <= vendors, f"Arduino (2341, 2a03) and CH340 (1a86) in {vendors}")
    for k in boards:
        check(k.get("GROUP") == ("=", "dialout") and
              k.get("ENV{ID_MM_DEVICE_IGNORE}") == ("=", "1"),
              f"every board rule gives dialout and tells ModemManager to keep away: {k}")
    check(os.path.basename(path)[:2] < "77",
          "numbered before ModemManager's rules (77-mm-*), which read ID_MM_DEVICE_IGNORE")
    print(f"{path}: {len(boards)} board rules, vendors {sorted(vendors)}")


def check_man(path, attune):
    r = subprocess.run([need("groff", "groff-base"), "-man", "-ww", "-z", path],
                       capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr == "", f"groff -man -ww: {r.returncode} {r.stderr!r}")
    if shutil.which("man"):
        r = subprocess.run(["man", "--warnings", "-l", path], capture_output=True, text=True,
                           env=dict(os.environ, MANWIDTH="80", MAN_KEEP_FORMATTING="0"))
        check(r.returncode == 0 and r.stderr == "" and "attune analyze" in r.stdout,
              f"man --warnings -l: {r.returncode} {r.stderr!r}")
    text = open(path, encoding="ascii").read()  # plain ASCII: renders alike everywhere
    listed = subprocess.run([attune, "--help"], capture_output=True, text=True).stdout
    commands = re.findall(r"^  ([a-z]+) ", listed, re.M)
    check(len(commands) >= 8, f"attune --help lists the commands: {listed!r}")
    missing = [c for c in commands + CONTRACT_COMMANDS
               if not re.search(r'^\.SS "attune ' + c + r'\b', text, re.M)]
    check(not missing, f"attune.1 has no section for: {missing}")
    print(f"{path}: renders without warnings; sections for {commands + CONTRACT_COMMANDS}")


def valid(data, attune):
    validate_desktop(os.path.join(data, "attune.desktop"))
    check_icon(os.path.join(data, "attune.svg"))
    check_udev(os.path.join(data, "70-attune.rules"))
    check_man(os.path.join(data, "attune.1"), attune)


def install(meson, build, prefix, datadir, mandir, udevdir):
    with tempfile.TemporaryDirectory(prefix="attune-install-") as dest:
        r = subprocess.run([meson, "install", "-C", build, "--no-rebuild", "--quiet",
                            "--destdir", dest], capture_output=True, text=True)
        check(r.returncode == 0, f"meson install --destdir: {r.returncode} {r.stderr}")

        def under(*parts):  # DESTDIR + the absolute path the parts make under the prefix
            return os.path.join(dest, os.path.join(prefix, *parts).lstrip("/"))

        want = {
            "program": under("bin", "attune"),
            "launcher": under(datadir, "applications", "attune.desktop"),
            "icon": under(datadir, "icons", "hicolor", "scalable", "apps", "attune.svg"),
            "udev rule": under(udevdir, "70-attune.rules"),
            "man page": under(mandir, "man1", "attune.1"),
        }
        for what, path in want.items():
            check(os.path.isfile(path), f"the {what} is not at {path[len(dest):]}")
            print(f"{what}: {path[len(dest):]}" + ("" if os.path.isfile(path) else " MISSING"))
        if os.path.isfile(want["program"]):
            check(os.access(want["program"], os.X_OK), "the installed attune is executable")
        if os.path.isfile(want["launcher"]):
            validate_desktop(want["launcher"])


if sys.argv[1] == "valid":
    valid(*sys.argv[2:4])
else:
    install(*sys.argv[2:8])
if failures:
    print(f"{failures} failure(s)", file=sys.stderr)
    sys.exit(1)
print("ok")
