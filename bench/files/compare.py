#!/usr/bin/env python3
"""File ingestion, side by side in one run: slotlab, DuckDB, msgspec, CPython's json.

Usage: compare.py SLOTLAB [LINES]

Writes one NDJSON file and the same events as CSV (LINES events, 50 series, an epoch-ms
timestamp and two float fields), then reads each file with every tool, several times, and
prints lines per second (the median run, wall clock around the whole read) and the ratios
the throughput issue judges: slotlab's NDJSON >= 1.5x DuckDB's read_json, its CSV >= DuckDB's
read_csv. slotlab and DuckDB take turns (a run of each per round) and each ratio is the
median of the rounds' own ratios, so load on a shared machine falls on both alike. slotlab runs as its own process (`ingest --sink stream`, start to exit); DuckDB
and the Python readers run in this interpreter, timed around the read alone (their process
start and imports not counted: that favours them).
"""
import atexit, csv, json, os, random, shutil, statistics, subprocess, sys, tempfile, time

slotlab = sys.argv[1]
lines = int(float(sys.argv[2])) if len(sys.argv) > 2 else 2_000_000
runs = int(os.environ.get("BENCH_RUNS", "3"))
work = tempfile.mkdtemp(prefix="slotlab-files-")
atexit.register(shutil.rmtree, work, ignore_errors=True)
ndjson = os.path.join(work, "events.ndjson")
csv_path = os.path.join(work, "events.csv")

rng = random.Random(42)
series = [f"sensor-{k:03d}" for k in range(50)]
temps = [rng.uniform(15, 25) for _ in series]
start = 1_767_225_600_000
with open(ndjson, "w") as nd, open(csv_path, "w", newline="") as cf:
    w = csv.writer(cf)
    w.writerow(["time", "sensor", "temperature", "humidity"])
    for i in range(lines):
        k = i % len(series)
        temps[k] += rng.choice((-0.01, 0.0, 0.01))
        t = start + (i // len(series)) * 1000 + rng.randrange(5)
        temp = round(temps[k], 2)
        hum = round(rng.uniform(30, 70), 1)
        nd.write(json.dumps({"time": t, "sensor": series[k], "temperature": temp, "humidity": hum}) + "\n")
        w.writerow([t, series[k], temp, hum])
size = os.path.getsize(ndjson)
print(f"{lines} lines, 50 series, two float fields: NDJSON {size / 1e6:.0f} MB, CSV {os.path.getsize(csv_path) / 1e6:.0f} MB")


def timed(read):
    t0 = time.perf_counter()
    n = read()
    elapsed = time.perf_counter() - t0
    assert n == lines, f"read {n} of {lines}"
    return elapsed


def median_rate(read):
    return lines / statistics.median(timed(read) for _ in range(runs))


def slotlab_read(path):
    def read():
        out = subprocess.run([slotlab, "ingest", "--source", path, "--sink", "stream", "--series-field", "sensor",
                              "--quiet", "--format", "json"], check=True, capture_output=True, text=True)
        rows = json.loads(out.stdout)["measurements"]
        return int(rows[0]["extra"]["stored"])
    return read


# slotlab and DuckDB, whose ratios are the goals, take turns: one run each
# per round, so a stretch of load on this shared machine falls on both
# rather than on whichever ran then.
paired = {"slotlab ndjson": slotlab_read(ndjson), "slotlab csv": slotlab_read(csv_path)}
try:
    import duckdb

    print(f"duckdb {duckdb.__version__}")

    def duck(query):
        def read():
            con = duckdb.connect()
            con.execute(f"CREATE TABLE t AS SELECT * FROM {query}")
            n = con.execute("SELECT count(*) FROM t").fetchone()[0]
            con.close()
            return n
        return read

    threads = os.cpu_count() or 1
    paired[f"duckdb read_json ({threads} threads)"] = duck(f"read_json('{ndjson}', format='newline_delimited')")
    paired[f"duckdb read_csv ({threads} threads)"] = duck(f"read_csv('{csv_path}', header=true)")
except ImportError:
    print("duckdb not installed: its rows skipped (pip install duckdb)")
times = {name: [] for name in paired}
for _ in range(runs):
    for name, read in paired.items():
        times[name].append(timed(read))
rates = {name: lines / statistics.median(ts) for name, ts in times.items()}
try:
    import msgspec

    class Event(msgspec.Struct):
        time: int
        sensor: str
        temperature: float
        humidity: float

    decoder = msgspec.json.Decoder(Event)

    def msgspec_read():
        with open(ndjson, "rb") as f:
            return len([decoder.decode(line) for line in f])

    rates["msgspec Struct (ndjson)"] = median_rate(msgspec_read)
except ImportError:
    print("msgspec not installed: its row skipped (pip install msgspec)")


class Reading:
    __slots__ = ("time", "sensor", "temperature", "humidity")

    def __init__(self, d):
        self.time, self.sensor, self.temperature, self.humidity = d["time"], d["sensor"], d["temperature"], d["humidity"]


def cpython_read():
    with open(ndjson) as f:
        return len([Reading(json.loads(line)) for line in f])


rates["CPython json + slots class (ndjson)"] = median_rate(cpython_read)

print(f"\nlines per second, median of {runs} runs (one machine, one run of this script; "
      "slotlab and DuckDB in turns):")
for name, rate in rates.items():
    print(f"  {name:<40} {rate / 1e6:8.2f} M lines/s")


def goal(what, ours, theirs, target):
    """The speed ratio in each round (their time over ours), its median
    judged against the target."""
    if theirs is None:
        print(f"  goal: {what}: not measured (DuckDB missing)")
        return
    ratios = sorted(t / o for o, t in zip(times[ours], times[theirs]))
    ratio = statistics.median(ratios)
    verdict = "met" if ratio >= target else f"MISSED by {(target - ratio) / target * 100:.0f}%"
    print(f"  goal: {what}: measured {ratio:.2f}x (median of {runs} rounds, "
          f"{ratios[0]:.2f}-{ratios[-1]:.2f}) -> {verdict}")


json_peer = next((n for n in times if n.startswith("duckdb read_json")), None)
csv_peer = next((n for n in times if n.startswith("duckdb read_csv")), None)
print()
goal("slotlab NDJSON >= 1.5x DuckDB read_json", "slotlab ndjson", json_peer, 1.5)
goal("slotlab CSV >= DuckDB read_csv", "slotlab csv", csv_peer, 1.0)
