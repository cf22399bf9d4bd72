"""Time rnnkit's SimpleRNN / LSTM / GRU against PyTorch's nn.RNN / nn.LSTM / nn.GRU on CPU.

Usage::

    python benchmarks/bench_recurrent.py [--cells lstm gru simple_rnn]
        [--shapes 64x200x128x128 ...] [--threads 2 | --threads 1 2] [--repeats 7] [--quick]
        [--json PATH] [--out-md PATH]

A shape is ``BATCHxTIMExFEATURESxUNITS``.  For each (threads, cell, shape) this measures

* ``train``: one training step -- forward over the whole sequence (return_sequences=False),
  upstream gradient = a fixed random array on the last output, BPTT, plain SGD on all weights;
* ``infer``: one inference forward pass;
* ``train+dropout`` (LSTM and GRU, rnnkit only): the training step with dropout=0.2 and
  recurrent_dropout=0.2 (PyTorch has no recurrent dropout, so only rnnkit's own
  with/without-dropout ratio is reported);
* a reference float32 NumPy GEMM rate at the shape of the layer's input projection,
  ``(B*T, F+n) @ (F+n, G*n)``, and of one recurrent step, ``(B, n) @ (n, G*n)``.

Every measurement runs in its own fresh subprocess, one at a time, with the thread-count
environment variables (OMP/OPENBLAS/MKL/NUMBA/...) set before anything is imported, so that no
two spinning thread pools ever overlap.  The parent process imports neither NumPy, Numba nor
PyTorch.  Each worker: one first call (timed separately: for rnnkit it includes the Numba
compile), warm-up, then the median over ``--repeats`` repetitions, each repetition timing
enough steps to last at least ``--min-rep-s`` seconds.  PyTorch and rnnkit workers alternate.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import math
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

RESULT_PREFIX = "@@BENCH_RESULT@@ "
THREAD_ENV_VARS = (
    "OMP_NUM_THREADS",
    "OPENBLAS_NUM_THREADS",
    "MKL_NUM_THREADS",
    "NUMBA_NUM_THREADS",
    "VECLIB_MAXIMUM_THREADS",
    "NUMEXPR_NUM_THREADS",
)
CELLS = ("lstm", "gru", "simple_rnn")
GATES = {"lstm": 4, "gru": 3, "simple_rnn": 1}
DEFAULT_SHAPE = "64x200x128x128"
DROPOUT = 0.2
RECURRENT_DROPOUT = 0.2
LEARNING_RATE = 1e-5  # small, so weights stay near their initial values over many steps
SEED = 1234
REPO_ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Shape:
    batch: int
    time: int
    features: int
    units: int

    @classmethod
    def parse(cls, text: str) -> Shape:
        parts = re.split(r"[xX]", text.strip())
        if len(parts) != 4 or not all(p.isdigit() and int(p) > 0 for p in parts):
            raise argparse.ArgumentTypeError(
                f"shape {text!r} must be BATCHxTIMExFEATURESxUNITS, e.g. {DEFAULT_SHAPE}"
            )
        return cls(*(int(p) for p in parts))

    def __str__(self) -> str:
        return f"{self.batch}x{self.time}x{self.features}x{self.units}"


def forward_matmul_flops(cell: str, shape: Shape) -> float:
    """2*B*T*(F+n)*G*n: the matmul FLOPs of one forward pass over the whole sequence."""
    b, t, f, n = shape.batch, shape.time, shape.features, shape.units
    return 2.0 * b * t * (f + n) * GATES[cell] * n


def effective_flops(cell: str, shape: Shape, mode: str) -> float:
    """Training step = 3x forward matmul FLOPs (forward + 2 backward GEMMs); inference = 1x."""
    return (1.0 if mode == "infer" else 3.0) * forward_matmul_flops(cell, shape)


# --------------------------------------------------------------------------------------------
# Worker side: runs in a fresh subprocess; heavy imports happen only here, after the thread
# environment variables are in place.
# --------------------------------------------------------------------------------------------


def _set_thread_env(threads: int) -> None:
    for var in THREAD_ENV_VARS:
        os.environ[var] = str(threads)


def _measure(step, repeats: int, min_rep_s: float, warmup_s: float) -> dict:
    """Time ``step``: a first call, warm-up, then ``repeats`` repetitions of k steps each."""
    import gc

    t0 = time.perf_counter()
    step()
    first_call_s = time.perf_counter() - t0

    warm: list[float] = []
    t_warm = time.perf_counter()
    while len(warm) < 2 or time.perf_counter() - t_warm < warmup_s:
        t0 = time.perf_counter()
        step()
        warm.append(time.perf_counter() - t0)
    steps_per_rep = max(1, math.ceil(min_rep_s / max(min(warm), 1e-9)))

    reps: list[float] = []
    gc.collect()
    gc_was_enabled = gc.isenabled()
    gc.disable()
    try:
        for _ in range(repeats):
            t0 = time.perf_counter()
            for _ in range(steps_per_rep):
                step()
            reps.append((time.perf_counter() - t0) / steps_per_rep)
    finally:
        if gc_was_enabled:
            gc.enable()
    return {
        "first_call_s": first_call_s,
        "warmup_steps": len(warm),
        "steps_per_rep": steps_per_rep,
        "rep_s": reps,
        "median_s": statistics.median(reps),
        "min_s": min(reps),
        "max_s": max(reps),
    }


def _inputs(shape: Shape):
    import numpy as np

    rng = np.random.default_rng(SEED)
    x = rng.standard_normal((shape.batch, shape.time, shape.features), dtype=np.float32)
    upstream = rng.standard_normal((shape.batch, shape.units), dtype=np.float32)
    return x, upstream


def _worker_torch(spec: dict) -> dict:
    import torch
    from torch import nn

    threads = spec["threads"]
    torch.set_num_threads(threads)
    try:
        torch.set_num_interop_threads(1)
    except RuntimeError:  # pragma: no cover - only if parallel work already ran
        pass
    torch.manual_seed(SEED)
    shape = Shape(**spec["shape"])
    cell, mode = spec["cell"], spec["mode"]
    x_np, r_np = _inputs(shape)
    x, upstream = torch.from_numpy(x_np), torch.from_numpy(r_np)
    if cell == "lstm":
        model = nn.LSTM(shape.features, shape.units, batch_first=True)
    elif cell == "gru":
        model = nn.GRU(shape.features, shape.units, batch_first=True)
    else:
        model = nn.RNN(shape.features, shape.units, nonlinearity="tanh", batch_first=True)
    model = model.float()
    optimizer = torch.optim.SGD(model.parameters(), lr=LEARNING_RATE)

    if mode == "train":
        model.train()

        def step() -> None:
            optimizer.zero_grad()
            out, _ = model(x)
            (out[:, -1] * upstream).sum().backward()
            optimizer.step()

    elif mode == "infer":
        model.eval()

        def step() -> None:
            with torch.inference_mode():
                model(x)

    else:
        raise ValueError(f"torch has no mode {mode!r}")

    result = _measure(step, spec["repeats"], spec["min_rep_s"], spec["warmup_s"])
    result["finite"] = bool(all(torch.isfinite(p).all() for p in model.parameters()))
    result["torch_num_threads"] = torch.get_num_threads()
    result["torch_parallel_info"] = torch.__config__.parallel_info().splitlines()[:6]
    return result


def _worker_rnnkit(spec: dict) -> dict:
    import numpy as np

    t_import = time.perf_counter()
    from rnnkit.layers import GRU, LSTM, SimpleRNN

    import_s = time.perf_counter() - t_import

    shape = Shape(**spec["shape"])
    cell, mode = spec["cell"], spec["mode"]
    x, upstream = _inputs(shape)
    kwargs: dict = {}
    if mode == "train+dropout":
        kwargs = {"dropout": DROPOUT, "recurrent_dropout": RECURRENT_DROPOUT}
    if cell == "lstm":
        layer = LSTM(shape.units, recurrent_activation="sigmoid", **kwargs)
    elif cell == "gru":
        layer = GRU(shape.units, recurrent_activation="sigmoid", reset_after=True, **kwargs)
    else:
        layer = SimpleRNN(shape.units, **kwargs)

    t0 = time.perf_counter()
    layer.build((shape.batch, shape.time, shape.features))
    build_s = time.perf_counter() - t0
    lr = np.float32(LEARNING_RATE)
    checks: dict = {}

    if mode in ("train", "train+dropout"):

        def step() -> None:
            out = layer(x, training=True)
            if not checks:
                checks["out_shape"] = list(np.shape(out))
                checks["out_dtype"] = str(np.asarray(out).dtype)
            layer.backward(upstream, input_gradient=False)  # torch skips d_x too
            for w, g in zip(layer.weights, layer.get_gradients(), strict=True):
                w -= lr * g

    elif mode == "infer":

        def step() -> None:
            out = layer(x)
            if not checks:
                checks["out_shape"] = list(np.shape(out))
                checks["out_dtype"] = str(np.asarray(out).dtype)

    else:
        raise ValueError(f"unknown mode {mode!r}")

    result = _measure(step, spec["repeats"], spec["min_rep_s"], spec["warmup_s"])
    result.update(checks)
    result["import_s"] = import_s
    result["build_s"] = build_s
    result["weight_dtypes"] = sorted({str(w.dtype) for w in layer.weights})
    result["finite"] = bool(all(np.isfinite(w).all() for w in layer.weights))
    try:
        import numba

        result["numba_num_threads"] = numba.config.NUMBA_NUM_THREADS
        try:
            result["numba_threading_layer"] = numba.threading_layer()
        except ValueError:  # no parallel kernel ran
            result["numba_threading_layer"] = None
    except ImportError:  # pragma: no cover
        pass
    return result


def _worker_gemm(spec: dict) -> dict:
    import numpy as np

    shape = Shape(**spec["shape"])
    gates = GATES[spec["cell"]]
    b, t, f, n = shape.batch, shape.time, shape.features, shape.units
    rng = np.random.default_rng(SEED)
    result: dict = {}
    for name, (m, k, cols) in {
        "input_gemm": (b * t, f + n, gates * n),
        "step_gemm": (b, n, gates * n),
    }.items():
        a = rng.standard_normal((m, k), dtype=np.float32)
        w = rng.standard_normal((k, cols), dtype=np.float32)
        out = np.empty((m, cols), dtype=np.float32)

        def step(a=a, w=w, out=out) -> None:
            np.matmul(a, w, out=out)

        timing = _measure(step, spec["repeats"], spec["min_rep_s"], spec["warmup_s"])
        timing["m_k_n"] = [m, k, cols]
        timing["gflops"] = 2.0 * m * k * cols / timing["median_s"] / 1e9
        result[name] = timing
    return result


def _thread_pool_libraries() -> list[str]:
    """Shared libraries in this process that bring a thread pool (BLAS, OpenMP, TBB)."""
    names: set[str] = set()
    try:
        for line in Path("/proc/self/maps").read_text().splitlines():
            path = line.split()[-1] if len(line.split()) >= 6 else ""
            base = os.path.basename(path)
            if re.search(r"openblas|mkl|blis|gomp|iomp|libomp|tbb", base, re.IGNORECASE):
                names.add(base)
    except OSError:
        pass
    return sorted(names)


def _run_worker_main(spec_json: str) -> int:
    spec = json.loads(spec_json)
    _set_thread_env(spec["threads"])  # normally already set by the parent; harmless again
    worker = {"torch": _worker_torch, "rnnkit": _worker_rnnkit, "gemm": _worker_gemm}
    result = worker[spec["peer"]](spec)
    result["thread_pool_libraries"] = _thread_pool_libraries()
    print(RESULT_PREFIX + json.dumps(result), flush=True)
    return 0


# --------------------------------------------------------------------------------------------
# Parent side: stdlib only.
# --------------------------------------------------------------------------------------------


def _loadavg() -> list[float]:
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except OSError:  # pragma: no cover
        return []


def _uptime() -> str:
    try:
        return subprocess.run(
            ["uptime"], capture_output=True, text=True, check=False
        ).stdout.strip()
    except OSError:
        return "load average: " + ", ".join(f"{v:.2f}" for v in _loadavg())


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def _git_revision() -> str:
    try:
        rev = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=False,
        )
        if rev.returncode != 0:
            return "no commit"
        dirty = subprocess.run(
            ["git", "-C", str(REPO_ROOT), "status", "--porcelain", "rnnkit"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        return rev.stdout.strip() + ("+dirty" if dirty else "")
    except OSError:
        return "unknown"


def _cpu_jiffies() -> tuple[int, int] | None:
    """(busy, steal) jiffies summed over all CPUs from /proc/stat, or None off Linux."""
    try:
        fields = Path("/proc/stat").read_text().splitlines()[0].split()
    except (OSError, IndexError):
        return None
    values = [int(v) for v in fields[1:]]
    user, nice, system, _idle, _iowait, irq, softirq = values[:7]
    steal = values[7] if len(values) > 7 else 0
    return user + nice + system + irq + softirq, steal


def _children_cpu_s() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run_worker(spec: dict, timeout_s: float, numba_cache_dir: str) -> dict:
    env = os.environ.copy()
    for var in THREAD_ENV_VARS:
        env[var] = str(spec["threads"])
    env["NUMBA_CACHE_DIR"] = numba_cache_dir
    env.setdefault("PYTHONHASHSEED", "0")
    record = {"spec": spec, "load_before": _loadavg()}
    jiffies0, cpu0 = _cpu_jiffies(), _children_cpu_s()
    t0 = time.perf_counter()
    try:
        proc = subprocess.run(
            [sys.executable, str(Path(__file__).resolve()), "--worker-spec", json.dumps(spec)],
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        record["error"] = f"timed out after {timeout_s:.0f} s"
        return record
    record["wall_s"] = time.perf_counter() - t0
    jiffies1, cpu1 = _cpu_jiffies(), _children_cpu_s()
    if jiffies0 is not None and jiffies1 is not None:
        tick = os.sysconf("SC_CLK_TCK")
        busy_s = (jiffies1[0] - jiffies0[0]) / tick
        # CPU seconds burnt by anything other than this worker (other processes, the kernel),
        # and time stolen by the hypervisor: both are signs that the timings are disturbed.
        record["foreign_cpu_s"] = round(max(0.0, busy_s - (cpu1 - cpu0)), 2)
        record["steal_s"] = round((jiffies1[1] - jiffies0[1]) / tick, 2)
    for line in reversed(proc.stdout.splitlines()):
        if line.startswith(RESULT_PREFIX):
            record["result"] = json.loads(line[len(RESULT_PREFIX) :])
            break
    else:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        record["error"] = f"exit {proc.returncode}: " + " | ".join(tail)
    stderr = proc.stderr.strip()
    if stderr and "result" in record:
        record["stderr_tail"] = stderr.splitlines()[-5:]
    return record


def _disturbance(record: dict) -> float:
    """Fraction of the worker's wall time that other processes or the hypervisor took."""
    wall = record.get("wall_s") or 0.0
    if not wall or "error" in record:
        return math.inf if "error" in record else 0.0
    return (record.get("foreign_cpu_s", 0.0) + record.get("steal_s", 0.0)) / wall


def _disturbed(record: dict) -> bool:
    return _disturbance(record) > 0.1


def _busy_cores(window_s: float = 0.5) -> float | None:
    """CPU cores kept busy by everything on the machine over a short window (parent idles)."""
    before = _cpu_jiffies()
    if before is None:
        return None
    time.sleep(window_s)
    after = _cpu_jiffies()
    if after is None:
        return None
    tick = os.sysconf("SC_CLK_TCK")
    return (after[0] - before[0] + after[1] - before[1]) / tick / window_s


def _wait_for_quiet(max_busy_cores: float, max_wait_s: float) -> tuple[float, float | None]:
    """Sleep until other processes use < ``max_busy_cores`` cores, or ``max_wait_s`` passes."""
    t0 = time.perf_counter()
    busy = _busy_cores()
    while busy is not None and busy > max_busy_cores and time.perf_counter() - t0 < max_wait_s:
        time.sleep(1.0)
        busy = _busy_cores()
    return round(time.perf_counter() - t0, 1), None if busy is None else round(busy, 2)


def _fmt_ms(records: list[dict] | dict | None) -> str:
    """Median ms; ``±x%``: the spread of repetitions (one round) or of the rounds' medians."""
    if records is None:
        return "n/a"
    records = records if isinstance(records, list) else [records]
    good = [rec for rec in records if "result" in rec]
    if not good:
        return "error"
    med = _median_s(good)
    if len(good) == 1:
        r = good[0]["result"]
        low, high = r["min_s"], r["max_s"]
    else:
        medians = [rec["result"]["median_s"] for rec in good]
        low, high = min(medians), max(medians)
    spread = (high - low) / (2 * med) * 100 if med > 0 else 0.0
    disturbed = any(_disturbed(rec) for rec in good)
    return f"{med * 1e3:.1f} ±{spread:.0f}%" + (" *" if disturbed else "")


def _median_s(records: list[dict] | dict | None) -> float | None:
    """The median over rounds of each round's median step time."""
    if records is None:
        return None
    records = records if isinstance(records, list) else [records]
    medians = [rec["result"]["median_s"] for rec in records if "result" in rec]
    return statistics.median(medians) if medians else None


def _progress(msg: str) -> None:
    print(msg, file=sys.stderr, flush=True)


def _modes(cell: str, skip_dropout: bool) -> list[str]:
    modes = ["train", "infer"]
    if cell in ("lstm", "gru") and not skip_dropout:
        modes.append("train+dropout")
    return modes


def _describe(record: dict) -> str:
    spec = record["spec"]
    what = f"{spec['peer']:<6} {spec['cell']:<10} {Shape(**spec['shape'])!s:<16} "
    what += f"{spec['mode']:<13} threads={spec['threads']}"
    if "error" in record:
        return f"{what}: ERROR {record['error']}"
    r = record["result"]
    if spec["peer"] == "gemm":
        return (
            f"{what}: input GEMM {r['input_gemm']['gflops']:.1f} GFLOP/s, "
            f"step GEMM {r['step_gemm']['gflops']:.1f} GFLOP/s"
        )
    return (
        f"{what}: {r['median_s'] * 1e3:.2f} ms median (min {r['min_s'] * 1e3:.2f}, first call "
        f"{r['first_call_s']:.2f} s, {r['steps_per_rep']} steps/rep, load "
        f"{record['load_before']}, foreign CPU {record.get('foreign_cpu_s')} s, "
        f"steal {record.get('steal_s')} s, waited {record.get('waited_s')} s for quiet)"
    )


def run_benchmarks(args: argparse.Namespace) -> dict:
    load_start = _loadavg()
    header = {
        "date": _dt.datetime.now().astimezone().isoformat(timespec="seconds"),
        "uptime_start": _uptime(),
        "load_start": load_start,
        "cpu": _cpu_model(),
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "executable": sys.executable,
        "numpy": _version("numpy"),
        "numba": _version("numba"),
        "torch": _version("torch"),
        "rnnkit": _version("rnnkit"),
        "rnnkit_git": _git_revision(),
        "repeats": args.repeats,
        "min_rep_s": args.min_rep_s,
        "warmup_s": args.warmup_s,
        "learning_rate": LEARNING_RATE,
        "numba_cache": "fresh per worker" if args.cold_compile else "fresh per run",
        "retries": args.retries,
        "rounds": args.rounds,
        "quiet_cores": args.quiet_cores,
        "max_wait_s": args.max_wait_s,
    }
    if load_start and load_start[0] > 0.5 * (os.cpu_count() or 1):
        _progress(
            f"WARNING: 1-minute load is {load_start[0]} on {os.cpu_count()} cores; "
            "timings will be noisy"
        )

    peers = [p for p in ("torch", "rnnkit") if p in args.peers]
    plan: list[dict] = []
    pair_index = 0
    for threads in args.threads:
        for cell in args.cells:
            for shape in args.shapes:
                base = {
                    "threads": threads,
                    "cell": cell,
                    "shape": shape.__dict__,
                    "repeats": args.repeats,
                    "min_rep_s": args.min_rep_s,
                    "warmup_s": args.warmup_s,
                }
                if not args.no_gemm:
                    plan.append({**base, "peer": "gemm", "mode": "gemm"})
                for mode in _modes(cell, args.no_dropout):
                    these = [p for p in peers if not (p == "torch" and mode == "train+dropout")]
                    if len(these) == 2:
                        if pair_index % 2:
                            these.reverse()
                        pair_index += 1
                    plan.extend({**base, "peer": p, "mode": mode} for p in these)

    # Rounds: the whole plan again, so that slow drifts of the machine hit both peers.
    plan = [{**spec, "round": r} for r in range(args.rounds) for spec in plan]
    records: list[dict] = []
    cache_root = tempfile.mkdtemp(prefix="rnnkit-bench-numba-")
    try:
        for i, spec in enumerate(plan, 1):
            cache_dir = cache_root
            if args.cold_compile:
                cache_dir = tempfile.mkdtemp(dir=cache_root)
            attempts: list[dict] = []
            for attempt in range(args.retries + 1):
                waited_s, busy = _wait_for_quiet(args.quiet_cores, args.max_wait_s)
                record = _run_worker(spec, args.timeout, cache_dir)
                record["waited_s"], record["busy_cores_before"] = waited_s, busy
                attempts.append(record)
                if not _disturbed(record) or "error" in record:
                    break
                if attempt < args.retries:
                    _progress(f"  disturbed, retrying: {_describe(record)}")
            best = min(attempts, key=_disturbance)
            if len(attempts) > 1:
                best = {**best, "attempts": len(attempts)}
            records.append(best)
            _progress(f"[{i}/{len(plan)}] {_describe(best)}")
    finally:
        shutil.rmtree(cache_root, ignore_errors=True)
    header["uptime_end"] = _uptime()
    header["load_end"] = _loadavg()
    return {"header": header, "records": records}


def _lookup(records: list[dict], **key) -> dict | None:
    found = _lookup_all(records, **key)
    return found[0] if found else None


def _lookup_all(records: list[dict], **key) -> list[dict]:
    """Every round's record of one measurement."""
    return [
        rec
        for rec in records
        if all(
            (Shape(**rec["spec"][k]) if k == "shape" else rec["spec"][k]) == v
            for k, v in key.items()
        )
    ]


def build_rows(data: dict, args: argparse.Namespace) -> list[dict]:
    records = data["records"]
    rows: list[dict] = []
    for threads in args.threads:
        for cell in args.cells:
            for shape in args.shapes:
                key = {"threads": threads, "cell": cell, "shape": shape}
                gemm = _lookup(records, peer="gemm", **key)
                for mode in _modes(cell, args.no_dropout):
                    torch_rec = _lookup_all(records, peer="torch", mode=mode, **key) or None
                    rnn_rec = _lookup_all(records, peer="rnnkit", mode=mode, **key) or None
                    t_torch, t_rnn = _median_s(torch_rec), _median_s(rnn_rec)
                    flops = effective_flops(cell, shape, mode)
                    row = {
                        "cell": cell,
                        "shape": str(shape),
                        "threads": threads,
                        "mode": mode,
                        "torch_ms": None if t_torch is None else t_torch * 1e3,
                        "rnnkit_ms": None if t_rnn is None else t_rnn * 1e3,
                        "speedup": t_torch / t_rnn if t_torch and t_rnn else None,
                        "effective_gflop": flops / 1e9,
                        "rnnkit_gflops": flops / t_rnn / 1e9 if t_rnn else None,
                        "torch_gflops": flops / t_torch / 1e9 if t_torch else None,
                        "rnnkit_first_call_s": (
                            rnn_rec[0]["result"]["first_call_s"] if _median_s(rnn_rec) else None
                        ),
                        "gemm_input_gflops": None,
                        "gemm_step_gflops": None,
                        "_torch": torch_rec,
                        "_rnnkit": rnn_rec,
                    }
                    if gemm is not None and "result" in gemm:
                        row["gemm_input_gflops"] = gemm["result"]["input_gemm"]["gflops"]
                        row["gemm_step_gflops"] = gemm["result"]["step_gemm"]["gflops"]
                    rows.append(row)
    return rows


def _f(value: float | None, fmt: str) -> str:
    return "—" if value is None else format(value, fmt)


def render_markdown(data: dict, rows: list[dict], args: argparse.Namespace) -> str:
    h = data["header"]
    lines = [
        f"## rnnkit vs PyTorch recurrent layers — {h['date']}",
        "",
        f"- machine: {h['cpu']}, {h['cpu_count']} logical CPUs; "
        f"load before: `{h['uptime_start']}`; after: load average {h['load_end']}",
        f"- python {h['python']}, numpy {h['numpy']}, numba {h['numba']}, "
        f"torch {h['torch']}, rnnkit {h['rnnkit']} ({h['rnnkit_git']})",
        f"- median of {h['repeats']} repetitions (each >= {h['min_rep_s']} s of back-to-back "
        f"steps) after {h['warmup_s']} s warm-up; every (peer, cell, shape, mode) in its own "
        "subprocess, one at a time, torch and rnnkit alternating; "
        + (
            f"{h.get('rounds', 1)} rounds of the whole plan, the median over rounds shown, "
            "±x% = (max-min)/(2*median) of the rounds' medians; "
            if h.get("rounds", 1) > 1
            else "±x% = (max-min)/(2*median) of the repetitions; "
        )
        + "* = other processes took > 10% of the worker's time even after "
        f"{h['retries']} retries",
        "- effective GFLOP/s = (3 x train, 1 x infer) x 2*B*T*(F+n)*G*n / time "
        "(G = 4 LSTM, 3 GRU, 1 RNN); GEMM ref = measured float32 NumPy matmul "
        "(B*T, F+n)@(F+n, G*n) / one recurrent step (B, n)@(n, G*n), same threads",
        "",
        "| cell | shape BxTxFxn | threads | mode | torch ms | rnnkit ms "
        "| speed-up (torch/rnnkit) | rnnkit GFLOP/s eff. | torch GFLOP/s eff. "
        "| GEMM ref GFLOP/s (input / step) |",
        "|---|---|--:|---|--:|--:|--:|--:|--:|--:|",
    ]
    for row in rows:
        lines.append(
            f"| {row['cell']} | {row['shape']} | {row['threads']} | {row['mode']} "
            f"| {_fmt_ms(row['_torch'])} | {_fmt_ms(row['_rnnkit'])} "
            f"| {_f(row['speedup'], '.2f')} | {_f(row['rnnkit_gflops'], '.1f')} "
            f"| {_f(row['torch_gflops'], '.1f')} "
            f"| {_f(row['gemm_input_gflops'], '.0f')} / {_f(row['gemm_step_gflops'], '.0f')} |"
        )

    dropout_rows = []
    for row in rows:
        if row["mode"] != "train+dropout":
            continue
        base = next(
            r
            for r in rows
            if r["mode"] == "train"
            and (r["cell"], r["shape"], r["threads"]) == (row["cell"], row["shape"], row["threads"])
        )
        ratio = (
            row["rnnkit_ms"] / base["rnnkit_ms"] if row["rnnkit_ms"] and base["rnnkit_ms"] else None
        )
        dropout_rows.append(
            f"| {row['cell']} | {row['shape']} | {row['threads']} | {_f(base['rnnkit_ms'], '.1f')} "
            f"| {_f(row['rnnkit_ms'], '.1f')} | {_f(ratio, '.2f')} |"
        )
    if dropout_rows:
        lines += [
            "",
            f"rnnkit training step with dropout={DROPOUT}, recurrent_dropout={RECURRENT_DROPOUT} "
            "(PyTorch has no recurrent dropout, so no torch column):",
            "",
            "| cell | shape | threads | train ms | train+dropout ms | ratio |",
            "|---|---|--:|--:|--:|--:|",
            *dropout_rows,
        ]

    first_rows = []
    for row in rows:
        rec = row["_rnnkit"][0] if row["_rnnkit"] else None
        if rec is None or "result" not in rec:
            continue
        r = rec["result"]
        first_rows.append(
            f"| {row['cell']} | {row['shape']} | {row['threads']} | {row['mode']} "
            f"| {r.get('import_s', 0.0):.2f} | {r['first_call_s']:.2f} "
            f"| {r['first_call_s'] - r['median_s']:.2f} |"
        )
    if first_rows:
        lines += [
            "",
            "rnnkit first call (Numba JIT compile or cache load; the Numba cache starts empty "
            f"for each run, policy: {h['numba_cache']}):",
            "",
            "| cell | shape | threads | mode | import s | first call s | first − median s |",
            "|---|---|--:|---|--:|--:|--:|",
            *first_rows,
        ]

    problems = []
    for rec in data["records"]:
        spec = rec["spec"]
        tag = f"{spec['peer']} {spec['cell']} {Shape(**spec['shape'])} {spec['mode']}"
        if "error" in rec:
            problems.append(f"- {tag} threads={spec['threads']}: {rec['error']}")
            continue
        r = rec["result"]
        if r.get("finite") is False:
            problems.append(f"- {tag}: non-finite weights after the run")
        if spec["peer"] == "rnnkit":
            if r.get("out_dtype") not in (None, "float32"):
                problems.append(f"- {tag}: output dtype {r['out_dtype']} (expected float32)")
            if r.get("weight_dtypes") not in (None, ["float32"]):
                problems.append(f"- {tag}: weight dtypes {r['weight_dtypes']}")
        if _disturbed(rec):
            problems.append(
                f"- {tag} threads={spec['threads']}: disturbed (*), {rec.get('foreign_cpu_s')} s "
                f"CPU used by other processes + {rec.get('steal_s')} s steal during a "
                f"{rec['wall_s']:.1f} s worker (best of {rec.get('attempts', 1)} attempt(s))"
            )
        if spec["peer"] != "gemm" and r["max_s"] > 1.3 * r["min_s"]:
            problems.append(
                f"- {tag} threads={spec['threads']}: noisy, reps span "
                f"{r['min_s'] * 1e3:.1f}-{r['max_s'] * 1e3:.1f} ms"
            )
    if problems:
        lines += ["", "Notes:", "", *problems]
    return "\n".join(lines) + "\n"


def _json_safe(data: dict, rows: list[dict]) -> dict:
    return {
        "header": data["header"],
        "rows": [{k: v for k, v in row.items() if not k.startswith("_")} for row in rows],
        "records": data["records"],
    }


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="rnnkit vs PyTorch CPU timings for SimpleRNN/LSTM/GRU "
        "(each measurement in its own subprocess).",
    )
    parser.add_argument("--cells", nargs="+", choices=CELLS, default=list(CELLS))
    parser.add_argument(
        "--shapes",
        nargs="+",
        type=Shape.parse,
        default=[Shape.parse(DEFAULT_SHAPE)],
        metavar="BxTxFxN",
        help=f"batch x time x features x units (default {DEFAULT_SHAPE})",
    )
    parser.add_argument(
        "--threads",
        nargs="+",
        type=int,
        default=[2],
        help="thread counts to run (e.g. --threads 1 2); default 2",
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=None,
        help="timed repetitions per measurement (default 7; 3 with --quick)",
    )
    parser.add_argument(
        "--min-rep-s",
        type=float,
        default=None,
        help="minimum seconds per repetition (default 0.2; 0.1 with --quick)",
    )
    parser.add_argument(
        "--warmup-s",
        type=float,
        default=None,
        help="warm-up seconds after the first call (default 0.5; 0.2 with --quick)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="run the whole plan this many times; tables give the median over rounds "
        "and ±x%% becomes the spread of the rounds' medians (default 1)",
    )
    parser.add_argument("--quick", action="store_true", help="fewer repeats, shorter reps")
    parser.add_argument(
        "--peers", nargs="+", choices=("torch", "rnnkit"), default=["torch", "rnnkit"]
    )
    parser.add_argument(
        "--no-dropout",
        action="store_true",
        help="skip the rnnkit dropout/recurrent_dropout training step",
    )
    parser.add_argument("--no-gemm", action="store_true", help="skip the NumPy GEMM reference")
    parser.add_argument(
        "--cold-compile",
        action="store_true",
        help="give every rnnkit worker an empty Numba cache (default: one empty "
        "cache per run, shared by its workers)",
    )
    parser.add_argument(
        "--retries",
        type=int,
        default=None,
        help="re-run a worker disturbed by other processes (>10%% of its wall time) up to this "
        "many times and keep the least disturbed attempt (default 2; 1 with --quick)",
    )
    parser.add_argument(
        "--quiet-cores",
        type=float,
        default=0.3,
        help="before each worker wait until other processes use fewer cores than this "
        "(default 0.3)",
    )
    parser.add_argument(
        "--max-wait-s",
        type=float,
        default=None,
        help="longest wait for a quiet machine before each worker (default 120; 30 with --quick)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=1800.0,
        help="seconds before a worker is killed (default 1800)",
    )
    parser.add_argument(
        "--json", type=Path, default=None, metavar="PATH", help="write all results as JSON to PATH"
    )
    parser.add_argument(
        "--out-md",
        type=Path,
        default=None,
        metavar="PATH",
        help="append the Markdown report to PATH",
    )
    parser.add_argument("--worker-spec", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats is None:
        args.repeats = 3 if args.quick else 7
    if args.min_rep_s is None:
        args.min_rep_s = 0.1 if args.quick else 0.2
    if args.retries is None:
        args.retries = 1 if args.quick else 2
    if args.max_wait_s is None:
        args.max_wait_s = 30.0 if args.quick else 120.0
    if args.warmup_s is None:
        args.warmup_s = 0.2 if args.quick else 0.5
    if args.repeats < 1 or any(t < 1 for t in args.threads):
        parser.error("--repeats and --threads must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.worker_spec is not None:
        return _run_worker_main(args.worker_spec)
    _progress(f"uptime: {_uptime()}")
    data = run_benchmarks(args)
    rows = build_rows(data, args)
    report = render_markdown(data, rows, args)
    print(report)
    if args.out_md is not None:
        args.out_md.parent.mkdir(parents=True, exist_ok=True)
        with args.out_md.open("a", encoding="utf-8") as fh:
            fh.write(report + "\n")
    if args.json is not None:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(_json_safe(data, rows), indent=2) + "\n", encoding="utf-8")
    failed = [r for r in data["records"] if "error" in r]
    return 1 if failed and len(failed) == len(data["records"]) else 0


if __name__ == "__main__":
    sys.exit(main())
