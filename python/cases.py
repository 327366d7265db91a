"""Runs one slotlab case under CPython and prints its figures as one JSON object.

    python3 cases.py CASE N MODE WARMUP REPEAT
    python3 cases.py explain CASE
    python3 cases.py access CASE N WARMUP REPEAT
    python3 cases.py gc CASE N REPEAT
    python3 cases.py states dict N SCENARIOS
    python3 cases.py hold FILE

CASE   table | dict | slots | dataclass | dataclass_slots | namedtuple | typed_namedtuple | tuple
MODE   tracemalloc  the lesson's protocol: tracing on, peak = tracemalloc's traced peak
       untraced     no tracing (tracemalloc slows allocation several times); memory is
                    the growth of the resident set (VmRSS) and of sys.getallocatedblocks()

`explain` prints where one reading's bytes go instead (see explain()); `states` runs
slotlab's __dict__ demonstrations and reads each object's state from the interpreter (see
states()); `hold` builds one slotted object per event of a file slotlab wrote (see hold()).

Each repetition: build N readings (timestamp=i, value=i*0.1) in a list, then sum .value,
timed with perf_counter as one window, exactly as the lesson does. slotlab runs every case
in a fresh interpreter. The Rust side embeds this file; it is also runnable by hand.
"""

import collections
import dataclasses
import gc
import json
import os
import sys
import time
import tracemalloc
import typing


class ReadingTable:
    """A dict of its own per instance: the lesson's description of __dict__.
    Assigning __dict__ replaces CPython 3.11's shared keys and inline values
    with a plain dict (a combined table: keys and values together)."""

    def __init__(self, t, v):
        self.__dict__ = {"timestamp": t, "value": v}


class ReadingDict:
    def __init__(self, t, v):
        self.timestamp = t
        self.value = v


class ReadingSlots:
    __slots__ = ("timestamp", "value")

    def __init__(self, t, v):
        self.timestamp = t
        self.value = v


@dataclasses.dataclass
class ReadingDataclass:
    timestamp: int
    value: float


if sys.version_info >= (3, 10):

    @dataclasses.dataclass(slots=True)
    class ReadingDataclassSlots:
        timestamp: int
        value: float

else:
    ReadingDataclassSlots = None

ReadingNamedTuple = collections.namedtuple("ReadingNamedTuple", ["timestamp", "value"])


class ReadingTypedNamedTuple(typing.NamedTuple):
    timestamp: int
    value: float


def reading_tuple(t, v):
    return (t, v)


# case -> (constructor, reads .value by attribute?)
CASES = {
    "table": (ReadingTable, True),
    "dict": (ReadingDict, True),
    "slots": (ReadingSlots, True),
    "dataclass": (ReadingDataclass, True),
    "dataclass_slots": (ReadingDataclassSlots, True),
    "namedtuple": (ReadingNamedTuple, True),
    "typed_namedtuple": (ReadingTypedNamedTuple, True),
    "tuple": (None, False),
}


def build(case, n):
    if case == "tuple":
        return [(i, i * 0.1) for i in range(n)]
    cls = CASES[case][0]
    return [cls(i, i * 0.1) for i in range(n)]


def total(case, data):
    if case == "tuple":
        return sum(r[1] for r in data)
    return sum(r.value for r in data)


def rss_bytes():
    """Resident set size now, or None where /proc is missing."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def one_run(case, n, mode):
    gc.collect()
    if mode == "tracemalloc":
        tracemalloc.start()
        start = time.perf_counter()
        data = build(case, n)
        built = time.perf_counter()
        result = total(case, data)
        end = time.perf_counter()
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        blocks = None
    else:
        rss_before = rss_bytes()
        blocks_before = sys.getallocatedblocks()
        start = time.perf_counter()
        data = build(case, n)
        built = time.perf_counter()
        result = total(case, data)
        end = time.perf_counter()
        rss_after = rss_bytes()
        blocks = sys.getallocatedblocks() - blocks_before
        peak = None if rss_before is None else rss_after - rss_before
    del data
    return end - start, end - built, peak, blocks, result


def anatomy(case):
    """sys.getsizeof of one reading and of its __dict__, where it has one."""
    obj = reading_tuple(1, 0.1) if case == "tuple" else CASES[case][0](1, 0.1)
    d = getattr(obj, "__dict__", None) if case != "tuple" else None
    return {
        "getsizeof_instance": sys.getsizeof(obj),
        "getsizeof_dict": None if d is None else sys.getsizeof(d),
    }


def explain(case, n=10_000):
    """Where one reading's bytes go, by every measure CPython users meet."""
    import struct

    obj = reading_tuple(500_000, 50_000.0) if case == "tuple" else CASES[case][0](500_000, 50_000.0)
    cls = type(obj)
    out = {
        "case": case,
        "python_version": sys.version.split()[0],
        "pointer_bytes": struct.calcsize("P"),
        "basicsize": cls.__basicsize__,
        "itemsize": cls.__itemsize__,
        "gc_tracked": gc.is_tracked(obj),
        "getsizeof_instance": sys.getsizeof(obj),
        "getsizeof_int": sys.getsizeof(500_000),
        "getsizeof_float": sys.getsizeof(50_000.0),
    }
    gc.collect()
    tracemalloc.start()
    data = build(case, n)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    del data
    out["tracemalloc_per_reading"] = peak / n
    out["tracemalloc_n"] = n
    try:
        from pympler import asizeof

        out["asizeof_instance"] = asizeof.asizeof(obj)
        out["asizeof_note"] = None
    except ImportError:
        out["asizeof_instance"] = None
        out["asizeof_note"] = "pympler is not installed (pip install pympler)"
    # Last, because in 3.11 reading __dict__ makes a real dict where the
    # instance kept its values inline until then (asizeof reads it too).
    d = getattr(obj, "__dict__", None) if case != "tuple" else None
    out["getsizeof_dict"] = None if d is None else sys.getsizeof(d)
    return out


MANAGED_DICT = 1 << 4  # Py_TPFLAGS_MANAGED_DICT (3.11)


def dict_state(obj):
    """Where CPython 3.11 keeps obj's attributes now, read where the interpreter keeps them
    (Include/internal/pycore_object.h: the values pointer 4 words before the object, the dict
    pointer 3 words before it; Include/cpython/dictobject.h: a dict's ma_values, 5 words in,
    is NULL for a combined table). None where the layout is not 3.11's."""
    if sys.version_info[:2] != (3, 11) or not type(obj).__flags__ & MANAGED_DICT:
        return None
    import ctypes

    word = ctypes.sizeof(ctypes.c_void_p)

    def at(address):
        return ctypes.c_void_p.from_address(address).value

    if at(id(obj) - 4 * word):
        return "inline"
    d = at(id(obj) - 3 * word)
    if not d:
        return "absent"
    return "shared" if at(d + 5 * word) else "own"


def states(n, scenarios):
    """Each scenario on N objects of a fresh plain class: after each step, how many objects
    are in each state and tracemalloc's bytes per object since the scenario began."""
    out = []
    for scenario in scenarios:
        Reading = type("Reading", (), {})
        gc.collect()
        tracemalloc.start()
        start = tracemalloc.get_traced_memory()[0]
        objs = [None] * n
        steps = []
        for step in scenario["steps"]:
            kind, arg = (step, None) if isinstance(step, str) else next(iter(step.items()))
            if kind == "build":
                for i in range(n):
                    r = Reading()
                    r.timestamp = i
                    r.value = i * 0.1
                    objs[i] = r
            elif kind == "new":
                for i in range(n):
                    objs[i] = Reading()
            elif kind == "new_wide":
                names = ["k%d" % k for k in range(arg)]
                for i in range(n):
                    r = Reading()
                    for name in names:
                        setattr(r, name, None)
                    objs[i] = r
            elif kind == "set":
                for r in objs:
                    setattr(r, arg, None)
            elif kind == "del":
                for r in objs:
                    delattr(r, arg)
            elif kind == "vars":
                for r in objs:
                    vars(r)
            else:
                sys.exit(f"unknown step: {step}")
            held = (tracemalloc.get_traced_memory()[0] - start) / n
            counts = {}
            for r in objs:
                state = dict_state(r)
                if state is not None:
                    counts[state] = counts.get(state, 0) + 1
            size = sys.getsizeof(objs[-1]) if objs else None
            steps.append({"states": counts, "bytes_per_object": held, "getsizeof": size})
        tracemalloc.stop()
        del objs
        out.append(steps)
    return out


def access(case, n, warmup, repeat):
    """Times reading and writing r.value over N objects, and an empty loop."""
    data = build(case, n)

    def read():
        total = 0.0
        for r in data:
            total += r.value
        return total

    def write():
        x = 0.5
        for r in data:
            r.value = x

    def empty():
        for r in data:
            pass

    first_sum = read()
    times = {"read_s": [], "write_s": [], "empty_s": []}
    for i in range(warmup + repeat):
        for name, fn in (("read_s", read), ("write_s", write), ("empty_s", empty)):
            start = time.perf_counter()
            fn()
            elapsed = time.perf_counter() - start
            if i >= warmup:
                times[name].append(elapsed)
    return {"case": case, "n": n, "first_sum": first_sum, "last_sum": read(), **times}


def gc_pauses(case, n, repeat):
    """Every collection during the build (gc.callbacks), then full
    gc.collect() pauses with all N alive, then freeing them all."""
    gc.collect()
    pauses = []
    started = [0.0]

    def callback(phase, info):
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append(time.perf_counter() - started[0])

    gc.callbacks.append(callback)
    data = build(case, n)
    checksum = total(case, data)
    gc.callbacks.remove(callback)
    full = []
    for _ in range(repeat):
        start = time.perf_counter()
        gc.collect()
        full.append(time.perf_counter() - start)
    tracked = sum(1 for o in gc.get_objects() if type(o).__name__.startswith("Reading"))
    start = time.perf_counter()
    del data
    free = time.perf_counter() - start
    return {
        "case": case, "n": n, "checksum": checksum, "build_pauses_s": pauses,
        "full_collect_s": full, "free_s": free, "tracked_readings": tracked,
    }


def event_class(names):
    """A class with __slots__ = names and an __init__ taking them in order."""
    namespace = {"__slots__": tuple(names)}
    source = "def __init__(self, %s):\n" % ", ".join(names)
    source += "".join("    self.%s = %s\n" % (n, n) for n in names)
    exec(source, namespace)
    return type("Event", (), namespace)


def hold(path):
    """Builds one slotted object per event in PATH under tracemalloc.

    PATH: one JSON line {"n", "keys", "kinds": ["f64"|"i64", ...]}, then little-endian
    columns: series (u32, only with more than one key), timestamps (i64), each field.
    Series keys are shared interned strings, as a real ingester would keep them.
    """
    import array

    with open(path, "rb") as f:
        header = json.loads(f.readline())
        n = header["n"]

        def column(code):
            values = array.array(code)
            values.frombytes(f.read(values.itemsize * n))
            if sys.byteorder != "little":
                values.byteswap()
            if len(values) != n:
                sys.exit("%s: cut short" % path)
            return values

        keyed = len(header["keys"]) > 1
        series = column("I") if keyed else None
        timestamps = column("q")
        fields = [column("d" if kind == "f64" else "q") for kind in header["kinds"]]
    keys = [sys.intern(k) for k in header["keys"]]
    # Generic names: the file's own names may not be identifiers.
    names = (["series"] if keyed else []) + ["timestamp"] + ["f%d" % i for i in range(len(fields))]
    cls = event_class(names)
    gc.collect()
    tracemalloc.start()
    start = time.perf_counter()
    if keyed:
        data = [cls(keys[s], *row) for s, *row in zip(series, timestamps, *fields)]
    else:
        data = [cls(*row) for row in zip(timestamps, *fields)]
    build = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return {"n": len(data), "peak_bytes": peak, "build_s": build,
            "python_version": sys.version.split()[0]}


def main(argv):
    if len(argv) == 3 and argv[1] == "hold":
        print(json.dumps(hold(argv[2])))
        return
    if len(argv) == 5 and argv[1] == "gc" and argv[2] in ("table", "dict", "slots", "dataclass_slots"):
        if argv[2] == "dataclass_slots" and ReadingDataclassSlots is None:
            print(json.dumps({"skipped": "dataclass(slots=True) needs Python 3.10 or later"}))
        else:
            print(json.dumps(gc_pauses(argv[2], int(argv[3]), int(argv[4]))))
        return
    if len(argv) == 6 and argv[1] == "access" and argv[2] in ("table", "dict", "slots", "dataclass_slots"):
        if argv[2] == "dataclass_slots" and ReadingDataclassSlots is None:
            print(json.dumps({"skipped": "dataclass(slots=True) needs Python 3.10 or later"}))
        else:
            print(json.dumps(access(argv[2], int(argv[3]), int(argv[4]), int(argv[5]))))
        return
    if len(argv) == 5 and argv[1] == "states" and argv[2] == "dict":
        print(json.dumps(states(int(argv[3]), json.loads(argv[4]))))
        return
    if len(argv) == 3 and argv[1] == "explain" and argv[2] in CASES:
        if argv[2] == "dataclass_slots" and ReadingDataclassSlots is None:
            print(json.dumps({"skipped": "dataclass(slots=True) needs Python 3.10 or later"}))
        else:
            print(json.dumps(explain(argv[2])))
        return
    if len(argv) != 6:
        sys.exit(__doc__)
    case, n, mode, warmup, repeat = argv[1], int(argv[2]), argv[3], int(argv[4]), int(argv[5])
    if case not in CASES or mode not in ("tracemalloc", "untraced"):
        sys.exit(f"unknown case or mode: {case} {mode}")
    info = {"case": case, "n": n, "mode": mode, "python_version": sys.version.split()[0]}
    if case == "dataclass_slots" and ReadingDataclassSlots is None:
        info["skipped"] = "dataclass(slots=True) needs Python 3.10 or later"
        print(json.dumps(info))
        return
    for _ in range(warmup):
        one_run(case, n, mode)
    runs = [one_run(case, n, mode) for _ in range(repeat)]
    peaks = [r[2] for r in runs if r[2] is not None]
    blocks = [r[3] for r in runs if r[3] is not None]
    info.update(
        warmup=warmup,
        samples_s=[r[0] for r in runs],
        iterate_s=[r[1] for r in runs],
        peak_bytes=max(peaks) if peaks else None,
        allocated_blocks=max(blocks) if blocks else None,
        sum=runs[-1][4],
        **anatomy(case),
    )
    print(json.dumps(info))


if __name__ == "__main__":
    main(sys.argv)
