"""slotlab publish -> NATS JetStream -> slotlab ingest --store, end to end.

Starts its own nats-server processes (one node for R1, three clustered on
loopback for R3) with temporary store directories, runs one publisher and
one ingest process side by side, and prints each figure beside its goal
(issue 17): >= 5M events/s publish -> durable on R1, p99 publish -> durable
<= 250 ms at the default sync interval, the same with R3, and bytes per
event on the wire, in JetStream and in the store.

End to end = events / (the ingest process's exit - the publisher's start);
the ingest starts first (the stream made by publishing one event), stops
at the last event (--events) and its exit includes the final sync and
closing the store. Latency is the
ingest's own report: JetStream's publish timestamp of each message to the
acknowledgement sent after the sync that made it durable.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

SLOTLAB = sys.argv[1]
SERVER = sys.argv[2]
EVENTS = int(os.environ.get("BENCH_EVENTS", "20000000"))
RATE = int(os.environ.get("BENCH_RATE", "1000000"))
RATE_SECONDS = int(os.environ.get("BENCH_RATE_SECONDS", "10"))
REPLICAS = [int(r) for r in os.environ.get("BENCH_REPLICAS", "1 3").split()]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_port(port):
    start = time.time()
    while time.time() - start < 20:
        try:
            socket.create_connection(("127.0.0.1", port), 0.2).close()
            return
        except OSError:
            time.sleep(0.05)
    raise SystemExit(f"nats-server on port {port} did not start")


class Nodes:
    """One node, or three clustered on loopback."""

    def __init__(self, count):
        self.dir = tempfile.mkdtemp(prefix="slotlab-bench-nats-")
        ports = [(free_port(), free_port()) for _ in range(count)]
        routes = ",".join(f"nats://127.0.0.1:{c}" for _, c in ports)
        self.procs, self.urls = [], []
        for i, (port, cport) in enumerate(ports):
            cmd = [SERVER, "-js", "-a", "127.0.0.1", "-p", str(port),
                   "-sd", os.path.join(self.dir, f"n{i}")]
            if count > 1:
                cmd += ["-n", f"n{i}", "--cluster_name", "bench",
                        "--cluster", f"nats://127.0.0.1:{cport}", "--routes", routes]
            self.procs.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.DEVNULL))
            self.urls.append(f"nats://127.0.0.1:{port}")
        for port, _ in ports:
            wait_port(port)
        if count > 1:
            time.sleep(5)  # JetStream's meta leader is elected after routes form

    def bytes(self):
        total = 0
        for root, _, files in os.walk(self.dir):
            for f in files:
                try:
                    total += os.path.getsize(os.path.join(root, f))
                except OSError:
                    pass
        return total

    def stop(self):
        for p in self.procs:
            p.kill()
            p.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


def run(nodes, replicas, name, rate=None):
    store = tempfile.mkdtemp(prefix="slotlab-bench-store-")
    shutil.rmtree(store)
    events = EVENTS if rate is None else rate * RATE_SECONDS
    pub = [SLOTLAB, "--quiet", "publish", "--to", nodes.urls[0], "--stream", name,
           "--subjects", name, "--replicas", str(replicas), "--events", str(events)]
    if rate is not None:
        pub += ["--rate", str(rate)]
    # The stream is made by publishing one event first, so the ingest can
    # start, take its leases and make its consumers before the timed
    # publisher begins (it reads that event too: events + 1 stored).
    seed = subprocess.run(pub[:pub.index("--events") + 1] + ["1"], capture_output=True, text=True)
    if seed.returncode != 0:
        raise SystemExit(f"cannot make the stream:\n{seed.stderr}")
    ingest = subprocess.Popen(
        [SLOTLAB, "--quiet", "ingest", "--source", nodes.urls[-1], "--stream", name,
         "--subjects", name, "--store", store, "--events", str(events + 1), "--idle", "30s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(1.5)
    start = time.time()
    publisher = subprocess.Popen(pub, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    iout, ierr = ingest.communicate()
    end = time.time()
    pout, perr = publisher.communicate()
    if publisher.returncode != 0 or ingest.returncode != 0:
        raise SystemExit(f"a run failed:\n{perr}\n{ierr}")
    inspect = subprocess.run([SLOTLAB, "inspect", store], capture_output=True, text=True).stdout
    shutil.rmtree(store, ignore_errors=True)
    got = dict(
        events=events,
        e2e=events / (end - start) / 1e6,
        ingest=float(re.search(r"([\d.]+)M events/s stored", iout).group(1)),
        publish=float(re.search(r"([\d.]+)M events/s, start", pout).group(1)),
        wire=float(re.search(r"([\d.]+) payload bytes per event", pout).group(1)),
        store=float(re.search(r"= ([\d.]+) B/reading", inspect).group(1)),
        jetstream=nodes.bytes() / events / len(nodes.urls),
        duplicates=int(re.search(r"duplicates (\d+)", iout).group(1)),
        stored=int(re.search(r"stored (\d+)", iout).group(1)),
    )
    p50, p99, pmax = re.search(
        r"p50 ([\d.]+) ms, p99 ([\d.]+) ms, max ([\d.]+) ms", iout).groups()
    got.update(p50=float(p50), p99=float(p99), max=float(pmax))
    if got["stored"] != events + 1:
        raise SystemExit(f"stored {got['stored']} of {events}:\n{iout}")
    return got


def verdict(ok):
    return "met" if ok else "MISSED"


def main():
    print(f"# NATS JetStream end to end ({subprocess.run([SERVER, '--version'], capture_output=True, text=True).stdout.strip()}), "
          f"sensors source, one publisher and one ingest process, {os.cpu_count()} CPUs shared by all")
    results = {}
    for replicas in REPLICAS:
        nodes = Nodes(replicas)
        try:
            full = run(nodes, replicas, f"full{replicas}")
            paced = run(nodes, replicas, f"paced{replicas}", RATE)
            # A replicated stream on this machine may not keep up with RATE
            # (its three servers share the CPUs): half of it too.
            half = run(nodes, replicas, f"half{replicas}", RATE // 2) if replicas > 1 else None
        finally:
            nodes.stop()
        results[replicas] = (full, paced)
        print(f"\n## R{replicas} ({len(nodes.urls)} node{'s' if replicas > 1 else ''})")
        print(f"full speed, {full['events']:,} events: end to end {full['e2e']:.2f}M events/s "
              f"(publish alone {full['publish']:.2f}M/s, ingest start to last ack {full['ingest']:.2f}M/s); "
              f"publish -> durable p50 {full['p50']:.0f} ms, p99 {full['p99']:.0f} ms (a backlog: publishing outruns storing)")
        print(f"at {RATE:,} events/s for {RATE_SECONDS} s: publish -> durable p50 {paced['p50']:.0f} ms, "
              f"p99 {paced['p99']:.0f} ms, max {paced['max']:.0f} ms")
        if half:
            print(f"at {RATE // 2:,} events/s for {RATE_SECONDS} s: publish -> durable p50 {half['p50']:.0f} ms, "
                  f"p99 {half['p99']:.0f} ms, max {half['max']:.0f} ms")
        print(f"bytes per event: {full['wire']:.2f} on the wire, {full['jetstream']:.2f} in JetStream's files "
              f"(per node), {full['store']:.4f} in the store")
    print("\n## Against the goals")
    if 1 in results:
        r1, p1 = results[1]
        print(f"R1 end to end {r1['e2e']:.2f}M events/s, goal >= 5M: {verdict(r1['e2e'] >= 5)} "
              f"(ratio {r1['e2e'] / 5:.2f})")
        print(f"R1 p99 publish -> durable at {RATE:,}/s {p1['p99']:.0f} ms, goal <= 250 ms: "
              f"{verdict(p1['p99'] <= 250)}")
        print(f"wire / store bytes per event: {r1['wire'] / r1['store']:.1f}x")
    if 3 in results:
        r3, p3 = results[3]
        print(f"R3 end to end {r3['e2e']:.2f}M events/s (reported; against R1's 5M: "
              f"{verdict(r3['e2e'] >= 5)}), p99 at {RATE:,}/s {p3['p99']:.0f} ms "
              f"({verdict(p3['p99'] <= 250)} against 250 ms)")

main()
