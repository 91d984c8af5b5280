#!/usr/bin/env python3
# Cold start of builds side by side, with CPU time to the microsecond: `node -e ''` and, for each
# build root (a checkout with `npm run build` done), `hush decrypt`, `hush git textconv` (stdout a
# pipe) and `hush exec-env … -- true` of bench/cold-start.js's 50-value age YAML file. Rounds are
# interleaved (one run of everything per round, the order rotating) after 3 warm-up rounds, so
# machine noise hits every build alike; CPU is the child's user + system time from wait4(2)
# (bench/cold-start.js and before-after.js read /proc's 10 ms ticks), the mean per run with its
# standard error, and the figure to compare on a shared machine; wall is the median.
#
# Python, not Node: Node cannot wait4() a child and read its rusage.
#
# Usage: python3 bench/cold-start-ab.py [--runs N] [--node PATH] [--trace] ROOT...   (default 30
# runs, the `node` on PATH). --trace then also counts, per command and root, the garbage
# collections and TurboFan compilations of one run (`node --trace-gc --trace-opt`, after a run that
# saves the code cache for those flags): work V8 does on other threads too, which CPU time counts. The file is encrypted by the last root's CLI to a fresh key from Debian's
# `age-keygen`. The environment is this one's (so NODE_EXTRA_CA_CERTS and the like count in
# `node -e ''` as in bench/cold-start.js) minus SOPS_* variables, with HOME, XDG_CONFIG_HOME and a
# code cache directory per root in a temp directory. Prints one line per command and root: CPU
# mean, × and + over `node -e ''`, wall median, × and +.
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ap = argparse.ArgumentParser()
ap.add_argument("--runs", type=int, default=30)
ap.add_argument("--node", default=shutil.which("node"))
ap.add_argument("--trace", action="store_true")
ap.add_argument("roots", nargs="+")
opts = ap.parse_args()
roots = [os.path.abspath(r) for r in opts.roots]

tmp = tempfile.mkdtemp(prefix="hush-bench-ab-")
try:
    key = os.path.join(tmp, "keys.txt")
    subprocess.run(["age-keygen", "-o", key], check=True, capture_output=True)
    recipient = next(l.split(": ")[1] for l in open(key) if l.startswith("# public key: "))
    lines = ["# service configuration"]
    for s in range(5):
        lines += [f"service_{s}:", f"    host: db-{s}.internal.example.com", f"    port: {5432 + s}", f"    enabled: {str(s % 2 == 0).lower()}",
                  f"    password: {'p4ss-' * 4}{s}", f"    ratio: {s}.25"]
        lines += [f"    token_{k}: tok-{s}-{k}-{'x' * 24}" for k in range(4)]
    lines += ["replicas:"] + [f"    - replica-{i}.example.com" for i in range(5)]
    plain = os.path.join(tmp, "secrets.yaml")
    with open(plain, "w") as f:
        f.write("\n".join(lines) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SOPS_")}
    env.update(HOME=tmp, XDG_CONFIG_HOME=tmp, SOPS_AGE_KEY_FILE=key)
    enc = os.path.join(tmp, "secrets.enc.yaml")
    out = subprocess.run([opts.node, os.path.join(roots[-1], "bin", "hush.js"), "encrypt", "--age", recipient, plain], env=env, check=True, capture_output=True)
    with open(enc, "wb") as f:
        f.write(out.stdout)

    def run(argv, e, pipe):
        """Runs argv, stdout to a pipe (read and dropped) or a write-only /dev/null; returns (cpu ms, wall ms)."""
        t = time.perf_counter()
        if pipe:
            r, w = os.pipe()
        pid = os.fork()
        if pid == 0:
            try:
                if pipe:
                    os.dup2(w, 1)
                    os.close(r)
                    os.close(w)
                else:
                    os.dup2(os.open("/dev/null", os.O_WRONLY), 1)
                os.execve(argv[0], argv, e)
            finally:
                os._exit(127)
        if pipe:
            os.close(w)
            while os.read(r, 65536):
                pass
            os.close(r)
        _, status, ru = os.wait4(pid, 0)
        wall = (time.perf_counter() - t) * 1000
        if status != 0:
            sys.exit(f"failed ({status}): {' '.join(argv)}")
        return (ru.ru_utime + ru.ru_stime) * 1000, wall

    commands = [("decrypt", ["decrypt", enc], False), ("textconv", ["git", "textconv", enc], True), ("exec-env", ["exec-env", "--env-lists", enc, "--", "true"], False)]
    jobs = [("node -e ''", "-", [opts.node, "-e", ""], env, False)]
    for name, args, pipe in commands:
        for i, root in enumerate(roots):
            jobs.append((name, root, [opts.node, os.path.join(root, "bin", "hush.js")] + args, {**env, "XDG_CACHE_HOME": os.path.join(tmp, f"cache-{i}")}, pipe))
    results = {(j[0], j[1]): [] for j in jobs}
    for rnd in range(opts.runs + 3):
        k = rnd % len(jobs)
        for name, root, argv, e, pipe in jobs[k:] + jobs[:k]:
            r = run(argv, e, pipe)
            if rnd >= 3:
                results[(name, root)].append(r)
    base = results[("node -e ''", "-")]
    bc = statistics.mean(c for c, _ in base)
    bw = statistics.median(w for _, w in base)
    v = subprocess.run([opts.node, "--version"], capture_output=True, text=True).stdout.strip()
    print(f"node {v}, {opts.runs} interleaved runs, load average at the end {', '.join(f'{x:.2f}' for x in os.getloadavg())}")
    for (name, root), rs in results.items():
        c = statistics.mean(x for x, _ in rs)
        se = statistics.stdev(x for x, _ in rs) / len(rs) ** 0.5
        w = statistics.median(x for _, x in rs)
        print(f"{name:10s} {root[-28:]:28s} CPU {c:6.1f} ±{se:.1f} ms ({c / bc:.3f}×, +{c - bc:5.1f})   wall {w:6.1f} ms ({w / bw:.3f}×, +{w - bw:5.1f})")
    if opts.trace:
        for name, root, argv, e, pipe in jobs[1:]:
            traced = [argv[0], "--trace-gc", "--trace-opt"] + argv[1:]
            subprocess.run(traced, env=e, capture_output=True)  # saves the code cache for these flags
            out = subprocess.run(traced, env=e, capture_output=True).stdout.decode("latin1").splitlines()
            count = lambda word: sum(1 for l in out if l.startswith("[") and word in l)
            print(f"{name:10s} {root[-28:]:28s} scavenges {count('Scavenge')}, mark-compacts {count('Mark-Compact')}, TurboFan compiles {count('completed compiling')}")
finally:
    shutil.rmtree(tmp, ignore_errors=True)
