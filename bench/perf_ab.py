#!/usr/bin/env python3
"""Compares two builds of lobby-server's CPU per relayed position, A/B.

  python3 bench/perf_ab.py --old OLD_BUILD --new NEW_BUILD [--rounds 4]

For a change that must not cost CPU (a restructure, a refactor): the old and
the new lobby-server run alternately, each against its own build's
lobby-bench (the same bots, and the only client that speaks its protocol
version; the figure is the server's CPU alone), at each player count, for
--rounds rounds. Alternating spreads
the machine's drift over both, and the medians are compared, so one noisy run
does not decide. Prints each run and, per player count, both medians and
their ratio (new / old: below 1.05 is within 5 %). Runs on 127.0.0.1 through
perf_matrix.py's run_bench; every lobby-bench JSON goes to OUT/runs/.
"""
import argparse
import os
import statistics
import sys
import types

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import perf_matrix  # noqa: E402


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--old", required=True, help="CMake build directory of the baseline")
    p.add_argument("--new", required=True, help="CMake build directory of the change")
    p.add_argument("--players", default="256,1000", help="player counts (default 256,1000)")
    p.add_argument("--rounds", type=int, default=4, help="runs of each build per count (default 4)")
    p.add_argument("--duration", type=float, default=20, help="seconds per run (default 20)")
    p.add_argument("--out", default="perf-ab", help="output directory (default perf-ab)")
    return p.parse_args()


def main():
    args = parse_args()
    builds = {"old": args.old, "new": args.new}
    for which, build in builds.items():
        if not os.access(f"{build}/server/lobby-server", os.X_OK):
            sys.exit(f"perf_ab: --{which} {build}: no server/lobby-server in it")
    os.makedirs(os.path.join(args.out, "runs"), exist_ok=True)
    matrix = types.SimpleNamespace(build=args.new, out=args.out, lobby_size=16, move_hz=30,
                                   chat_per_s=0.1, snapshot_hz=30)
    costs = {}
    counts = [int(x) for x in args.players.split(",")]
    for rnd in range(args.rounds):
        for n in counts:
            for which, build in builds.items():
                # The server and lobby-bench of this build: a protocol change
                # (version 5's connect cookie) leaves no bench that speaks to
                # both, and the figure is the server's CPU alone.
                matrix.build = build
                r = perf_matrix.run_bench(matrix, "lobby-server", n, args.duration,
                                          f"{which}-{n}-{rnd}")
                cost = r["server"]["cpu_us_per_position"]
                costs.setdefault((which, n), []).append(cost)
                print(f"perf_ab: {which} {n} players round {rnd}: {cost:.3f} µs", flush=True)
    for n in counts:
        old = statistics.median(costs[("old", n)])
        new = statistics.median(costs[("new", n)])
        print(f"perf_ab: {n} players: CPU µs per relayed position, median of {args.rounds}: "
              f"old {old:.3f}, new {new:.3f}, new/old {new / old:.3f}")


if __name__ == "__main__":
    main()
