"""Time one training step of simcore against PyTorch (CPU, eager) on the identical network.

    python scripts/bench.py                 # the full table (needs torch: see below)
    python scripts/bench.py --quick         # fewer repetitions, for a rough look
    python scripts/bench.py --simcore-only  # no torch needed: simcore's own timings

One step is forward + cross-entropy + backward + the SGD update (momentum 0.9, lr 0.05) on a
batch of 128 points of the spirals data (2-D input, 2 classes), for the site's default networks:
post-activation, batch norm, width 32, plain and residual, depths 8, 20 and 56, in float64 and
float32. The torch network is built from simcore's own, layer for layer, and starts from simcore's
initial weights:

    stem   Linear(2, 32, bias=False) → BatchNorm1d(32) → ReLU
    block  Linear(32, 32, bias=False) → BN → ReLU → Linear(32, 32, bias=False) → BN
           (+ identity, residual only) → ReLU                 × (depth − 2) / 2
    head   Linear(32, 2)

with BN momentum 0.1 and eps 1e-5 on both sides; neither side computes the gradient with
respect to the input data. Before timing, the script checks that one step of both gives the same
loss (to 1e-10 relative in float64) and the same updated weights (to 1e-8), so the two sides do
identical work; the same check is made of simcore in native arithmetic. Timing: a warm-up first;
then ``--reps`` repetitions in which each side (simcore; torch on one thread; torch on two
threads; simcore in native arithmetic) runs ``--steps`` steps from the same saved starting
state, the sides interleaved in a rotating order so that a change in the machine's load hits
all of them alike; reported are medians over the repetitions, in milliseconds per step (wall
clock), and the ratios of both simcore columns to torch on one thread. Results and their
reading: docs/benchmark.md.

Threads: OPENBLAS_NUM_THREADS, OMP_NUM_THREADS and MKL_NUM_THREADS are set to 1 before NumPy
or torch is imported, and torch.set_num_threads(1) for the main torch column (simcore's portable
matmul does not use BLAS anyway; see simcore/portable.py). The "torch, 2 threads" column is the
same torch run with torch.set_num_threads(2).

The column "simcore, native" is simcore built with ``arithmetic="native"`` (see
simcore/arithmetic.py): NumPy's BLAS ``@`` (OpenBLAS, one thread) and NumPy's exp/log/tanh in
place of the portable functions. It is the opt-in mode for speed: its last bits depend on the
machine, so the site (whose promise is the same numbers natively and in the browser) never
uses it. The difference between the two simcore columns is what bit-for-bit portability costs.

torch is never a dependency of simcore: it is imported only here, lazily. Make a separate venv:

    python3 -m venv /tmp/bench-venv
    /tmp/bench-venv/bin/pip install torch==2.13.0 numpy   # this exact pin is the CPU build
    /tmp/bench-venv/bin/pip install -e /work/main
    /tmp/bench-venv/bin/python scripts/bench.py

This is a script, not a test: timings depend on the machine and its load.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"  # before NumPy (and torch) load their thread pools

import argparse  # noqa: E402
import contextlib  # noqa: E402
import datetime  # noqa: E402
import platform  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from pathlib import Path  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # time this working tree's simcore

import numpy as np  # noqa: E402

from simcore import data as _data  # noqa: E402
from simcore.blocks import PlainBlock, ResidualBlock  # noqa: E402
from simcore.layers import Activation, BatchNorm, Dense, Sequential  # noqa: E402
from simcore.losses import softmax_cross_entropy  # noqa: E402
from simcore.nets import NetConfig, Network  # noqa: E402
from simcore.optim import SGD  # noqa: E402

BATCH, WIDTH, LR, MOMENTUM = 128, 32, 0.05, 0.9
CASES = [(kind, depth) for kind in ("plain", "residual") for depth in (8, 20, 56)]
DTYPES = ("float64", "float32")

INSTALL = """torch is not installed for {python}.
torch is never a dependency of simcore; the benchmark runs in a venv of its own:

    python3 -m venv /tmp/bench-venv && /tmp/bench-venv/bin/pip install torch==2.13.0 numpy && /tmp/bench-venv/bin/pip install -e {root}
    /tmp/bench-venv/bin/python scripts/bench.py

(Pin exactly torch==2.13.0: any other torch spec pulls a multi-GB CUDA build.)
Or run `python scripts/bench.py --simcore-only` for simcore's timings alone."""


def import_torch():
    try:
        import torch
    except ImportError:
        print(INSTALL.format(python=sys.executable, root=ROOT), file=sys.stderr)
        sys.exit(2)
    torch.set_num_threads(1)
    return torch


def batches(n_batches: int) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """Mini-batches of 128 spirals points (float64), a fixed sequence shared by both sides."""
    ds = _data.load("spirals", n=BATCH * n_batches, noise=0.05, seed=0, test_fraction=0.0)
    X, y = ds["X_train"], ds["y_train"]
    return ([X[i * BATCH:(i + 1) * BATCH] for i in range(n_batches)],
            [y[i * BATCH:(i + 1) * BATCH] for i in range(n_batches)])


# ---------------------------------------------------------------------------------- simcore
class SimcoreSide:
    def __init__(self, kind: str, depth: int, dtype: str, Xs, ys,
                 arithmetic: str = "portable") -> None:
        self.net = Network(NetConfig(kind=kind, depth=depth, width=WIDTH, d_in=2, n_classes=2,
                                     layout="post", norm=True, seed=0, dtype=dtype,
                                     arithmetic=arithmetic))
        self.Xs = [X.astype(dtype) for X in Xs]
        self.ys = ys
        self.leaves = self.net.leaves()
        self.saved = self._snapshot()
        self.opt = SGD(LR, MOMENTUM)
        self.reset()

    def _snapshot(self):
        return [({k: v.copy() for k, v in leaf.params.items()},
                 {k: v.copy() for k, v in leaf.state().items()}) for leaf in self.leaves]

    def reset(self) -> None:
        for leaf, (params, state) in zip(self.leaves, self.saved):
            for k, v in params.items():
                leaf.params[k][...] = v
            for k, v in state.items():
                leaf.state()[k][...] = v
        self.opt.reset_state()  # as new (its flat layout of the parameters is kept)
        self.i = 0

    def step(self) -> float:
        X, y = self.Xs[self.i % len(self.Xs)], self.ys[self.i % len(self.ys)]
        self.i += 1
        loss, dZ = softmax_cross_entropy(self.net.forward(X, train=True), y, self.net.arithmetic)
        self.net.backward(dZ, input_grad=False)  # as training does (torch: X needs no grad)
        self.opt.step(self.net)
        return loss


# ------------------------------------------------------------------------------------ torch
def torch_model(net: Network, torch, dtype: str):
    """The same network as torch modules, with simcore's current weights and BN statistics."""
    nn = torch.nn
    tdtype = {"float64": torch.float64, "float32": torch.float32}[dtype]

    def leaf(layer):
        if isinstance(layer, Dense):
            W = layer.params["W"]
            m = nn.Linear(W.shape[0], W.shape[1], bias="b" in layer.params, dtype=tdtype)
            with torch.no_grad():
                m.weight.copy_(torch.from_numpy(np.ascontiguousarray(W.T)))
                if "b" in layer.params:
                    m.bias.copy_(torch.from_numpy(layer.params["b"]))
            return m
        if isinstance(layer, BatchNorm):
            m = nn.BatchNorm1d(layer.d, eps=layer.eps, momentum=layer.momentum, dtype=tdtype)
            with torch.no_grad():
                for name, src in (("weight", layer.params["gamma"]), ("bias", layer.params["beta"]),
                                  ("running_mean", layer.running_mean),
                                  ("running_var", layer.running_var)):
                    getattr(m, name).copy_(torch.from_numpy(src))
            return m
        if isinstance(layer, Activation):
            assert layer.name == "relu"
            return nn.ReLU(inplace=True)
        raise TypeError(type(layer))

    def seq(s: Sequential):
        return nn.Sequential(*[leaf(layer) for layer in s.layers])

    class Block(nn.Module):
        """torchvision's BasicBlock, fully connected: out = relu(branch(x) [+ x])."""

        def __init__(self, block) -> None:
            super().__init__()
            assert block.out_act is not None and block.out_act.name == "relu"
            self.residual = isinstance(block, ResidualBlock)
            if self.residual:
                assert block.shortcut is None and block.alpha == 1.0
            self.branch = seq(block.branch)
            self.relu = nn.ReLU(inplace=True)

        def forward(self, x):
            out = self.branch(x)
            if self.residual:
                out += x
            return self.relu(out)

    for b in net.blocks:
        assert isinstance(b, (PlainBlock, ResidualBlock))
    return nn.Sequential(seq(net.stem), *[Block(b) for b in net.blocks], seq(net.head))


class TorchSide:
    def __init__(self, sim: SimcoreSide, dtype: str, torch, threads: int = 1) -> None:
        self.torch, self.threads = torch, threads
        self.model = torch_model(sim.net, torch, dtype)
        self.model.train()
        self.Xs = [torch.from_numpy(X) for X in sim.Xs]
        self.ys = [torch.from_numpy(y.astype(np.int64)) for y in sim.ys]
        self.saved = {k: v.clone() for k, v in self.model.state_dict().items()}
        self.opt = torch.optim.SGD(self.model.parameters(), lr=LR, momentum=MOMENTUM)
        self.reset()

    def reset(self) -> None:
        self.model.load_state_dict(self.saved)
        self.opt.state.clear()  # as new: no momentum buffers
        self.i = 0

    def step(self) -> float:
        X, y = self.Xs[self.i % len(self.Xs)], self.ys[self.i % len(self.ys)]
        self.i += 1
        self.opt.zero_grad(set_to_none=True)
        loss = self.torch.nn.functional.cross_entropy(self.model(X), y)
        loss.backward()
        self.opt.step()
        return loss.item()


# ----------------------------------------------------------------------------------- timing
class Timed:
    """One side's timing: ``run(steps)`` from the saved start, in seconds per step."""

    def __init__(self, name: str, side, torch=None, threads: int = 1) -> None:
        self.name, self.side, self.torch, self.threads = name, side, torch, threads
        self.samples: list[float] = []

    def run(self, steps: int) -> float:
        self.side.reset()
        if self.torch is not None:
            self.torch.set_num_threads(self.threads)
        t = time.perf_counter()
        for _ in range(steps):
            self.side.step()
        dt = (time.perf_counter() - t) / steps
        if self.torch is not None:
            self.torch.set_num_threads(1)
        return dt

    def sample(self, steps: int) -> None:
        self.samples.append(self.run(steps))

    @property
    def ms(self) -> float:
        return 1e3 * statistics.median(self.samples)


def check_identical_work(sim: SimcoreSide, tch: TorchSide, dtype: str) -> tuple[float, float]:
    """One step of both sides from the same start: the relative difference of the loss and the
    largest relative difference of an updated weight tensor (max |a − b| / max |b|).

    float64 demands 1e-10 of the loss and 1e-8 of the weights (the gradients of the deep plain
    net lose a few more digits to cancellation: summing in BLAS's order rather than simcore's
    moves them by ~1e-10). float32 is only a sanity check, 1e-2 of the loss (both are
    reported): through 56 plain layers the rounding differences of single precision grow to
    ~1e-3 in the loss and to order one in some gradients. Later steps are not compared: a deep
    plain net amplifies last-bit differences within a few steps, as any change of summation
    order would."""
    sim.reset()
    tch.reset()
    a, b = sim.step(), tch.step()
    loss_rel = abs(a - b) / abs(b)
    torch_params = [p.detach().numpy() for p in tch.model.parameters()]
    sim_params = [v for leaf in sim.leaves for k, v in leaf.params.items()]
    assert len(torch_params) == len(sim_params)
    w_rel = 0.0
    for s, t in zip(sim_params, torch_params):
        s = s.T if s.ndim == 2 else s  # torch stores Linear weights (out, in)
        w_rel = max(w_rel, float(np.abs(s - t).max() / max(np.abs(t).max(), 1e-30)))
    limits = (1e-10, 1e-8) if dtype == "float64" else (1e-2, np.inf)
    if not (loss_rel <= limits[0] and w_rel <= limits[1]):
        raise SystemExit(f"simcore and torch disagree ({dtype}): losses {a} vs {b} "
                         f"({loss_rel:.1e} relative), weights differ by {w_rel:.1e} relative")
    return loss_rel, w_rel


def bench_case(kind, depth, dtype, args, torch, Xs, ys) -> dict:
    sim = SimcoreSide(kind, depth, dtype, Xs, ys)
    native = None if args.no_native else SimcoreSide(kind, depth, dtype, Xs, ys, "native")
    sides = [Timed("simcore", sim)]
    rel = rel_native = None
    if torch is not None:
        tch = TorchSide(sim, dtype, torch)
        rel = check_identical_work(sim, tch, dtype)
        if native is not None:
            rel_native = check_identical_work(native, tch, dtype)
        sides += [Timed("torch", tch, torch, threads=1)]
        if not args.no_two_threads:
            sides += [Timed("torch2", tch, torch, threads=2)]
    if native is not None:
        sides += [Timed("native", native)]
    for s in sides:  # warm-up
        s.run(max(2, args.steps // 2))
    for rep in range(args.reps):
        k = rep % len(sides)
        for s in sides[k:] + sides[:k]:  # rotate the order: no side is always first
            s.sample(args.steps)
    out = {"case": f"{kind} {depth}, {dtype}", "rel": rel, "rel_native": rel_native}
    out.update({s.name: s.ms for s in sides})
    return out


def matmul_table(dtypes: list[str], reps: int = 7, number: int = 200) -> str:
    """The three products of one hidden layer (batch 128, width 32), portable vs BLAS ``@``."""
    from simcore.portable import matmul

    rng = np.random.default_rng(0)
    rows = ["| product | dtype | portable matmul µs | BLAS `@` µs | ratio |", "|---|---|---:|---:|---:|"]
    for dtype in dtypes:
        X, dZ = (rng.normal(size=(BATCH, WIDTH)).astype(dtype) for _ in range(2))
        W = rng.normal(size=(WIDTH, WIDTH)).astype(dtype)
        for name, A, B in (("forward X @ W", X, W), ("weights X.T @ dZ", X.T, dZ),
                           ("input dZ @ W.T", dZ, W.T)):
            t = []
            for f in (lambda: matmul(A, B), lambda: A @ B):
                best = min(_timeit(f, number) for _ in range(reps))
                t.append(best * 1e6)
            rows.append(f"| {name} | {dtype} | {t[0]:.1f} | {t[1]:.1f} | {t[0] / t[1]:.1f}× |")
    return "\n".join(rows)


def _timeit(f, number: int) -> float:
    t = time.perf_counter()
    for _ in range(number):
        f()
    return (time.perf_counter() - t) / number


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    return f"{cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}"


def table(rows: list[dict], torch) -> str:
    cols = [("simcore", "simcore ms/step")]
    if torch is not None:
        cols += [("torch", "torch ms/step"), ("ratio", "ratio simcore/torch")]
        if "torch2" in rows[0]:
            cols += [("torch2", "torch, 2 threads")]
    if "native" in rows[0]:
        cols += [("native", "simcore, native ms/step")]
        if torch is not None:
            cols += [("ratio_native", "ratio native/torch")]
    lines = ["| case | " + " | ".join(h for _, h in cols) + " |",
             "|---|" + "---:|" * len(cols)]
    for r in rows:
        if torch is not None:
            r["ratio"] = r["simcore"] / r["torch"]
            if "native" in r:
                r["ratio_native"] = r["native"] / r["torch"]
        cells = [f"{r[k]:.2f}×" if k.startswith("ratio") else f"{r[k]:.2f}" for k, _ in cols]
        lines.append(f"| {r['case']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--simcore-only", action="store_true", help="no torch: simcore's timings alone")
    ap.add_argument("--quick", action="store_true", help="5 repetitions of 5 steps")
    ap.add_argument("--reps", type=int, default=15, help="repetitions per side (default 15)")
    ap.add_argument("--steps", type=int, default=10, help="steps per repetition (default 10)")
    ap.add_argument("--cases", default="all", help="e.g. 'plain:8,residual:56' (default all)")
    ap.add_argument("--dtypes", default=",".join(DTYPES))
    ap.add_argument("--no-native", action="store_true",
                    help="skip the 'simcore, native' column (simcore in native arithmetic)")
    ap.add_argument("--no-two-threads", action="store_true", help="skip the 2-thread torch column")
    args = ap.parse_args()
    if args.quick:
        args.reps, args.steps = 5, 5
    torch = None if args.simcore_only else import_torch()
    cases = CASES if args.cases == "all" else [
        (c.split(":")[0], int(c.split(":")[1])) for c in args.cases.split(",")]
    Xs, ys = batches(8)

    print(f"# simcore vs PyTorch: one training step, batch {BATCH}, width {WIDTH}")
    print(f"{datetime.date.today().isoformat()}; {machine()}")
    versions = f"Python {platform.python_version()}, NumPy {np.__version__}"
    if torch is not None:
        versions += f", torch {torch.__version__}"
    print(f"{versions}; {args.reps} repetitions × {args.steps} steps, medians\n", flush=True)
    rows = []
    for dtype in args.dtypes.split(","):
        for kind, depth in cases:
            rows.append(bench_case(kind, depth, dtype, args, torch, Xs, ys))
            r = rows[-1]
            extra = "" if r["rel"] is None else \
                f"  (one step: loss agrees to {r['rel'][0]:.0e}, weights to {r['rel'][1]:.0e}"
            if r["rel_native"] is not None:
                extra += f"; native: {r['rel_native'][0]:.0e}, {r['rel_native'][1]:.0e}"
            extra += ")" if extra else ""
            print(f"  {r['case']}: simcore {r['simcore']:.2f} ms" +
                  (f", torch {r['torch']:.2f} ms" if torch is not None else "") +
                  (f", native {r['native']:.2f} ms" if "native" in r else "") + extra, flush=True)
    print()
    print(table(rows, torch))
    if torch is not None and "native" in rows[0]:
        ratios = [r["ratio_native"] for r in rows]
        print(f"\nsimcore native / torch (1 thread): {min(ratios):.2f}–{max(ratios):.2f}×; "
              f"portable / torch: {min(r['ratio'] for r in rows):.2f}–"
              f"{max(r['ratio'] for r in rows):.2f}× (target: at most 0.7×)")
    if not args.no_native:
        print("\nOne hidden layer's three products (best of 7), portable matmul vs BLAS:\n")
        print(matmul_table(args.dtypes.split(",")))


if __name__ == "__main__":
    main()
