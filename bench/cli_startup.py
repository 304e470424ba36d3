"""Benchmark: how long `tenantlab` commands take to start, against `import sqlalchemy`.

    .venv/bin/python bench/cli_startup.py [--rounds 7] [--baseline OLD/src]

Each round runs, as new processes in a fresh data folder (one tenant, made before timing):
`python -c "import sqlalchemy"` (the yardstick: a directory command has to load SQLAlchemy),
`python -c "pass"` (the interpreter alone), `tenantlab --version`, `tenantlab --help`,
`tenantlab tenant list` and `tenantlab app list`. The rounds interleave the commands so that a
busy machine slows all of them alike; the medians (wall time, ms) and each command's ratio to
the yardstick are printed. Issue 12 item 7's target: a directory command <= 2x the yardstick.
`--baseline` adds the two directory commands as another version's source tree runs them (e.g.
`git archive COMMIT src | tar -x -C /tmp/before`), in the same rounds, for a before/after.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PYTHON = sys.executable
TENANTLAB = [PYTHON, "-m", "tenantlab.cli"]
COMMANDS: dict[str, list[str]] = {
    "python -c pass": [PYTHON, "-c", "pass"],
    'python -c "import sqlalchemy"': [PYTHON, "-c", "import sqlalchemy"],
    "tenantlab --version": [*TENANTLAB, "--version"],
    "tenantlab --help": [*TENANTLAB, "--help"],
    "tenantlab tenant list": [*TENANTLAB, "tenant", "list"],
    "tenantlab app list": [*TENANTLAB, "app", "list"],
}
YARDSTICK = 'python -c "import sqlalchemy"'


def run(argv: list[str], env: dict[str, str]) -> float:
    started = time.perf_counter()
    subprocess.run(argv, env=env, check=True, stdout=subprocess.DEVNULL)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--baseline", type=Path, help="another version's src folder")
    args = parser.parse_args()
    commands = dict(COMMANDS)
    baseline_env: dict[str, str] = {}
    if args.baseline is not None:
        baseline_env["PYTHONPATH"] = str(args.baseline.resolve())
        for name in ("tenant list", "app list"):
            commands[f"tenantlab {name} (baseline)"] = [*TENANTLAB, *name.split()]
    with tempfile.TemporaryDirectory() as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TENANTLAB_")}
        env["TENANTLAB_HOME"] = str(Path(home) / "home")
        # As on a user's machine, Python keeps the bytecode it compiles (some CI and sandbox
        # images set PYTHONDONTWRITEBYTECODE, which makes every start compile every import).
        env.pop("PYTHONDONTWRITEBYTECODE", None)
        tenant = ["tenant", "create", "--name", "Contoso", "--domain", "contoso"]
        subprocess.run([*TENANTLAB, *tenant], env=env, check=True, stdout=subprocess.DEVNULL)
        envs = {
            name: {**env, **baseline_env} if name.endswith("(baseline)") else env
            for name in commands
        }
        times: dict[str, list[float]] = {name: [] for name in commands}
        for name, argv in commands.items():  # warm the file cache and the bytecode
            run(argv, envs[name])
        for _ in range(args.rounds):
            for name, argv in commands.items():
                times[name].append(run(argv, envs[name]))
    yardstick = statistics.median(times[YARDSTICK])
    print(f"{'command':43} {'median ms':>10} {'min ms':>8} {'x sqlalchemy':>13}")
    for name, values in times.items():
        median = statistics.median(values)
        print(f"{name:43} {median:10.0f} {min(values):8.0f} {median / yardstick:13.2f}")


if __name__ == "__main__":
    main()
