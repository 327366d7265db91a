"""The durable store side by side with DuckDB's native storage and Parquet
(pyarrow), and the store's throughput, in one run on this machine.

Usage: python compare.py PATH/TO/slotlab   (bench/store/run sets it up)

Bytes: every dataset goes into a slotlab store first (ingest --store); the
store exports it as CSV, and DuckDB and pyarrow read that CSV, so all hold
the same events in the same order (series by series, then time). The store
is measured on disk after its close: its segment files per reading, and its
fixed overhead (MANIFEST, and the WAL's series names) separately. DuckDB:
the compressed segment sizes from pragma_storage_info (a segment's size is
the next segment's offset in its block; each column is stored twice so a
real column's segment is rarely the last in a block, where the block's end
bounds it), fixed blocks and the catalog left out. Parquet: whole files.
"""
import json
import os
import re
import subprocess
import sys
import tempfile
import time

import duckdb
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

SLOTLAB = sys.argv[1]
ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
WORK = tempfile.mkdtemp(prefix="slotlab-bench-")
EVENTS = int(os.environ.get("BENCH_EVENTS", "100000000"))
SENSORS = int(os.environ.get("BENCH_SENSORS", "1000000"))
BLOCK = 256 * 1024


def slotlab(*args):
    return subprocess.run([SLOTLAB, *args], check=True, capture_output=True, text=True)


def store_files(path):
    sizes = {f: os.path.getsize(os.path.join(path, f)) for f in os.listdir(path)}
    segments = sum(v for k, v in sizes.items() if k.endswith(".seg"))
    fixed = sizes.get("MANIFEST", 0) + sizes.get("wal.log", 0)
    return segments, fixed


def duckdb_bytes(table):
    con = duckdb.connect(os.path.join(tempfile.mkdtemp(dir=WORK), "peer.duckdb"))
    con.register("src", table)
    cols = table.column_names
    twice = [f'"{c}"' for c in cols] + [f'"{c}" AS "{c}__again"' for c in cols]
    con.execute(f"CREATE TABLE t AS SELECT {', '.join(twice)} FROM src")
    con.execute("CHECKPOINT")
    segs = con.execute(
        "SELECT column_name, compression, block_id, block_offset FROM pragma_storage_info('t') "
        "WHERE segment_type <> 'VALIDITY' AND persistent ORDER BY block_id, block_offset"
    ).fetchall()
    total, compressions = 0, {}
    for i, (name, compression, block, offset) in enumerate(segs):
        if name not in cols:
            continue
        nxt = segs[i + 1] if i + 1 < len(segs) else None
        end = nxt[3] if nxt is not None and nxt[2] == block else BLOCK
        total += end - offset
        compressions.setdefault(name, set()).add(compression)
    con.close()
    return total, compressions


def parquet_bytes(table, label, **kw):
    path = os.path.join(WORK, label + ".parquet")
    pq.write_table(table, path, **kw)
    return os.path.getsize(path)


def bytes_side_by_side(name, store, n_hint):
    csv = os.path.join(WORK, name + ".csv")
    slotlab("export", store, "--out", csv)
    table = pacsv.read_csv(csv, convert_options=pacsv.ConvertOptions(
        column_types={"series": pa.string(), "timestamp": pa.int64()}))
    if all(v in (None, "") for v in table.column("series").to_pylist()[:1000]) and \
            table.column("series").null_count in (0, len(table)):
        if set(table.column("series").to_pylist()) <= {None, ""}:
            table = table.drop_columns(["series"])
    n = len(table)
    values = [c for c in table.column_names if c not in ("series", "timestamp")]
    ours = os.path.join(WORK, name + ".slotlab.parquet")
    slotlab("export", store, "--out", ours)
    segments, fixed = store_files(store)
    duck, compressions = duckdb_bytes(table)
    dictionary = ["series"] if "series" in table.column_names else False
    parquet = {
        "pyarrow zstd": parquet_bytes(table, name + "-zstd", compression="zstd"),
        "pyarrow zstd22+bss+delta": parquet_bytes(
            table, name + "-best", compression="zstd", compression_level=22,
            use_dictionary=dictionary,
            column_encoding={**{c: "BYTE_STREAM_SPLIT" for c in values},
                             "timestamp": "DELTA_BINARY_PACKED"}),
        "slotlab export": os.path.getsize(ours),
    }
    best = min(v for k, v in parquet.items() if k.startswith("pyarrow"))
    per = lambda b: b / n
    print(f"\n{name}: {n:,} readings ({', '.join(table.column_names)})")
    print(f"  slotlab store        {per(segments):7.4f} B/reading in segments; fixed overhead {fixed} B "
          f"(MANIFEST + WAL series names) = {per(segments + fixed):.4f} with it")
    print(f"  DuckDB native        {per(duck):7.4f} B/reading "
          f"({'; '.join(f'{c}: {sorted(v)}' for c, v in compressions.items())})")
    for label, b in parquet.items():
        print(f"  Parquet {label:<24} {per(b):7.4f} B/reading")
    print(f"  store ÷ DuckDB = {segments / duck:.2f} (goal ≤ 0.6); "
          f"store ÷ best pyarrow Parquet = {segments / best:.2f} (goal ≤ 0.6); "
          f"with the fixed overhead: {(segments + fixed) / duck:.2f} and {(segments + fixed) / best:.2f}")


def events_per_s(*args):
    out = slotlab("--quiet", "ingest", "--format", "json", *args)
    row = json.loads(out.stdout)["measurements"][0]["extra"]
    assert row["verified"] == 1.0, row
    return row["events_per_s"]


def best_of(k, f):
    return max(f() for _ in range(k))


def main():
    print(f"machine: {os.cpu_count()} cores; work in {WORK}; slotlab {slotlab('--version').stdout.strip()}")
    print(f"duckdb {duckdb.__version__}, pyarrow {pa.__version__}")
    print("\n== bytes on disk, same events ==")
    seattle = os.path.join(WORK, "seattle.store")
    slotlab("--quiet", "ingest", "--source", os.path.join(ROOT, "data/seattle-temps-2010.csv"),
            "--store", seattle)
    bytes_side_by_side("seattle-temps-2010", seattle, 8759)
    sensors = os.path.join(WORK, "sensors.store")
    slotlab("--quiet", "ingest", "--source", "sensors", "--events", str(SENSORS), "--store", sensors)
    bytes_side_by_side(f"sensors-{SENSORS}", sensors, SENSORS)

    print("\n== throughput (sensors source; best of 2 runs each, alternated) ==")
    n = min(EVENTS, 20_000_000)
    mem, same, dur = [], [], []
    for i in range(2):
        mem.append(events_per_s("--source", "sensors", "--events", str(n), "--sink", "stream"))
        same.append(events_per_s("--source", "sensors", "--events", str(n), "--sink", "stream",
                                 "--chunk", "16384", "--codecs", "smallest"))
        d = os.path.join(WORK, f"rate{i}.store")
        dur.append(events_per_s("--source", "sensors", "--events", str(n), "--store", d))
    print(f"  ingest {n:,} events: --store (its defaults: 16,384-event chunks, smallest codecs; WAL "
          f"synced every 100 ms, chunks to segments, closed) {max(dur) / 1e6:.1f}M/s (goal ≥ 5M/s) = "
          f"{max(dur) / max(same):.0%} of the same chunks and codecs in memory ({max(same) / 1e6:.1f}M/s) "
          f"and {max(dur) / max(mem):.0%} of the in-memory default (4,096, hand-written codecs: "
          f"{max(mem) / 1e6:.1f}M/s)")

    big = os.path.join(WORK, "big.store")
    aligned = os.path.join(WORK, "big-aligned.store")
    slotlab("--quiet", "ingest", "--source", "sensors", "--events", str(EVENTS), "--store", big)
    slotlab("--quiet", "ingest", "--source", "sensors", "--events", str(EVENTS), "--store", aligned,
            "--chunk-span", "1h")
    for label, path in [("default chunks", big), ("--chunk-span 1h", aligned)]:
        times, how = [], ""
        for _ in range(3):
            start = time.perf_counter()
            out = slotlab("query", path, "--agg", "count,mean", "--every", "1h", "--out", os.devnull)
            times.append(time.perf_counter() - start)
            how = out.stderr.strip().splitlines()[-1]
        segments, fixed = store_files(path)
        print(f"  hourly count+mean over {EVENTS:,} stored events ({label}; {segments / EVENTS:.4f} B/reading): "
              f"{min(times):.3f} s end to end, best of 3, the store opened and read (goal < 1 s) — {how}")
    rates = []
    for _ in range(2):
        out = slotlab("export", big, "--out", os.path.join(WORK, "big.parquet"))
        rates.append(float(re.search(r"encoding ([0-9.]+)M events/s", out.stderr).group(1)))
    print(f"  export {EVENTS:,} events to Parquet: {max(rates):.1f}M events/s encoding (best of 2; goal ≥ 20M)")


if __name__ == "__main__":
    main()
