#!/usr/bin/python3
"""attune report as a therapist and scripts see it: a page from a generated couple with known
truth (PNG size, colours of both people and of synchrony where they belong, a matched couple's
match line sits higher than an anti-phase couple's), a one-page A4 PDF, raw captures and EDF+
with markers through the same dispatch as analyze, and bad input: one line on stderr, exit 1
(input, environment) or 2 (usage), and no OUT (nor OUT.part) left behind.

With --real: a page from a real resting recording in ../shared/data (one person as A, the same
0.5 s later as B), its summary read back from the PDF's text; skips (77) without the data unless
ATTUNE_REQUIRE_DATA=1.

usage: test_report.py ATTUNE TEST_RECORDING_GEN [--real]
Runs with Debian's /usr/bin/python3 (numpy, PIL); pdfinfo/pdftotext from poppler-utils."""
import re
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
from PIL import Image

ATTUNE, GEN = sys.argv[1], sys.argv[2]
failures = 0

# Okabe-Ito colours the page promises (report.h)
ORANGE, BLUE, GREEN = (0xE6, 0x9F, 0x00), (0x00, 0x72, 0xB2), (0x00, 0x9E, 0x73)


def check(cond, what):
    global failures
    print(("ok   " if cond else "FAIL ") + what)
    if not cond:
        failures += 1


def run(*args):
    p = subprocess.run([ATTUNE, "report", *args], capture_output=True, text=True, timeout=120)
    return p.returncode, p.stdout, p.stderr


def one_line(err):
    return err.endswith("\n") and err.count("\n") == 1 and len(err) > 20


def pdf_text(pdf):
    """The page's text (pdftotext -layout), or None without poppler-utils."""
    if not shutil.which("pdftotext"):
        print("note: pdftotext missing (poppler-utils), the page's words are not checked")
        return None
    return subprocess.run(["pdftotext", "-layout", pdf, "-"], capture_output=True,
                          text=True).stdout


def number_after(text, pattern):
    m = re.search(pattern, text or "")
    return float(m.group(1)) if m else float("nan")


def couple_csv(path, offset_deg, seconds=240, rate=100.0, ppg=True):
    """Both breathe with a shared, wandering rate (so the surrogate chance level stays low);
    B follows A by offset_deg. PPG pulses at 66 and 72 bpm."""
    t = np.arange(int(seconds * rate)) / rate
    rng = np.random.default_rng(3)
    f = 0.22 + 0.06 * np.sin(2 * np.pi * t / 47.0) + 0.03 * np.sin(2 * np.pi * t / 13.0)
    phi = 2 * np.pi * np.cumsum(f) / rate
    d = np.radians(offset_deg)
    cols = {"t": t,
            "a_resp": 500 + 80 * np.cos(phi) + 2 * rng.standard_normal(t.size),
            "b_resp": 480 + 60 * np.cos(phi - d) + 2 * rng.standard_normal(t.size)}
    for name, hr in (("a_ppg", 66.0), ("b_ppg", 72.0)) if ppg else ():
        u = (t * hr / 60.0) % 1.0
        cols[name] = 300 + 100 * np.exp(-((u - 0.15) / 0.06) ** 2) + \
            30 * np.exp(-((u - 0.45) / 0.1) ** 2)
    names = ["t", "a_resp", "a_ppg", "b_resp", "b_ppg"] if ppg else ["t", "a_resp", "b_resp"]
    np.savetxt(path, np.column_stack([cols[k] for k in names]), delimiter=",",
               header=",".join(names), comments="", fmt="%.4f")


def near(img, rgb, tol=24):
    return np.all(np.abs(img.astype(int) - np.array(rgb)) <= tol, axis=2)


def load_png(path):
    with Image.open(path) as im:
        return im.size, np.asarray(im.convert("RGB"))


def page_checks(png, label):
    """Size, not blank, and each colour where the layout puts it (as shares of the page height:
    the breathing excerpt in the upper half, synchrony below it). Returns the image."""
    size, img = load_png(png)
    check(size == (1240, 1754), f"{label}: A4 at 150 dpi is 1240 x 1754 pixels, got {size}")
    h = img.shape[0]
    ink = np.mean(np.any(img < 200, axis=2))
    check(0.02 < ink < 0.5, f"{label}: the page is drawn, not blank ({ink:.3f} of pixels inked)")
    top = img[int(0.25 * h):int(0.5 * h)]
    no, nb = near(top, ORANGE).sum(), near(top, BLUE).sum()
    check(no > 500 and nb > 500,
          f"{label}: both people's traces (orange A, blue B) in the breathing area ({no}, {nb})")
    ng_top = near(img[:int(0.5 * h)], GREEN).sum()
    ng = near(img[int(0.5 * h):int(0.75 * h)], GREEN).sum()
    check(ng > 300, f"{label}: green synchrony line in the timeline area ({ng} pixels)")
    check(ng_top < 400, f"{label}: no green among the breathing traces ({ng_top} pixels)")
    # nothing on the page is an alarm: no saturated red
    red = (img[..., 0] > 200) & (img[..., 1] < 80) & (img[..., 2] < 80)
    check(red.sum() == 0, f"{label}: no red anywhere ({red.sum()} pixels)")
    return img


def green_height(img):
    """Mean row of the green match line in the timeline band (smaller = higher match)."""
    h = img.shape[0]
    band = near(img[int(0.5 * h):int(0.75 * h)], GREEN)
    rows = np.nonzero(band)[0]
    return rows.mean() if rows.size else float("nan")


def mark_lines(img):
    """Marker lines: dotted dark grey verticals crossing the timeline plot; counts runs of
    adjacent columns holding many grey pixels."""
    h = img.shape[0]
    b = img[int(0.55 * h):int(0.65 * h)].astype(int)
    grey = (np.abs(b[..., 0] - b[..., 1]) < 12) & (np.abs(b[..., 1] - b[..., 2]) < 12) & \
        (b[..., 0] < 150)
    cols = np.nonzero(grey.sum(axis=0) > 35)[0]
    return int(np.sum(np.diff(cols) > 1) + 1) if cols.size else 0


def no_output(out):
    return not os.path.exists(out) and not os.path.exists(out + ".part")


def real():
    data = os.environ.get("ATTUNE_DATA", "")
    src = os.path.join(data, "neurokit2", "bio_resting_5min_100hz.csv")
    if not os.path.exists(src):
        msg = f"real data not found at {src}"
        if os.environ.get("ATTUNE_REQUIRE_DATA") == "1":
            print(f"FAIL {msg} (ATTUNE_REQUIRE_DATA=1)")
            return 1
        print(f"SKIP: {msg} (../shared/data absent)")
        return 77
    tmp = tempfile.mkdtemp(prefix="attune-report-real-")
    try:
        # one real resting person (SOURCES.md: 16.9 /min, 86.4 bpm) as A and 0.5 s later as B
        d = np.loadtxt(src, delimiter=",", skiprows=1)
        ppg, rsp = d[:, 1], d[:, 2]
        delay = 50
        n = rsp.size - delay
        names = ["t", "a_resp", "a_ppg", "b_resp", "b_ppg"]
        cols = [np.arange(n) / 100.0, rsp[delay:], ppg[delay:], rsp[:n], ppg[:n]]
        csv = os.path.join(tmp, "real.csv")
        np.savetxt(csv, np.column_stack(cols), delimiter=",", header=",".join(names),
                   comments="", fmt="%.6f")
        png, pdf = os.path.join(tmp, "real.png"), os.path.join(tmp, "real.pdf")
        rc, _, err = run(csv, "-o", png)
        check(rc == 0 and err == "", f"real recording: PNG report rc {rc}, {err!r}")
        if rc == 0:
            page_checks(png, "real")
        rc, _, err = run(csv, "-o", pdf)
        check(rc == 0 and err == "", f"real recording: PDF report rc {rc}, {err!r}")
        text = pdf_text(pdf) if rc == 0 else ""
        if text is not None:
            rates = [float(x) for x in re.findall(r"([\d.]+) /min", text)[:2]]
            check(len(rates) == 2 and all(abs(r - 16.9) <= 1.5 for r in rates),
                  f"real: breathing ~16.9 /min ({rates})")
            hr = [float(x) for x in re.findall(r"(\d+) bpm", text)[:2]]
            check(len(hr) == 2 and all(abs(h - 86.4) <= 3 for h in hr),
                  f"real: heart rate ~86 bpm ({hr})")
            lead = number_after(text, r"A leads by ([\d.]+) s")
            check(abs(lead - 0.5) <= 0.15, f"real: A leads by ~0.5 s ({lead})")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{failures} failure(s)")
    return 1 if failures else 0


def main():
    if "--real" in sys.argv[3:]:
        return real()
    tmp = tempfile.mkdtemp(prefix="attune-report-")
    try:
        inphase, anti = os.path.join(tmp, "inphase.csv"), os.path.join(tmp, "anti.csv")
        couple_csv(inphase, 30)
        couple_csv(anti, 180)

        png = os.path.join(tmp, "inphase.png")
        rc, out, err = run(inphase, "-o", png)
        check(rc == 0 and err == "" and out == "", f"report from a CSV: rc {rc}, {err!r}")
        check(no_output(png + ".tmp") and not os.path.exists(png + ".part"),
              "no temporary file left next to the page")
        img = page_checks(png, "B 30 deg behind")
        check(mark_lines(img) == 0, f"a CSV has no markers: none drawn ({mark_lines(img)})")

        png_anti = os.path.join(tmp, "anti.png")
        rc, _, err = run(anti, "--output", png_anti)
        check(rc == 0, f"report from an anti-phase couple: rc {rc}, {err!r}")
        img_anti = load_png(png_anti)[1]
        g_in, g_anti = green_height(img), green_height(img_anti)
        # match ~cos(30 deg) = 0.87 vs ~0 over a 118 pt (246 px) high plot
        check(g_anti - g_in > 100,
              f"the matched couple's match line sits far above the anti-phase one's "
              f"(rows {g_in:.0f} vs {g_anti:.0f})")

        png300 = os.path.join(tmp, "dpi.png")
        rc, _, err = run(inphase, "-o", png300, "--dpi", "75")
        check(rc == 0 and load_png(png300)[0] == (620, 877), f"--dpi 75 gives 620 x 877 ({err!r})")

        pdf = os.path.join(tmp, "inphase.pdf")
        rc, _, err = run(inphase, "-o", pdf)
        check(rc == 0 and err == "", f"PDF report: rc {rc}, {err!r}")
        data = open(pdf, "rb").read() if os.path.exists(pdf) else b""
        check(data.startswith(b"%PDF-"), "the PDF starts with %PDF-")
        if shutil.which("pdfinfo"):
            info = subprocess.run(["pdfinfo", pdf], capture_output=True, text=True).stdout
            pages = [ln.split()[-1] for ln in info.splitlines() if ln.startswith("Pages:")]
            check(pages == ["1"], f"pdfinfo: one page ({pages})")
            check("(A4)" in info, "pdfinfo: A4 page size")
        else:
            n = data.count(b"/Type /Page") - data.count(b"/Type /Pages")
            check(n == 1, f"one /Type /Page object in the PDF ({n})")
        # the summary in words, against the couple's truth: both at 0.22 Hz = 13.2 /min, hearts
        # 66 and 72 bpm, B 30 deg behind A (match = cos 30 deg = 0.87)
        text = pdf_text(pdf)
        if text is not None:
            check("attune session report" in text and "inphase.csv" in text,
                  "the PDF's text carries the title and the file name")
            rates = [float(x) for x in re.findall(r"([\d.]+) /min", text)[:2]]
            check(len(rates) == 2 and all(abs(r - 13.2) <= 0.5 for r in rates),
                  f"breathing rates 13.2 /min each ({rates})")
            check(re.search(r"66 bpm\s+72 bpm", text) is not None, "heart rates 66 and 72 bpm")
            m = number_after(text, r"Breath match ([\d.]+)")
            check(abs(m - 0.87) <= 0.06, f"breath match ~0.87 ({m})")
            lead = number_after(text, r"A leads by ([\d.]+) s")
            # 30 deg of a 4.5 s breath = 0.38 s
            check(abs(lead - 0.38) <= 0.1, f"A leads by ~0.38 s ({lead})")
            check(re.search(r"In sync \(locked above chance\) (9\d|100) %", text) is not None,
                  "in sync nearly all the time")
            check("Signal quality: all sensors good" in text, "no sensor warnings")
        anti_pdf = os.path.join(tmp, "anti.pdf")
        rc, _, err = run(anti, "-o", anti_pdf)
        text = pdf_text(anti_pdf) if rc == 0 else ""
        if text is not None:
            check(rc == 0 and "Opposite phases" in text and
                  number_after(text, r"Breath match ([\d.]+)") <= 0.1,
                  "anti-phase couple: opposite phases, match ~0")

        # without PPG the heart panels say so instead of drawing nothing
        noppg, noppg_pdf = os.path.join(tmp, "noppg.csv"), os.path.join(tmp, "noppg.pdf")
        couple_csv(noppg, 30, ppg=False)
        rc, _, err = run(noppg, "-o", noppg_pdf)
        check(rc == 0 and err == "", f"report without PPG columns: rc {rc}, {err!r}")
        text = pdf_text(noppg_pdf) if rc == 0 else ""
        if text is not None:
            check("no pulse sensor data" in text and "pulse sensor not recorded" in text,
                  "without PPG: the heart panel and the quality line say so")

        # a raw capture and its EDF+ (markers, pacer, lost frames) through analyze's dispatch
        base = os.path.join(tmp, "session")
        g = subprocess.run([GEN, "record", base, "120", "--drop-at", "60", "250"],
                           capture_output=True, text=True, timeout=120)
        check(g.returncode == 0, f"test_recording_gen made a session ({g.stderr!r})")
        # the format is known by content: a raw capture under a CSV name reads as what it is
        shutil.copy(base + ".attraw", base + "_attraw.csv")
        for ext in (".attraw", ".edf", "_attraw.csv"):
            out = os.path.join(tmp, "session" + ext.replace(".", "_") + ".png")
            rc, _, err = run(base + ext, "-o", out)
            check(rc == 0 and err == "", f"report from {ext}: rc {rc}, {err!r}")
            if rc == 0:
                size, im = load_png(out)
                check(size == (1240, 1754), f"{ext}: page size {size}")
                # "eyes closed" at 5 s, pacer at 8 s, the reconnect at 60 s
                n = mark_lines(im)
                check(n == 3, f"{ext}: three marker lines on the timeline ({n})")

        # bad input and usage: one line, exit 1 / 2, nothing left at OUT
        out = os.path.join(tmp, "bad.png")
        rc, _, err = run(os.path.join(tmp, "missing.csv"), "-o", out)
        check(rc == 1 and one_line(err) and no_output(out), f"missing file: {rc} {err!r}")
        junk = os.path.join(tmp, "junk.csv")
        with open(junk, "w") as f:
            f.write("hello,world\n1,2\n")
        rc, _, err = run(junk, "-o", out)
        check(rc == 1 and one_line(err) and no_output(out), f"not a recording: {rc} {err!r}")
        short = os.path.join(tmp, "short.csv")
        couple_csv(short, 0, seconds=5)
        rc, _, err = run(short, "-o", out)
        check(rc == 1 and one_line(err) and no_output(out), f"5 s recording: {rc} {err!r}")
        rc, _, err = run(inphase, "-o", os.path.join(tmp, "no", "such", "dir.png"))
        check(rc == 1 and one_line(err) and "cannot write" in err,
              f"unwritable output: {rc} {err!r}")
        rc, _, err = run(inphase, "-o", os.path.join(tmp, "page.jpg"))
        check(rc == 2 and one_line(err) and no_output(os.path.join(tmp, "page.jpg")),
              f"unknown output extension is a usage error: {rc} {err!r}")
        rc, _, err = run(inphase)
        check(rc == 2 and one_line(err), f"missing -o: {rc} {err!r}")
        rc, _, err = run(inphase, "-o", out, "--dpi", "5000")
        check(rc == 2 and one_line(err) and no_output(out), f"--dpi out of range: {rc} {err!r}")
        rc, _, err = run(inphase, "-o", out, "--bogus")
        check(rc == 2 and one_line(err), f"unknown option: {rc} {err!r}")
        rc, out_help, _ = run("--help")
        check(rc == 0 and "-o" in out_help and ".pdf" in out_help, "--help on stdout, exit 0")
        # an existing page survives a failed run untouched
        keep = os.path.join(tmp, "keep.png")
        shutil.copy(png, keep)
        before = open(keep, "rb").read()
        rc, _, _ = run(junk, "-o", keep)
        check(rc == 1 and open(keep, "rb").read() == before and no_output(keep + ".x"),
              "a failed run leaves an existing OUT as it was")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{failures} failure(s)")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
