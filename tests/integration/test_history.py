"""The practice database behind attune history and journal (README "Practice history").

Sessions are recorded as a user would (attune demo --record with a generated couple, --speed 0),
on chosen days (faketime), into a database of the test's own (--db / ATTUNE_DB).
Usage: test_history.py ATTUNE
"""
import json
import re
import os
import random
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

ATTUNE = sys.argv[1]
failures = []


def check(ok, what):
    print(("ok   " if ok else "FAIL ") + what)
    if not ok:
        failures.append(what)


def run(args, db, when=None, stdin=None, env_extra=None):
    env = dict(os.environ, ATTUNE_DB=db, TZ="UTC")
    env.update(env_extra or {})
    if when and "ASAN_OPTIONS" in env:
        # libfaketime is preloaded ahead of the sanitizer runtime; ASan's interposition still works
        env["ASAN_OPTIONS"] += ":verify_asan_link_order=0"
    cmd = (["faketime", when] if when else []) + [ATTUNE] + args
    return subprocess.run(cmd, env=env, input=stdin, capture_output=True, text=True, timeout=300)


def record(db, base, names, when=None, script="in-phase", seed=1, duration=60, guide=None):
    args = ["demo", "--headless", "--snapshots", "/dev/null", "--no-audio", "--speed", "0",
            "--synthetic", script, "--seed", str(seed), "--duration", str(duration),
            "--record", base, "--names", names]
    if guide:
        args += ["--guide", guide]
    r = run(args, db, when)
    if r.returncode != 0:
        print(r.stderr)
    return r


def history(db, *args, now=None):
    r = run(["history", "--json", *args], db, env_extra={"ATTUNE_NOW": now} if now else None)
    if r.returncode != 0:
        print(r.stderr)
        return None
    return json.loads(r.stdout)


def close(a, b):
    if a is None or b is None:
        return a is None and b is None
    return abs(a - b) <= 1e-6 * max(1.0, abs(b))


def three_sessions_same_figures(tmp):
    db = os.path.join(tmp, "a.db")
    bases = []
    for i, day in enumerate(["2026-11-02 19:00:00", "2026-11-03 19:30:00", "2026-11-05 20:00:00"]):
        base = os.path.join(tmp, f"s{i}")
        r = record(db, base, "Ann,Ben", when=day, seed=i + 1)
        check(r.returncode == 0 and "in the practice history as session" in r.stderr,
              f"session {i} recorded and said to join the history")
        bases.append(base)
    h = history(db)
    check(h is not None and len(h["sessions"]) == 3, "three sessions in history --json")
    if not h:
        return
    check(h["couples"] == ["Ann & Ben"], "one couple, named after the partners")
    for s, base in zip(h["sessions"], bases):
        own = json.load(open(base + ".json"))
        same = (close(s["match"], own["sync"]["match"]) and
                close(s["matched_fraction"], own["sync"]["matched_fraction"]) and
                close(s["plv"], own["sync"]["plv"]) and
                close(s["a_breath_rate_bpm"], own["a"]["breath_rate_bpm"]) and
                close(s["b_breath_rate_bpm"], own["b"]["breath_rate_bpm"]) and
                close(s["a_heart_rate_bpm"], own["a"]["heart_rate_bpm"]) and
                close(s["b_heart_rate_bpm"], own["b"]["heart_rate_bpm"]) and
                close(s["duration_s"], own["duration_s"]) and
                s["start_time"] == own["session"]["start_time"])
        check(same, f"session {s['id']}: the figures of {os.path.basename(base)}.json")
        check(s["files"]["edf"] == os.path.realpath(base + ".edf") and
              s["files"]["attraw"] == os.path.realpath(base + ".attraw"),
              f"session {s['id']}: its files by absolute path")
    # weeks and the streak on the local calendar (TZ=UTC), today injected
    weeks = {w["week"]: w for w in h["weeks"]}
    check(sorted(weeks) == ["2026-W45"] and weeks["2026-W45"]["sessions"] == 3,
          "2 Nov, 3 Nov and 5 Nov 2026 are one ISO week, W45, of 3 sessions")
    check(abs(weeks["2026-W45"]["minutes"] - 3 * 60.004 / 60) < 0.01, "its minutes: 3 x 1 min")
    for now, want in [("2026-11-05T22:00:00Z", 1), ("2026-11-06T09:00:00Z", 1),
                      ("2026-11-07T09:00:00Z", 0), ("2026-11-03T23:00:00Z", 2)]:
        h2 = history(db, now=now)
        got = h2["streak_days"] if h2 else None
        check(got == want, f"streak on {now}: {want} (got {got})")
    # a fourth session the next day continues the streak
    record(db, os.path.join(tmp, "s3"), "Ann,Ben", when="2026-11-06 08:00:00", seed=5)
    h2 = history(db, now="2026-11-06T12:00:00Z")
    check(h2 and h2["streak_days"] == 2, "5 and 6 Nov: a streak of 2 days")
    check(h2 and [w["week"] for w in h2["weeks"]] == ["2026-W45"] and
          h2["weeks"][0]["sessions"] == 4, "6 Nov (Friday) is still W45")
    record(db, os.path.join(tmp, "s4"), "Ann,Ben", when="2026-11-09 08:00:00", seed=6)
    h2 = history(db)
    check(h2 and [w["week"] for w in h2["weeks"]] == ["2026-W45", "2026-W46"],
          "9 Nov (Monday) opens W46")

    # import: the same sessions twice add nothing; into a fresh database once
    r = run(["history", "import", tmp], db)
    check(r.returncode == 0 and "imported 0 sessions, 5 already" in r.stdout,
          f"import of the recorded folder adds nothing ({r.stdout.strip()})")
    db2 = os.path.join(tmp, "b.db")
    r1 = run(["history", "import", tmp], db2)
    r2 = run(["history", "import", tmp], db2)
    h3 = history(db2)
    check("imported 5 sessions" in r1.stdout and "imported 0 sessions, 5 already" in r2.stdout
          and h3 and len(h3["sessions"]) == 5, "import twice adds once")
    # a recovered copy of a session is the same session
    r = run(["recover", bases[0] + ".attraw", "--output", os.path.join(tmp, "copy")], db2)
    check(r.returncode == 0 and len(history(db2)["sessions"]) == 5,
          "recover of a known session does not add it twice")

    # the journal, any script
    text = "Мы дышали вместе; 我们一起呼吸 — noticed my shoulders drop"
    r = run(["journal", "add", "--session", "latest", "-"], db, stdin=text + "\n")
    check(r.returncode == 0, "journal add from stdin")
    h = history(db)
    last = h["sessions"][-1]
    check(last["journal"] and last["journal"][0]["text"] == text,
          "a Cyrillic and Chinese journal entry round-trips")
    r = run(["journal", "list", "--json"], db)
    check(r.returncode == 0 and json.loads(r.stdout)[0]["text"] == text, "journal list --json")
    # the report of a session in the history gets a page of its journal; others stay one page
    def pages(png):
        with open(png, "rb") as f:
            head = f.read(24)
        return int.from_bytes(head[20:24], "big") // 1754 if head[:4] == b"\x89PNG" else 0
    r = run(["report", last["files"]["edf"], "-o", os.path.join(tmp, "journal.png")], db)
    check(r.returncode == 0 and pages(os.path.join(tmp, "journal.png")) == 2,
          "report of a session with a journal entry: a second page " + r.stderr.strip()[-300:])
    r = run(["report", bases[0] + ".edf", "-o", os.path.join(tmp, "plain.png")], db)
    check(r.returncode == 0 and pages(os.path.join(tmp, "plain.png")) == 1,
          "report of a session without one: one page")
    nodb = os.path.join(tmp, "nowhere", "none.db")
    r = run(["report", last["files"]["edf"], "-o", os.path.join(tmp, "nodb.png")], nodb)
    check(r.returncode == 0 and pages(os.path.join(tmp, "nodb.png")) == 1
          and not os.path.exists(nodb), "report without a database: one page, none created")
    r = run(["journal", "add", "--session", "999", "--text", "x"], db)
    check(r.returncode == 1 and r.stderr.count("\n") == 1 and "no session 999" in r.stderr,
          "a journal entry for an unknown session: one line, exit 1")
    r = subprocess.run([ATTUNE.encode(), b"journal", b"add", b"--session", b"latest", b"--text",
                        b"caf\xe9 \xff"], env=dict(os.environ, ATTUNE_DB=db),
                       capture_output=True, timeout=60)
    check(r.returncode == 1 and b"UTF-8" in r.stderr, "text that is not UTF-8 is refused")

    # the text table: names cut at a character, never inside one, and the columns stay put
    record(db, os.path.join(tmp, "cyr"), "Жанна-Мария,Ёжиков-Щукин", seed=8)
    r = subprocess.run([ATTUNE, "history"], env=dict(os.environ, ATTUNE_DB=db),
                       capture_output=True, timeout=60)
    try:
        rows = [ln for ln in r.stdout.decode("utf-8").splitlines()
                if re.match(r"\d+ +\d{4}-\d\d-\d\d ", ln)]
        ok = len({ln.index(" ", 45) for ln in rows}) == 1 and len({len(ln) for ln in rows}) == 1
    except (UnicodeDecodeError, ValueError):
        ok = False
    check(r.returncode == 0 and ok, "history's table: valid UTF-8, columns aligned for Cyrillic")
    run(["history", "forget", "--couple", "Жанна-Мария & Ёжиков-Щукин", "--files"], db)

    # forget: no row of the couple, and the names are gone from the file's bytes
    record(db, os.path.join(tmp, "other"), "Zed,Yan", seed=7)
    r = run(["history", "forget", "--couple", "Ann & Ben"], db)
    check(r.returncode == 0 and "forgot Ann & Ben: 5 sessions" in r.stdout,
          f"forget says what it removed ({r.stdout.strip()})")
    con = sqlite3.connect(db)
    rows = con.execute("SELECT count(*) FROM couples WHERE name = 'Ann & Ben'").fetchone()[0]
    rows += con.execute("SELECT count(*) FROM sessions s LEFT JOIN couples c ON c.id ="
                        " s.couple_id WHERE c.id IS NULL").fetchone()[0]
    rows += con.execute("SELECT count(*) FROM journal j LEFT JOIN sessions s ON s.id ="
                        " j.session_id WHERE s.id IS NULL").fetchone()[0]
    rows += con.execute("SELECT count(*) FROM files f LEFT JOIN sessions s ON s.id ="
                        " f.session_id WHERE s.id IS NULL").fetchone()[0]
    others = con.execute("SELECT count(*) FROM sessions").fetchone()[0]
    con.close()
    check(rows == 0 and others == 1, "forget leaves no row of that couple, the other couple's stays")
    blob = b"".join(open(p, "rb").read() for p in [db, db + "-wal"] if os.path.exists(p))
    check("Ann & Ben".encode() not in blob and text.encode() not in blob,
          "the couple's name and journal are not left in the database file")
    check(all(os.path.exists(b + ".edf") for b in bases), "without --files the files stay")
    r = run(["history", "forget", "--couple", "Zed & Yan", "--files"], db)
    check(r.returncode == 0 and not os.path.exists(os.path.join(tmp, "other.edf")) and
          not os.path.exists(os.path.join(tmp, "other.attraw")),
          "forget --files deletes the session files too")
    check(os.stat(db).st_mode & 0o777 == 0o600, "the database is private (0600)")


def export_and_plot(tmp):
    db = os.path.join(tmp, "e.db")
    for i in range(2):
        record(db, os.path.join(tmp, f"x{i}"), "Eva,Finn", seed=i + 1)
    out = os.path.join(tmp, "out")
    r = run(["history", "export", "--couple", "Eva & Finn", out], db)
    names = sorted(os.listdir(out)) if os.path.isdir(out) else []
    check(r.returncode == 0 and "history.csv" in names and "x0.edf" in names and
          "x1.attraw" in names, f"export copies the sessions and history.csv ({names})")
    rows = open(os.path.join(out, "history.csv")).read().splitlines() if names else []
    check(len(rows) == 3 and rows[0].startswith("id,couple,start_time,duration_s,guide,match"),
          "history.csv: a header and one row per session")
    r = run(["history", "export", "--couple", "Eva & Finn", out], db)
    check(r.returncode == 1 and "--force" in r.stderr, "export never writes over files")
    png = os.path.join(tmp, "weeks.png")
    r = run(["history", "--plot", png], db)
    check(r.returncode == 0 and open(png, "rb").read(8) == b"\x89PNG\r\n\x1a\n", "--plot PNG " + r.stderr.strip()[-800:])
    pdf = os.path.join(tmp, "weeks.pdf")
    r = run(["history", "--plot", pdf], db)
    check(r.returncode == 0 and open(pdf, "rb").read(5) == b"%PDF-", "--plot PDF " + r.stderr.strip()[-800:])


def foreign_files_are_kept(tmp):
    for what, content in [("text", b"my notes, not a database\n"),
                          ("damaged", b"SQLite format 3\x00" + os.urandom(4080))]:
        path = os.path.join(tmp, what + ".db")
        open(path, "wb").write(content)
        r = run(["history"], path)
        check(r.returncode == 1 and r.stderr.count("\n") == 1 and path in r.stderr,
              f"a {what} file as database: one line naming it, exit 1 ({r.stderr.strip()})")
        check(open(path, "rb").read() == content, f"the {what} file is left as it was")
    other = os.path.join(tmp, "other.db")
    con = sqlite3.connect(other)
    con.execute("CREATE TABLE notes(x)")
    con.commit()
    con.close()
    before = open(other, "rb").read()
    r = run(["history"], other)
    check(r.returncode == 1 and "another program" in r.stderr, "another program's SQLite file")
    check(open(other, "rb").read() == before, "... is not touched")


def many_sessions(tmp, n, prefix, names):
    folders = []
    for i in range(n):
        d = os.path.join(tmp, f"{prefix}{i}")
        os.mkdir(d)
        record(os.path.join(tmp, "scratch.db"), os.path.join(d, "s"), names, seed=100 + i,
               duration=20)
        folders.append(d)
    return folders


def concurrent_and_killed(tmp):
    a = many_sessions(tmp, 6, "pa", "Gil,Hana")
    b = many_sessions(tmp, 6, "pb", "Ivo,Jun")
    db = os.path.join(tmp, "c.db")
    env = dict(os.environ, ATTUNE_DB=db)
    procs = [subprocess.Popen([ATTUNE, "history", "import", *f], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for f in (a, b)]
    outs = [p.communicate(timeout=300) for p in procs]
    for o in outs:
        print(o[1], end="")
    h = history(db)
    check(all(p.returncode == 0 for p in procs) and h and len(h["sessions"]) == 12,
          f"two processes adding sessions at once both land ({[o[0].strip() for o in outs]})")
    # several attune processes opening a database that does not exist yet, at the same moment:
    # each sees it before or after the first one's schema is made, never half-way
    bad = []
    for round_ in range(15):
        fresh = os.path.join(tmp, f"fresh{round_}.db")
        ps = [subprocess.Popen([ATTUNE, "history", "--json"], env=dict(os.environ, ATTUNE_DB=fresh),
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
              for _ in range(4)]
        bad += [p.communicate(timeout=120)[1].strip() for p in ps if p.wait() != 0]
    check(not bad, f"4 processes creating one database at once, 15 rounds: all open it ({bad[:2]})")

    # kill -9 at random moments while sessions are being added, one per process
    db = os.path.join(tmp, "k.db")
    env = dict(os.environ, ATTUNE_DB=db)
    rng = random.Random(7)
    ended = set()
    lost = 0
    for round_ in range(10):
        for d in a + b:
            p = subprocess.Popen([ATTUNE, "history", "import", d], env=env,
                                 stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
            if rng.random() < 0.5:
                time.sleep(rng.uniform(0.0, 0.02))
                p.send_signal(signal.SIGKILL)
            out, _ = p.communicate()
            if p.returncode == 0:
                ended.add(d)
        con = sqlite3.connect(db)
        ok = con.execute("PRAGMA integrity_check").fetchone()[0]
        have = {os.path.dirname(r[0]) for r in
                con.execute("SELECT path FROM files WHERE kind = 'json'")}
        con.close()
        lost += len(ended - have)
        if ok != "ok":
            check(False, f"integrity after kill -9 round {round_}: {ok}")
            return
    check(lost == 0, f"10 rounds of kill -9 while adding: integrity_check ok, {len(ended)} "
          "added sessions all kept")


def pseudo_couple_baseline(tmp):
    """Partners who never met: A of a session with B of other couples' sessions, same guide."""
    db = os.path.join(tmp, "p.db")
    guide = os.path.join(tmp, "guide.json")
    open(guide, "w").write(json.dumps({"name": "Two steps", "phases": [
        {"name": "paced", "seconds": 60, "pacer": {"bpm": 6}, "feedback": True, "say": "follow"},
        {"name": "free", "seconds": 60, "pacer": None, "feedback": True, "say": "together"}]}))
    for i in range(3):
        record(db, os.path.join(tmp, f"o{i}"), f"O{i},P{i}", seed=11 + i, duration=120,
               guide=guide)
    h = history(db)
    check(h and all(s["pseudo_match"] is None for s in h["sessions"]),
          "no baseline while fewer than 3 other couples' sessions exist")
    record(db, os.path.join(tmp, "strangers"), "Tom,Uma", script="independent", seed=20,
           duration=120, guide=guide)
    record(db, os.path.join(tmp, "matched"), "Vic,Wen", seed=21, duration=120, guide=guide)
    record(db, os.path.join(tmp, "unguided"), "Xia,Yul", seed=22, duration=120)
    h = {s["couple"]: s for s in history(db)["sessions"]}
    st, ma, un = h["Tom & Uma"], h["Vic & Wen"], h["Xia & Yul"]
    print(f"     strangers: own {st['match']:.3f} pseudo {st['pseudo_match']:.3f}; matched: own "
          f"{ma['match']:.3f} pseudo {ma['pseudo_match']:.3f}")
    check(st["pseudo_match"] is not None and abs(st["pseudo_match"] - st["match"]) < 0.15,
          "a couple of two breathers who never met: pseudo match close to its own match")
    check(ma["pseudo_match"] is not None and ma["match"] - ma["pseudo_match"] > 0.5 and
          ma["matched_fraction"] - ma["pseudo_matched_fraction"] > 0.5,
          "a truly matched couple is clearly above its baseline")
    check(un["pseudo_match"] is None, "a session of another guide (none) gets no baseline from them")


def daily_at_resonance(tmp):
    """The daily guide paces at the couple's resonance rate once the history knows one."""
    db = os.path.join(tmp, "r.db")
    r = record(db, os.path.join(tmp, "d0"), "Ann,Ben", guide="daily", duration=70)
    check(r.returncode == 0 and "paces at 6 /min" in r.stderr, "without a check: 6 /min, and says why")
    own = json.load(open(os.path.join(tmp, "d0.json")))
    own["resonance"] = {"a_bpm": 5.0, "b_bpm": 5.5, "couple_bpm": 5.5, "steps": []}
    own["session"]["uid"] = "resonance-check-of-ann-and-ben"
    open(os.path.join(tmp, "check.json"), "w").write(json.dumps(own))
    run(["history", "import", tmp], db)
    r = record(db, os.path.join(tmp, "d1"), "Ann,Ben", guide="daily", duration=70)
    events = json.load(open(os.path.join(tmp, "d1.json")))["session"]["events"]
    paced = [e["value"] for e in events if e["kind"] == "pacer" and abs(e["t"] - 60) < 0.01]
    check("resonance rate, 5.5 /min" in r.stderr and paced == [5.5],
          f"after a check found 5.5 /min the daily guide paces at 5.5 (pacer at 60 s: {paced})")


with tempfile.TemporaryDirectory() as tmp:
    pseudo_couple_baseline(tmp)
with tempfile.TemporaryDirectory() as tmp:
    daily_at_resonance(tmp)
with tempfile.TemporaryDirectory() as tmp:
    three_sessions_same_figures(tmp)
with tempfile.TemporaryDirectory() as tmp:
    export_and_plot(tmp)
with tempfile.TemporaryDirectory() as tmp:
    foreign_files_are_kept(tmp)
with tempfile.TemporaryDirectory() as tmp:
    concurrent_and_killed(tmp)

print(f"{len(failures)} failed")
sys.exit(1 if failures else 0)
