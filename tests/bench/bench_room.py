#!/usr/bin/python3
"""Rooms benchmark: a real mosquitto on 127.0.0.1 with attune's configuration (tools/broker/:
TLS, password file, the ACL pattern), a CA and certificate from tools/broker/make-certs.sh.

1. latency: bench_room latency (two ends of one room in one process, each with a generated
   couple as its board) for SECONDS, straight to the broker and through a userspace proxy that
   delays every chunk 150 +- 50 ms each way (as the room_broker test's); the proxy also counts
   the bytes each connection carries (TLS records and MQTT framing included).
2. scale: bench_room scale with 200 rooms (400 simulated participants at 250 Hz, each its own
   TLS connection and network thread, in one process), then more rooms until something fails:
   the broker's CPU (from /proc), the client process's CPU, delivery latency and losses.
usage: bench_room.py BENCH_ROOM [SECONDS (30)] [ROOMS ... (200 400 800 1600 3200)]
environment: SCALE_ONLY=1 leaves out part 1; KEEP=1 keeps the broker's files and log.
"""
import base64
import hashlib
import json
import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

bench = sys.argv[1]
seconds = float(sys.argv[2]) if len(sys.argv) > 2 else 30.0
steps = [int(x) for x in sys.argv[3:]] or [200, 400, 800, 1600, 3200]
source = os.environ.get("ATTUNE_SOURCE", os.path.join(os.path.dirname(__file__), "../.."))
for tool in ("mosquitto", "openssl"):
    if not shutil.which(tool):
        print(f"skip: {tool} is not installed")
        sys.exit(77)
tmp = tempfile.mkdtemp(prefix="attune-bench-room-")
certs = os.path.join(tmp, "certs")
subprocess.run(["sh", os.path.join(source, "tools/broker/make-certs.sh"), certs, "localhost",
                "127.0.0.1"], check=True, stdout=subprocess.DEVNULL)
shutil.copy(os.path.join(source, "tools/broker/acl"), os.path.join(certs, "acl"))
PASSWORD = "breathe-slowly"


def pw_line(user):
    """mosquitto 2.0's password file line ($7$: PBKDF2-SHA512, 101 rounds), made here so a
    thousand rooms take no thousand mosquitto_passwd runs."""
    salt = os.urandom(12)
    h = hashlib.pbkdf2_hmac("sha512", PASSWORD.encode(), salt, 101)
    return f"{user}:$7$101${base64.b64encode(salt).decode()}${base64.b64encode(h).decode()}\n"


with open(os.path.join(certs, "passwords"), "w") as f:
    f.write(pw_line("latency-room"))
    for i in range(max(steps)):
        f.write(pw_line(f"bench-{i:04d}"))
os.chmod(os.path.join(certs, "passwords"), 0o600)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def wait_port(port, timeout=10):
    until = time.time() + timeout
    while time.time() < until:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


broker_port = free_port()
conf = open(os.path.join(source, "tools/broker/mosquitto.conf")).read()
conf = conf.replace("/etc/mosquitto/attune", certs)
conf = conf.replace("listener 8883", f"listener {broker_port} 127.0.0.1")
conf += "\nuser root\nlog_dest file " + os.path.join(tmp, "mosquitto.log") + "\n"
with open(os.path.join(tmp, "mosquitto.conf"), "w") as f:
    f.write(conf)


def start_broker():
    p = subprocess.Popen(["mosquitto", "-c", os.path.join(tmp, "mosquitto.conf")],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    if not wait_port(broker_port):
        sys.exit("bench_room: the broker did not start")
    return p


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])  # utime + stime


def broker_rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


HZ = os.sysconf("SC_CLK_TCK")

# --- the delaying, byte-counting proxy ---
rng = random.Random(15)
counted = {}  # connection number -> [bytes up, bytes down]


def pump(src, dst, delay, tally, k):
    queue, cond, last = [], threading.Condition(), [0.0]

    def sender():
        while True:
            with cond:
                while not queue:
                    cond.wait()
                due, data = queue.pop(0)
            time.sleep(max(0.0, due - time.time()))
            try:
                if data is None:
                    dst.shutdown(socket.SHUT_WR)
                    return
                dst.sendall(data)
            except OSError:
                return

    threading.Thread(target=sender, daemon=True).start()
    while True:
        try:
            data = src.recv(65536)
        except OSError:
            data = b""
        tally[k] += len(data)
        d = (0.1 + 0.1 * rng.random()) if delay else 0.0
        due = max(last[0], time.time() + d)
        last[0] = due
        with cond:
            queue.append((due, data if data else None))
            cond.notify()
        if not data:
            return


def proxy(delay):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def accept_loop():
        while True:
            client, _ = listener.accept()
            upstream = socket.create_connection(("127.0.0.1", broker_port))
            tally = counted.setdefault(len(counted), [0, 0])
            threading.Thread(target=pump, args=(client, upstream, delay, tally, 0),
                             daemon=True).start()
            threading.Thread(target=pump, args=(upstream, client, delay, tally, 1),
                             daemon=True).start()

    threading.Thread(target=accept_loop, daemon=True).start()
    return listener.getsockname()[1]


def run(args, timeout):
    r = subprocess.run([bench] + args, capture_output=True, text=True, timeout=timeout)
    if r.returncode != 0:
        print(r.stderr)
        sys.exit(f"bench_room {args[0]} failed: exit {r.returncode}")
    return [json.loads(line) for line in r.stdout.splitlines() if line.startswith("{")]


broker = start_broker()
print(f"machine: {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f} at the start")

# --- 1. latency and bytes ---
for label, port, delay in (("loopback", broker_port, False),
                           ("loopback + proxy 150+-50 ms each way", None, True))[
        :0 if os.environ.get("SCALE_ONLY") else 2]:
    counted.clear()
    if port is None:
        port = proxy(delay)
    rows = run(["latency", f"mqtts://localhost:{port}", os.path.join(certs, "ca.crt"),
                "latency-room", PASSWORD, str(seconds)], seconds + 60)
    print(f"latency, {label} ({seconds:.0f} s):")
    for r in rows:
        print(f"  {r['side']}: partner's sample -> this host's main thread p50 "
              f"{r['partner_to_main_p50_ms']:.1f} ms p99 {r['partner_to_main_p99_ms']:.1f} ms; "
              f"-> engine p50 {r['partner_to_engine_p50_ms']:.1f} ms p99 "
              f"{r['partner_to_engine_p99_ms']:.1f} ms (jitter buffer {r['jitter_ms']:.0f} ms); "
              f"after 15 s: late {r['late_after_15s']}, held {r['held_after_15s']}; "
              f"publishes {r['sent_messages_per_s']:.1f} msg/s, {r['sent_bytes_per_s']:.0f} B/s "
              "of payload; clock offset "
              f"{r['offset_ms']:+.2f} ms, round trip {r['round_trip_ms']:.1f} ms")
    print(f"  CPU of this process (both ends, generated boards included): "
          f"{100 * rows[0]['cpu_share_both']:.1f} % of a core")
    if counted:
        for k, (up, down) in sorted(counted.items()):
            print(f"  connection {k} on the wire (TLS): {up / seconds:.0f} B/s up, "
                  f"{down / seconds:.0f} B/s down")

# --- 2. many rooms on one broker ---
print(f"scale ({seconds:.0f} s each; simulated participants: libmosquitto clients, 200 to a "
      "process, each its own TLS connection and network thread, publishing attune's samples "
      "messages (25 samples, 10 a second) and subscribed to their room as attune room is):")
PER_PROCESS = 100  # rooms: libmosquitto's select() takes ~340 clients a process (bench_room.c)


def scale_run(rooms):
    """Runs the simulated participants in processes of up to PER_PROCESS rooms; times the
    broker's CPU over the span in which all of them publish."""
    procs, results, events = [], [], []
    for first in range(0, rooms, PER_PROCESS):
        procs.append(subprocess.Popen(
            [bench, "scale", f"mqtts://localhost:{broker_port}", os.path.join(certs, "ca.crt"),
             str(min(PER_PROCESS, rooms - first)), str(seconds), PASSWORD, str(first)],
            stdout=subprocess.PIPE, text=True))

    def reader(p):
        for line in p.stdout:
            msg = json.loads(line)
            if "phase" in msg:
                events.append(msg["phase"])
            else:
                results.append(msg)

    threads = [threading.Thread(target=reader, args=(p,), daemon=True) for p in procs]
    for t in threads:
        t.start()
    c0 = t0 = None
    cpu = wall = float("nan")
    while any(p.poll() is None for p in procs):
        if c0 is None and events.count("publishing") == len(procs):
            c0, t0 = cpu_ticks(broker.pid), time.time()
        if c0 is not None and "published" in events and wall != wall:
            wall = time.time() - t0
            cpu = (cpu_ticks(broker.pid) - c0) / HZ if broker.poll() is None else float("nan")
        time.sleep(0.02)
    for t in threads:
        t.join()
    if any(p.returncode for p in procs) or len(results) != len(procs):
        return None
    hist = {}
    for r in results:
        for ms, k in r["latency_hist"].items():
            hist[int(ms)] = hist.get(int(ms), 0) + k

    def q(frac):
        n, seen = sum(hist.values()), 0
        for ms in sorted(hist):
            seen += hist[ms]
            if seen >= frac * n:
                return ms + 0.5
        return float("nan")

    total = {k: sum(r[k] for r in results) for k in
             ("participants", "connected_at_end", "refused", "dropped_connections",
              "published_per_s", "publish_failed", "delivered_per_s", "undelivered",
              "lost_by_seq", "client_cpu_share")}
    total.update(latency_p50_ms=q(0.5), latency_p99_ms=q(0.99),
                 latency_max_ms=max(r["latency_max_ms"] for r in results),
                 processes=len(procs), broker_cpu_share=cpu / wall,
                 broker_rss_kb=broker_rss_kb(broker.pid) if broker.poll() is None else 0)
    return total


for rooms in steps:
    broker.terminate()
    broker.wait()
    broker = start_broker()
    r = scale_run(rooms)
    if r is None:
        print(f"  {rooms} rooms: bench_room scale failed")
        break
    print(f"  {rooms} rooms ({r['participants']} participants in {r['processes']} processes): "
          f"connected {r['connected_at_end']}, refused {r['refused']}, dropped "
          f"{r['dropped_connections']}; published {r['published_per_s']:.0f} msg/s, delivered "
          f"{r['delivered_per_s']:.0f} msg/s, undelivered {r['undelivered']}, lost "
          f"{r['lost_by_seq']}; latency p50 {r['latency_p50_ms']:.1f} ms p99 "
          f"{r['latency_p99_ms']:.1f} ms max {r['latency_max_ms']} ms; broker "
          f"{100 * r['broker_cpu_share']:.0f} % of a core, RSS {r['broker_rss_kb']} kB; "
          f"clients {100 * r['client_cpu_share']:.0f} % of a core; load "
          f"{os.getloadavg()[0]:.1f}")
    if (r["refused"] or r["dropped_connections"] or r["lost_by_seq"] or
            r["connected_at_end"] < r["participants"] or r["latency_p99_ms"] > 800 or
            broker.poll() is not None):
        print("  ^ the first to fail at this size")
        break
broker.terminate()
broker.wait()
print("files in", tmp) if os.environ.get("KEEP") else shutil.rmtree(tmp, ignore_errors=True)
