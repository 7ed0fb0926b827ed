"""A PACS for a team: two Orthancs on one PostgreSQL database, side by side with one SQLite Orthanc.

    python benchmarks/bench_teams.py [--instances 200] [--size 256]

The peer is Orthanc's default engine (SQLite index, files on disk,
``examples/orthanc.json``); the team's engine is ``examples/orthanc-postgresql.json``
(index and files in PostgreSQL, ``"Lock": false``) with two Orthanc processes on one
database. Both on loopback on this machine, each started from nothing. Measured:

* ``store``: STOW-RS of one synthetic CT study (``--instances`` slices of ``--size``²)
  through :func:`workbench.pacs.dicomweb.push`, one client;
* ``store, two clients``: two studies at once, one through each Orthanc of the cluster
  (the SQLite peer: both through its one process);
* ``same study twice``: the same study stored through both Orthancs at once (the
  race a second coordinator makes): failures, and the instances the database keeps;
* ``qido``: the median of 20 ``/studies`` searches (the case board's query);
* ``bytes per instance``: growth of the storage folder (SQLite) or of the database.

Results go to ``benchmarks/results/teams.json``. As root, PostgreSQL runs as ``nobody``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path[:0] = [str(HERE), str(ROOT / "tests"), str(ROOT / "tests" / "teams")]
from bench_pacs import synthetic_study  # noqa: E402 - beside this script
from cluster import Postgres  # noqa: E402 - the teams test's PostgreSQL
from orthanc_server import OrthancServer  # noqa: E402 - the tests' Orthanc

from workbench.case import open_case  # noqa: E402
from workbench.pacs.dicomweb import list_studies, push  # noqa: E402


def _push(case, server: OrthancServer) -> tuple[float, int]:
    began = time.perf_counter()
    result = push(case, "dicomweb+" + server.dicomweb_url, auth=server.auth)
    return time.perf_counter() - began, int((result["status"] == "failed").sum())


def _qido_ms(server: OrthancServer) -> float:
    url = "dicomweb+" + server.dicomweb_url
    times = []
    for _ in range(20):
        began = time.perf_counter()
        list_studies(url, {"PatientID": "BENCH*"}, auth=server.auth)
        times.append(time.perf_counter() - began)
    return 1000 * statistics.median(times)


def _count(server: OrthancServer) -> int:
    import requests

    answer = requests.get(f"{server.base_url}/statistics", auth=server.auth, timeout=10)
    return int(answer.json()["CountInstances"])


def _dir_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _db_bytes(pg: Postgres) -> int:
    out = subprocess.run(
        [str(pg.bin / "psql"), "-h", "127.0.0.1", "-p", str(pg.port), "-U", pg.user, "-tAc",
         f"select pg_database_size('{pg.database}')", pg.database],
        check=True, capture_output=True, text=True, env={**os.environ, "PGPASSWORD": pg.password},
    )  # fmt: skip
    return int(out.stdout.strip())


def _run(label: str, servers: list[OrthancServer], cases: list, size_of) -> dict[str, float]:
    first, second, third, raced = cases
    before = size_of()
    one, failed_one = _push(first, servers[0])
    with ThreadPoolExecutor(2) as pool:
        began = time.perf_counter()
        both = list(pool.map(_push, [second, third], [servers[0], servers[-1]]))
        two = time.perf_counter() - began
    n = len(first.instances)
    stored = _count(servers[0])
    grown = size_of() - before
    # the same (new) study through both processes at once
    with ThreadPoolExecutor(2) as pool:
        race = list(pool.map(_push, [raced] * 2, [servers[0], servers[-1]]))
    out = {
        f"{label}_store_instances_per_s": n / one,
        f"{label}_store_two_clients_instances_per_s": 2 * n / two,
        f"{label}_store_failures": failed_one + sum(f for _, f in both),
        f"{label}_same_study_twice_failures": sum(f for _, f in race),
        f"{label}_same_study_twice_instances_kept": _count(servers[0]) - stored,
        f"{label}_qido_ms": _qido_ms(servers[-1]),
        f"{label}_bytes_per_instance": grown / (3 * n),
    }
    for key, value in out.items():
        print(f"{key}: {value:.1f}" if isinstance(value, float) else f"{key}: {value}")
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--size", type=int, default=256)
    args = parser.parse_args()
    results: dict[str, object] = {
        "machine": platform.platform(),
        "python": platform.python_version(),
        "instances": args.instances,
        "size": args.size,
    }
    base = Path(tempfile.mkdtemp(prefix="wb-bench-teams-"))
    base.chmod(0o755)
    try:
        cases = []
        for k in range(4):
            synthetic_study(base / f"study{k}", args.instances, args.size)
            cases.append(open_case(base / f"study{k}", workspace=base / f"ws{k}"))
        peer_config = json.loads((ROOT / "examples" / "orthanc.json").read_text())
        with OrthancServer(base / "sqlite", base_config=peer_config) as peer:
            results |= _run("sqlite", [peer], cases, lambda: _dir_bytes(base / "sqlite"))
        pg = Postgres(base / "pg").start()
        try:
            config = json.loads((ROOT / "examples" / "orthanc-postgresql.json").read_text())
            config["PostgreSQL"].update(pg.orthanc_settings())
            servers = [OrthancServer(base / f"pg-orthanc{i}", base_config=config) for i in (1, 2)]
            for server in servers:
                server.start()
            try:
                results |= _run("postgresql", servers, cases, lambda: _db_bytes(pg))
            finally:
                for server in servers:
                    server.stop()
        finally:
            pg.stop()
    finally:
        shutil.rmtree(base, ignore_errors=True)
    out = HERE / "results" / "teams.json"
    out.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
