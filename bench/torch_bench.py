#!/usr/bin/env python3
"""PyTorch peer of netae's benchmark suite: the canonical autoencoder workload and FP32 GEMM.

Training: one epoch over the rows, batch 256, torch.optim.Adam(lr=1e-3), MSE; data on the
device, shuffled once per epoch on the device, the epoch's loss summed on the device and
read once. Timed after a warm-up epoch, with the device synchronized around it.
  - eager: the usual loop (zero_grad, forward, loss, backward, step).
  - cuda-graph (CUDA only): one whole training step (forward, backward, Adam with
    capturable=True) captured with torch.cuda.graph on static inputs and replayed per step;
    a ragged last batch runs eagerly.
Scoring: forward and per-row mean squared error, chunks of 65,536 rows, copied from host
memory and the errors copied back, as netae's scorer does.
GEMM: Y = X @ W.T + b (torch.addmm) in FP32 with TF32 off, timed with CUDA events.

Run alone (random data, PyTorch's own initialisation) or from netae's suite, which passes
the same data and initial parameters that netae trains on. Prints a table on stderr and
writes JSON (to --out, else stdout).
"""
import argparse
import json
import sys
import time

import torch
from torch import nn

BATCH = 256
LR = 1e-3
SCORE_CHUNK = 65_536
CANONICAL_ROWS = 67_343
CANONICAL_COLS = 122
DEFAULT_MODELS = {"deep": "122-64-32-16-32-64-122", "seed": "122-61-122"}
ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": None}


def parse_spec(text):
    """Widths joined by '-', each after the first optionally ':activation' (hidden: relu, last: identity)."""
    parts = text.split("-")
    widths, acts = [], []
    for i, part in enumerate(parts):
        width, _, act = part.partition(":")
        widths.append(int(width))
        if i > 0:
            acts.append(act or ("identity" if i == len(parts) - 1 else "relu"))
    return widths, acts


def build_model(spec, init, device):
    widths, acts = parse_spec(spec)
    modules = []
    for i, act in enumerate(acts):
        modules.append(nn.Linear(widths[i], widths[i + 1]))
        if ACTIVATIONS[act] is not None:
            modules.append(ACTIVATIONS[act]())
    model = nn.Sequential(*modules)
    if init is not None:
        load_flat(model, init)
    return model.to(device)


def load_flat(model, flat):
    """netae's flat layout: per layer W [out, in] then b [out]."""
    offset = 0
    with torch.no_grad():
        for layer in model:
            if isinstance(layer, nn.Linear):
                for p in (layer.weight, layer.bias):
                    n = p.numel()
                    p.copy_(flat[offset:offset + n].view_as(p))
                    offset += n
    if offset != flat.numel():
        raise ValueError(f"initial parameters: {flat.numel()} values for a model of {offset}")


def read_f32(path):
    with open(path, "rb") as f:
        return torch.frombuffer(bytearray(f.read()), dtype=torch.float32)


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def epoch_batches(rows, device, generator):
    order = torch.randperm(rows, device=device, generator=generator)
    return [(s, min(BATCH, rows - s)) for s in range(0, rows, BATCH)], order


def train_eager(model, data, device, generator):
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    loss_fn = nn.MSELoss()
    batches, order = epoch_batches(data.shape[0], device, generator)
    total = torch.zeros((), device=device)
    sync(device)
    start = time.perf_counter()
    shuffled = data.index_select(0, order)
    for s, n in batches:
        x = shuffled[s:s + n]
        optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), x)
        loss.backward()
        optimizer.step()
        total += loss.detach() * n
    mean = total.item() / data.shape[0]
    seconds = time.perf_counter() - start
    return seconds, len(batches), mean


def train_graph(model, data, device, generator, init):
    optimizer = torch.optim.Adam(model.parameters(), lr=LR, capturable=True)
    loss_fn = nn.MSELoss()
    static_x = data[:BATCH].clone()
    total = torch.zeros((), device=device)

    def step(x, n, zero_grad=True):
        if zero_grad:
            optimizer.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), x)
        loss.backward()
        optimizer.step()
        total.add_(loss.detach() * n)

    side = torch.cuda.Stream(device)
    side.wait_stream(torch.cuda.current_stream(device))
    with torch.cuda.stream(side):
        for _ in range(3):
            step(static_x, BATCH)
    torch.cuda.current_stream(device).wait_stream(side)
    optimizer.zero_grad(set_to_none=True)
    graph = torch.cuda.CUDAGraph()
    with torch.cuda.graph(graph):
        step(static_x, BATCH, zero_grad=False)

    reset(model, optimizer, init)
    total.zero_()
    batches, order = epoch_batches(data.shape[0], device, generator)
    sync(device)
    start = time.perf_counter()
    shuffled = data.index_select(0, order)
    for s, n in batches:
        if n == BATCH:
            static_x.copy_(shuffled[s:s + n])
            graph.replay()
        else:
            step(shuffled[s:s + n], n)
    mean = total.item() / data.shape[0]
    seconds = time.perf_counter() - start
    return seconds, len(batches), mean


def reset(model, optimizer, init):
    with torch.no_grad():
        if init is not None:
            load_flat(model, init)
        for state in optimizer.state.values():
            for value in state.values():
                if torch.is_tensor(value):
                    value.zero_()


def measure_train(spec, init, data, device, mode):
    rows = data.shape[0]
    generator = torch.Generator(device=device)
    generator.manual_seed(1)
    warm = data[: min(rows, 4 * BATCH + rows % BATCH)]
    if mode == "eager":
        train_eager(build_model(spec, init, device), warm, device, generator)
        seconds, steps, loss = train_eager(build_model(spec, init, device), data, device, generator)
    else:
        seconds, steps, loss = train_graph(build_model(spec, init, device), data, device, generator, init)
    return {
        "rows": rows, "samples_per_second": rows / seconds, "ms_per_step": seconds * 1000 / steps, "loss": loss,
    }


@torch.no_grad()
def score(model, host, device):
    out = torch.empty(host.shape[0])
    for r0 in range(0, host.shape[0], SCORE_CHUNK):
        x = host[r0:r0 + SCORE_CHUNK].to(device)
        out[r0:r0 + x.shape[0]] = ((model(x) - x) ** 2).mean(dim=1).cpu()
    return out


def measure_score(spec, init, host, device):
    model = build_model(spec, init, device).eval()
    score(model, host[:SCORE_CHUNK], device)
    sync(device)
    start = time.perf_counter()
    score(model, host, device)
    sync(device)
    seconds = time.perf_counter() - start
    return {"rows": host.shape[0], "rows_per_second": host.shape[0] / seconds}


def measure_gemm(shape, device):
    m, k, n = shape
    x = torch.rand(m, k, device=device) - 0.5
    w = torch.rand(n, k, device=device) - 0.5
    b = torch.rand(n, device=device) - 0.5
    flop = 2 * m * k * n
    reps = max(10, min(100, round(1e11 / flop)))
    torch.addmm(b, x, w.t())
    sync(device)
    if device.type == "cuda":
        begin, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        begin.record()
        for _ in range(reps):
            torch.addmm(b, x, w.t())
        end.record()
        end.synchronize()
        ms = begin.elapsed_time(end) / reps
    else:
        start = time.perf_counter()
        for _ in range(reps):
            torch.addmm(b, x, w.t())
        ms = (time.perf_counter() - start) * 1000 / reps
    return {"shape": list(shape), "ms": ms, "gflops": flop / ms / 1e6}


def parse_args(argv):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", help="float32 rows × cols, row-major, little-endian (default: uniform random)")
    p.add_argument("--rows", type=int, default=CANONICAL_ROWS)
    p.add_argument("--cols", type=int, default=CANONICAL_COLS)
    p.add_argument("--score-rows", type=int, default=4 * SCORE_CHUNK)
    p.add_argument("--model", action="append", default=[],
                   help="NAME=SPEC[@INIT.f32], e.g. deep=122-64-32-16-32-64-122@init-deep.f32 (default: deep and seed)")
    p.add_argument("--gemm", default="", help="M×K×N shapes joined by ',' (default: 4096x4096x4096 on CUDA, 1024x1024x1024 on CPU)")
    p.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    p.add_argument("--out", help="JSON file (default: stdout)")
    return p.parse_args(argv)


def parse_models(entries):
    models = []
    for entry in entries or [f"{k}={v}" for k, v in DEFAULT_MODELS.items()]:
        name, _, rest = entry.partition("=")
        spec, _, init_path = rest.partition("@")
        models.append((name, spec, read_f32(init_path) if init_path else None))
    return models


def main(argv):
    args = parse_args(argv)
    device = torch.device(args.device)
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    torch.manual_seed(1)
    if args.data:
        data = read_f32(args.data)[: args.rows * args.cols].view(args.rows, args.cols)
    else:
        data = torch.rand(args.rows, args.cols)
    reps = -(-args.score_rows // data.shape[0])
    host = data.repeat(reps, 1)[: args.score_rows].contiguous()
    on_device = data.to(device)
    modes = ["eager"] + (["cuda-graph"] if device.type == "cuda" else [])
    result = {
        "torch": torch.__version__,
        "device": device.type,
        "gpu": torch.cuda.get_device_name(device) if device.type == "cuda" else None,
        "cuda": torch.version.cuda,
        "threads": torch.get_num_threads(),
        "train": [], "score": [], "gemm": [],
    }
    for name, spec, init in parse_models(args.model):
        for mode in modes:
            figure = measure_train(spec, init, on_device, device, mode)
            result["train"].append({"model": name, "spec": spec, "mode": mode, **figure})
            log(f"train {name} {mode}: {figure['samples_per_second']:,.0f} samples/s")
        figure = measure_score(spec, init, host, device)
        result["score"].append({"model": name, "spec": spec, "mode": "eager", **figure})
        log(f"score {name}: {figure['rows_per_second']:,.0f} rows/s")
    shapes = [tuple(int(v) for v in s.lower().replace("×", "x").split("x")) for s in args.gemm.split(",") if s]
    for shape in shapes or [(4096, 4096, 4096) if device.type == "cuda" else (1024, 1024, 1024)]:
        figure = measure_gemm(shape, device)
        result["gemm"].append(figure)
        log(f"gemm {'x'.join(map(str, shape))}: {figure['gflops']:,.1f} GFLOP/s")
    text = json.dumps(result, indent=2)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")
    else:
        print(text)


def log(line):
    print(f"  pytorch {line}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main(sys.argv[1:])
