"""slotlab's census bootstrap: runs a program, then counts what it left alive.

    python3 census.py OUT.json MIN SAMPLE [--apply APPLY.json] [--at exit|signal] -- SCRIPT.py [ARGS...]
    python3 census.py OUT.json MIN SAMPLE [--apply APPLY.json] [--at exit|signal] -- -m MODULE [ARGS...]

--trace on runs the whole program under tracemalloc (exact peak and final
traced heap, reported as traced_peak and traced_end; several times slower).

--at signal also takes a census each time the process receives SIGUSR1
(a service that does not end by itself); each is kept in "snapshots".

APPLY.json ({file: {qualname: [slot, ...]}}) runs the program with those
__slots__ added to those classes, by source transformation: the script
itself, and modules imported from those files through an import hook
(their cached bytecode is not used). Nothing is written to the files.

The program runs as __main__ with its own argv, in this directory and
environment, its output on this process's stdout and stderr. When it ends
(normally, by an exception, or on Ctrl-C) the live objects are counted by
class, exactly (gc.get_objects(): instances of Python classes are always
tracked), and for each class with at least MIN_INSTANCES instances:

- where it is defined (file:line of the class statement) and whether it is
  the user's own code or the standard library / site-packages;
- the attribute sets of up to SAMPLE instances (reading __dict__ makes a
  real dict of an instance in CPython 3.11, so only the sample is read);
- bytes per instance now and with __slots__, measured with tracemalloc on
  1,000 copies built with the same attributes in the same order (values
  shared, not copied, so only the layout differs);
- a verdict and the exact change, in CPython's words where it has them.

The census goes to OUT.json; nothing is printed, the program's output is
its own. slotlab embeds this file; it is also runnable by hand.
"""

import ast
import collections
import dataclasses
import gc
import json
import os
import runpy
import sys
import sysconfig
import time
import traceback
import tracemalloc
import weakref

COPIES = 1000
# Py_TPFLAGS_HEAPTYPE: a class made by a class statement (or type()), not a
# builtin or C extension type.
HEAP_TYPE = 1 << 9


def rss_bytes():
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return None


def with_slots(source, path, changes):
    """The module's code with `__slots__` added to the classes `changes`
    names ({qualname: [slot, ...]}), each after its docstring."""
    tree = ast.parse(source, filename=path)
    for qualname, slots in changes.items():
        node = class_node(tree, qualname)
        if node is None:
            continue
        value = ast.Tuple(elts=[ast.Constant(value=n) for n in slots], ctx=ast.Load())
        assign = ast.Assign(targets=[ast.Name(id="__slots__", ctx=ast.Store())], value=value)
        at = 0
        first = node.body[0]
        if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
                and isinstance(first.value.value, str)):
            at = 1
        ast.copy_location(assign, node.body[at] if at < len(node.body) else node)
        node.body.insert(at, assign)
    ast.fix_missing_locations(tree)
    return compile(tree, path, "exec")


def install_hook(apply):
    """Modules imported from the files `apply` names get their classes'
    __slots__; everything else imports as usual."""
    import importlib.machinery as machinery

    class SlotsLoader(machinery.SourceFileLoader):
        def get_code(self, fullname):
            path = os.path.abspath(self.get_filename(fullname))
            if path in apply:
                return with_slots(self.get_data(path), path, apply[path])
            return super().get_code(fullname)

    # The same loaders the import system uses, the source one replaced.
    details = [
        (machinery.ExtensionFileLoader, machinery.EXTENSION_SUFFIXES),
        (SlotsLoader, machinery.SOURCE_SUFFIXES),
        (machinery.SourcelessFileLoader, machinery.BYTECODE_SUFFIXES),
    ]
    sys.path_hooks.insert(0, machinery.FileFinder.path_hook(*details))
    sys.path_importer_cache.clear()


def run_script(path, apply):
    """Runs a script as __main__ (with its classes changed when asked)."""
    path = os.path.abspath(path)
    if path not in apply:
        return runpy.run_path(path, run_name="__main__")
    import types
    with open(path, "rb") as f:
        code = with_slots(f.read(), path, apply[path])
    module = types.ModuleType("__main__")
    module.__file__ = path
    module.__builtins__ = __builtins__
    saved = sys.modules.get("__main__")
    sys.modules["__main__"] = module
    try:
        exec(code, module.__dict__)
    finally:
        sys.modules["__main__"] = saved
    return module.__dict__


def run_program(target, apply):
    """Runs the program; (how it ended, exit status, last error line, what
    keeps its objects alive)."""
    keep = None
    try:
        if target[0] == "-m":
            sys.argv = [target[1]] + target[2:]
            keep = runpy.run_module(target[1], run_name="__main__", alter_sys=True)
        else:
            sys.argv = list(target)
            sys.path[0] = os.path.dirname(os.path.abspath(target[0]))
            keep = run_script(target[0], apply)
        return "exit", 0, None, keep
    except SystemExit as e:
        code = e.code
        status = code if isinstance(code, int) else (0 if code is None else 1)
        if code is not None and not isinstance(code, int):
            print(code, file=sys.stderr)
        return "exit", status, None, (keep, e)
    except KeyboardInterrupt as e:
        return "interrupted", 130, "KeyboardInterrupt", (keep, e)
    except BaseException as e:  # the program's own failure: census what existed
        traceback.print_exc()
        line = traceback.format_exception_only(type(e), e)[-1].strip()
        return "raised", 1, line, (keep, e)


def library_dirs():
    dirs = set()
    for name in ("stdlib", "platstdlib", "purelib", "platlib"):
        path = sysconfig.get_paths().get(name)
        if path:
            dirs.add(os.path.realpath(path))
    for prefix in (sys.prefix, sys.base_prefix, sys.exec_prefix):
        dirs.add(os.path.realpath(os.path.join(prefix, "lib")))
    return tuple(sorted(dirs))


def is_own(path, libs):
    if not path:
        return False
    real = os.path.realpath(path)
    return not real.startswith(libs) and "site-packages" not in real


def class_file(cls, script):
    """The file defining cls (an absolute path): the first of the script
    (for __main__), its module's file and its functions' files whose source
    has the class statement."""
    candidates = []
    module = sys.modules.get(cls.__module__)
    if cls.__module__ == "__main__" and script:
        candidates.append(script)
    path = getattr(module, "__file__", None)
    if path and not (cls.__module__ == "__main__" and path.endswith("census.py")):
        candidates.append(path)
    for value in vars(cls).values():
        code = getattr(getattr(value, "__func__", value), "__code__", None)
        if code is not None and not code.co_filename.startswith("<"):
            candidates.append(code.co_filename)
    candidates = [os.path.abspath(c) for c in candidates]
    for candidate in candidates:
        if class_node(parse(candidate), cls.__qualname__) is not None:
            return candidate
    return candidates[0] if candidates else None


_trees = {}


def parse(path):
    if path not in _trees:
        try:
            with open(path, "rb") as f:
                _trees[path] = ast.parse(f.read(), filename=path)
        except (OSError, SyntaxError, ValueError):
            _trees[path] = None
    return _trees[path]


def class_node(tree, qualname):
    """The ClassDef of qualname (nested classes and functions followed)."""
    parts = qualname.split(".")

    def find(body, i):
        for node in body:
            if isinstance(node, ast.ClassDef) and node.name == parts[i]:
                if i == len(parts) - 1:
                    return node
                found = find(node.body, i + 1)
                if found:
                    return found
            elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and parts[i] == node.name:
                if i + 1 < len(parts) and parts[i + 1] == "<locals>":
                    found = find(node.body, i + 2)
                    if found:
                        return found
        return None

    return find(tree.body, 0) if tree is not None else None


def insertion(node):
    """Where `__slots__ = ...` goes in a class body: the line it takes (after
    a docstring) and the body's indentation."""
    first = node.body[0]
    line = first.lineno
    if (isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant)
            and isinstance(first.value.value, str)):
        line = first.end_lineno + 1
    return {"insert_line": line, "indent": first.col_offset}


def dict_reads(tree, path):
    """Where the module reads an instance's __dict__ or calls vars(x)."""
    found = []
    if tree is None:
        return found
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and node.attr == "__dict__":
            found.append("%s:%d: .__dict__" % (path, node.lineno))
        elif (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
              and node.func.id == "vars" and node.args):
            found.append("%s:%d: vars()" % (path, node.lineno))
    return found


def measure(make):
    """Bytes per object that make() builds: tracemalloc over COPIES copies
    (the list that holds them is made before tracing starts)."""
    keep = [None] * COPIES
    # No collection inside the window (a full one over a large heap costs
    # more than the copies; tracemalloc counts only what is allocated now).
    enabled = gc.isenabled()
    gc.disable()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    try:
        for i in range(COPIES):
            keep[i] = make()
    finally:
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        if enabled:
            gc.enable()
    return (after - before) / COPIES


def builtin_base(cls):
    """The builtin class whose layout instances extend (object for most)."""
    for base in cls.__mro__:
        if base.__module__ == "builtins":
            return base
    return object


def builder(cls, attrs, values):
    """Makes an instance as __init__ would have: the builtin base's empty
    value, then the attributes in their order (shared values)."""
    new = builtin_base(cls).__new__

    def make():
        obj = new(cls)
        for name, value in zip(attrs, values):
            object.__setattr__(obj, name, value)
        return obj
    return make


def variable_size_base(cls):
    for base in cls.__mro__:
        if base.__module__ == "builtins" and base.__itemsize__ and base is not type:
            return base.__name__
    return None


def has_dict(cls):
    return cls.__dictoffset__ != 0


def describe(cls, count, sample, script, libs):
    path = class_file(cls, script)
    tree = parse(path) if path else None
    node = class_node(tree, cls.__qualname__)
    entry = {
        "module": cls.__module__,
        "qualname": cls.__qualname__,
        "file": path,
        "line": node.lineno if node else None,
        "insert": insertion(node) if node else None,
        "own": is_own(path, libs),
        "instances": count,
        "sampled": len(sample),
        "attr_sets": [],
        "bytes_now": None,
        "bytes_slots": None,
        "verdict": None,
        "reason": None,
        "slots": None,
        "bases": [],
        "weakrefs": False,
    }
    if not has_dict(cls):
        named = issubclass(cls, tuple) and hasattr(cls, "_fields")
        entry["verdict"] = "named tuple" if named else "slotted"
        if sample and not named:
            # Bytes per instance as it is, measured the same way: its slots
            # set in order, from a sampled instance.
            names = []
            for klass in reversed(cls.__mro__):
                declared = vars(klass).get("__slots__", ())
                declared = (declared,) if isinstance(declared, str) else tuple(declared)
                names += [n for n in declared if n not in ("__dict__", "__weakref__")]
            present = [n for n in names if hasattr(sample[0], n)]
            try:
                values = [getattr(sample[0], n) for n in present]
                entry["bytes_now"] = measure(builder(cls, present, values))
            except Exception:
                entry["bytes_now"] = None
        return entry
    sets = collections.Counter()
    values = {}
    for obj in sample:
        d = object.__getattribute__(obj, "__dict__")
        key = tuple(d)
        sets[key] += 1
        values.setdefault(key, tuple(d.values()))
        if not entry["weakrefs"] and weakref.getweakrefcount(obj):
            entry["weakrefs"] = True
    entry["attr_sets"] = [{"attrs": list(k), "instances": n} for k, n in sets.most_common()]
    attrs = sets.most_common(1)[0][0] if sets else ()
    vals = values.get(attrs, ())
    try:
        entry["bytes_now"] = measure(builder(cls, attrs, vals))
    except Exception:
        entry["bytes_now"] = None
    slots = tuple(attrs) + (("__weakref__",) if entry["weakrefs"] else ())
    try:
        surrogate = type(cls.__name__, (builtin_base(cls),), {"__slots__": slots})
        entry["bytes_slots"] = measure(builder(surrogate, attrs, vals))
    except Exception:
        entry["bytes_slots"] = None
    verdict = None
    base = variable_size_base(cls)
    conflicts = [a for a in attrs if a in vars(cls)]
    # A class attribute of a base with a slot's name: the slot would hide
    # the default every instance that never set it reads today.
    shadowed = [(a, b) for a in attrs for b in cls.__mro__[1:]
                if b is not object and a in vars(b)]
    reads = []
    if path and entry["own"]:
        reads = dict_reads(tree, path)
    bases = []
    foreign = []
    for b in cls.__mro__[1:]:
        if b is object or not has_dict(b):
            continue
        if "__slots__" in vars(b):
            continue
        bpath = class_file(b, script)
        # A base can take the change when whoever can change the class can
        # change it too: your code for your classes; the same package for a
        # library's (its maintainers' change).
        same_hands = (is_own(bpath, libs) if entry["own"]
                      else b.__module__.split(".")[0] == cls.__module__.split(".")[0])
        if b.__module__ == "builtins" or not same_hands:
            foreign.append("%s.%s" % (b.__module__, b.__qualname__))
            continue
        bnode = class_node(parse(bpath), b.__qualname__) if bpath else None
        bases.append({"name": "%s.%s" % (b.__module__, b.__qualname__),
                      "qualname": b.__qualname__, "file": bpath,
                      "line": bnode.lineno if bnode else None,
                      "insert": insertion(bnode) if bnode else None})
    # CPython decides whether the class can be made with these slots over
    # its own bases: a layout conflict between bases is found here, in its
    # own words. (A base's __init_subclass__ runs for the trial class.)
    layout = None
    if not (dataclasses.is_dataclass(cls) or base or len(sets) > 1 or conflicts):
        # Bases that still have a __dict__ have __weakref__ too today; after
        # the change (`__slots__ = ()` on them) they will not, so the trial
        # leaves "__weakref__" out where a base still has one.
        has_weakref = any(b.__weakrefoffset__ for b in cls.__bases__)
        trial = tuple(n for n in slots if n != "__weakref__" or not has_weakref)
        try:
            type(cls.__name__, cls.__bases__,
                 {"__slots__": trial, "__module__": cls.__module__,
                  "__qualname__": cls.__qualname__})
        except (TypeError, ValueError) as e:
            layout = str(e)
        except Exception:
            pass
    if dataclasses.is_dataclass(cls):
        verdict, reason = "dataclass", "@dataclass(slots=True) (Python 3.10+) gives it __slots__"
    elif base:
        verdict, reason = "blocked", "nonempty __slots__ not supported for subtype of '%s'" % base
    elif len(sets) > 1:
        verdict, reason = "blocked", "instances have %d different attribute sets" % len(sets)
    elif conflicts:
        verdict, reason = "blocked", "%r in __slots__ conflicts with class variable (move the default into __init__)" % conflicts[0]
    elif layout:
        verdict, reason = "blocked", layout
    elif shadowed:
        name, owner = shadowed[0]
        verdict, reason = "blocked", (
            "%r is also a class attribute of base %s: a slot would hide that default "
            "(move it into __init__)" % (name, owner.__qualname__))
    elif reads:
        verdict, reason = "blocked", "its module reads __dict__ or calls vars(): " + "; ".join(reads[:3])
    elif foreign:
        verdict, reason = "blocked", "base %s keeps a __dict__ and is not %s" % (
            foreign[0], "your code" if entry["own"] else "in the same package")
    else:
        verdict, reason = "ready", None
        entry["slots"] = list(slots)
        entry["bases"] = bases
    entry["verdict"], entry["reason"] = verdict, reason
    return entry


def peak_rss_bytes():
    """The resident set's high-water mark so far (VmHWM), when known."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def census(min_instances, sample_max, script, meta):
    peak_before = peak_rss_bytes()
    rss_at_end = rss_bytes()  # the program's, before the census adds its lists
    # The yardstick, in the same run: a bare walk, gc.get_objects() and
    # one pass over what it returns.
    t0 = time.perf_counter()
    for _ in gc.get_objects():
        pass
    walked = time.perf_counter() - t0
    t0 = time.perf_counter()
    objs = gc.get_objects()
    types = list(map(type, objs))
    counts = collections.Counter(types)
    counted = time.perf_counter() - t0
    wanted = [cls for cls, n in counts.items()
              if n >= min_instances and isinstance(cls, type)
              and cls.__flags__ & HEAP_TYPE]
    libs = library_dirs()
    t1 = time.perf_counter()
    classes = []
    for cls in wanted:
        sample = []
        at = -1
        for _ in range(min(sample_max, counts[cls])):
            try:
                at = types.index(cls, at + 1)
            except ValueError:
                break
            sample.append(objs[at])
        try:
            classes.append(describe(cls, counts[cls], sample, script, libs))
        except Exception as e:  # a class the census cannot read is said, not fatal
            classes.append({"module": cls.__module__, "qualname": cls.__qualname__,
                            "instances": counts[cls], "verdict": "unreadable",
                            "reason": "%s: %s" % (type(e).__name__, e)})
        del sample
    sampled = time.perf_counter() - t1
    total = len(objs)
    del objs, types
    meta.update(objects=total, walk_s=walked, counted_s=counted, sampled_s=sampled,
                classes=classes, peak_rss_before=peak_before, peak_rss_after=peak_rss_bytes(),
                rss_bytes=rss_at_end, min_instances=min_instances, sample_max=sample_max,
                copies=COPIES, python_version=sys.version.split()[0])
    return meta


def main():
    out, min_instances, sample_max = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    rest = sys.argv[4:]
    apply, at, trace = {}, "exit", False
    while rest and rest[0] != "--":
        option, value, rest = rest[0], rest[1], rest[2:]
        if option == "--apply":
            with open(value) as f:
                apply = {os.path.abspath(k): v for k, v in json.load(f).items()}
            sys.dont_write_bytecode = True
            install_hook(apply)
        elif option == "--at":
            at = value
        elif option == "--trace":
            trace = value == "on"
        else:
            sys.exit("census.py: unknown option %s" % option)
    target = rest[1:] if rest else []
    if not target or (target[0] == "-m" and len(target) < 2):
        sys.exit("census.py: no program given")
    script = None if target[0] == "-m" else os.path.abspath(target[0])
    started = time.perf_counter()
    snapshots = []
    if at == "signal":
        import signal

        def snapshot(signum, frame):
            meta = {"ended": "snapshot", "status": 0, "error": None,
                    "program_s": time.perf_counter() - started}
            snapshots.append(census(min_instances, sample_max, script, meta))
            print("slotlab census: snapshot %d taken after %.1f s (%d objects)"
                  % (len(snapshots), meta["program_s"], snapshots[-1]["objects"]),
                  file=sys.stderr, flush=True)

        signal.signal(signal.SIGUSR1, snapshot)
    if trace:
        # The whole program under tracemalloc: its peak and final traced
        # heap, exact (and the program several times slower).
        tracemalloc.start()
    ended, status, error, keep = run_program(target, apply)
    meta = {"ended": ended, "status": status, "error": error,
            "program_s": time.perf_counter() - started}
    if trace and tracemalloc.is_tracing():
        meta["traced_end"], meta["traced_peak"] = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    result = census(min_instances, sample_max, script, meta)
    result["snapshots"] = snapshots
    del keep
    with open(out, "w") as f:
        json.dump(result, f)
    sys.exit(status if 0 <= status < 256 else 1)


if __name__ == "__main__":
    main()
