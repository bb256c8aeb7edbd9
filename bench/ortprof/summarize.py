#!/usr/bin/env python3
"""Sum an ONNX Runtime JSON profile (ortprof / enable_profiling) per op type.

    summarize.py profile.json [skip_runs=2] [top=25]

Skips the first skip_runs model runs (warm-up), then prints, per op type,
the kernel time per run (ms), its share of the summed kernel time, and the
number of nodes; and the run time ("model_run") per run, so that the time
outside kernels (the executor's per-node overhead) shows as the difference.
"""
import collections
import json
import sys


def main():
    path = sys.argv[1]
    skip = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    top = int(sys.argv[3]) if len(sys.argv) > 3 else 25
    with open(path) as f:
        events = json.load(f)
    runs = [e for e in events if e.get("cat") == "Session" and e.get("name") == "model_run"]
    runs.sort(key=lambda e: e["ts"])
    if len(runs) <= skip:
        sys.exit(f"summarize: {path}: {len(runs)} runs, need more than skip={skip}")
    start = runs[skip]["ts"]
    kept = runs[skip:]
    n = len(kept)
    per_op = collections.defaultdict(float)
    nodes = collections.defaultdict(set)
    for e in events:
        if e.get("cat") != "Node" or e["ts"] < start or not e.get("name", "").endswith("_kernel_time"):
            continue
        op = e.get("args", {}).get("op_name", "?")
        per_op[op] += e["dur"]
        nodes[op].add(e["name"])
    kernel = sum(per_op.values())
    run = sum(e["dur"] for e in kept)
    print(f"runs={n} model_run_ms={run / n / 1000:.1f} kernels_ms={kernel / n / 1000:.1f} "
          f"outside_kernels_ms={(run - kernel) / n / 1000:.1f} nodes={sum(len(v) for v in nodes.values())}")
    print(f"{'op type':<28} {'ms/run':>8} {'share':>6} {'nodes':>6} {'us/node':>8}")
    for op, t in sorted(per_op.items(), key=lambda kv: -kv[1])[:top]:
        k = len(nodes[op])
        print(f"{op:<28} {t / n / 1000:8.2f} {100 * t / kernel:5.1f}% {k:6d} {t / n / max(k, 1):8.1f}")


if __name__ == "__main__":
    main()
