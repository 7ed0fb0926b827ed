"""A team on one machine, for real: PostgreSQL, two Orthancs on one database, JupyterHub.

A de-identified sample case goes into the PACS through one Orthanc and is read back
through the other; two reviewers log in to JupyterHub with their passwords, each
gets their own server, and each kernel opens the study from the PACS
(``open_case("dicomweb+http://…", study=UID)``), measures and writes its notebook
as that reviewer; one reviewer's token is refused on the other's server; the
coordinator's case board shows the study in review by both. Everything is torn
down at the end (see ``cluster.py`` for the users and folders it makes).

Skipped only where a binary is missing on a developer machine; with ``CI`` set it fails.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import requests

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).parents[1]))
from cluster import (
    AS_ROOT,
    ROOT,
    SEPARATE_USERS,
    Hub,
    Postgres,
    Reviewer,
    postgres_bin,
    proxy_command,
    reviewer_python,
    run_in_kernel,
)
from orthanc_server import PLUGINS, OrthancServer, orthanc_binary

from workbench.board import case_board
from workbench.case import open_case
from workbench.deid.pipeline import deidentify
from workbench.notebook.build import notebook_metadata
from workbench.pacs.dicomweb import list_studies, push

SAMPLE = ROOT / "sample_cases" / "knee_oa_right"
EXAMPLE = ROOT / "examples" / "orthanc-postgresql.json"
pytestmark = pytest.mark.slow


def _need_binaries() -> None:
    # fmt: off
    missing = [
        what
        for what, ok in [
            ("PostgreSQL (apt-get install postgresql)", postgres_bin() is not None),
            ("Orthanc (apt-get install orthanc)", orthanc_binary() is not None),
            ("Orthanc's DICOMweb plugin (apt-get install orthanc-dicomweb)",
             Path(PLUGINS, "libOrthancDicomWeb.so").exists()),
            ("Orthanc's PostgreSQL plugins (apt-get install orthanc-postgresql)",
             Path(PLUGINS, "libOrthancPostgreSQLIndex.so").exists()),
            ("configurable-http-proxy (npm install --prefix tests/teams configurable-http-proxy)",
             proxy_command() is not None),
            ("the runuser and useradd commands", not AS_ROOT or bool(
                shutil.which("runuser") and shutil.which("useradd"))),
        ]
        if not ok
    ]
    # fmt: on
    if missing:
        message = "missing: " + "; ".join(missing)
        if os.environ.get("CI"):
            pytest.fail(f"{message}; .ci/run must install them")
        pytest.skip(f"{message}; CI makes this fail")


@dataclass
class Team:
    orthancs: list[OrthancServer]
    hub: Hub
    reviewers: list[Reviewer]
    studies: dict[str, int]  # Study Instance UID -> instances
    pseudonym: str
    cases: Path
    coordinator_home: Path
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def study(self) -> str:
        """The study the reviewers open."""
        return min(self.studies)

    @property
    def pushed(self) -> int:
        return self.studies[self.study]


@pytest.fixture(scope="module")
def team(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Team]:
    _need_binaries()
    tmp = tmp_path_factory.mktemp("team")
    base = Path(tempfile.mkdtemp(prefix="wb-teams-"))  # enterable by the throwaway users
    base.chmod(0o755)
    timings: dict[str, float] = {}
    start = time.monotonic()

    def timed(name: str, stop: Callable[[], object]) -> Callable[[], None]:
        def run() -> None:
            began = time.monotonic()
            stop()
            timings[f"stop {name}"] = round(time.monotonic() - began, 1)

        return run

    with contextlib.ExitStack() as stack:
        stack.callback(shutil.rmtree, base, ignore_errors=True)
        pg = Postgres(base / "pg")
        stack.callback(timed("postgres", pg.stop))
        pg.start()
        timings["postgres"] = time.monotonic() - start
        config = json.loads(EXAMPLE.read_text())
        config["PostgreSQL"].update(pg.orthanc_settings())
        orthancs = [OrthancServer(tmp / f"orthanc-{i}", base_config=config) for i in (1, 2)]
        for server in orthancs:
            stack.callback(timed(f"orthanc {server.port}", server.stop))
            server.start()  # the second starts only because the example says "Lock": false
        timings["orthancs"] = time.monotonic() - start

        tag = secrets.token_hex(3)
        reviewers = [Reviewer(f"wbt{tag}{who}", base) for who in ("ana", "ben")]
        for reviewer in reviewers:
            stack.callback(timed(f"user {reviewer.name}", reviewer.remove))
            reviewer.create()
        pacs, cases = orthancs[1], tmp / "cases"
        python = reviewer_python(base)
        hub = Hub(tmp / "hub", reviewers, {
            "WORKBENCH_PACS_URL": "dicomweb+" + pacs.dicomweb_url,
            "WORKBENCH_PACS_USER": pacs.user,
            "WORKBENCH_PACS_PASSWORD": pacs.password,
            "WORKBENCH_CASES": str(cases),
        }, python)  # fmt: skip
        stack.callback(timed("hub", hub.stop))
        hub.start()  # it starts while the coordinator pushes

        # the coordinator: de-identify the upload, push it through the first Orthanc
        deid = deidentify(
            open_case(SAMPLE, workspace=tmp / "ws-upload"), cases / "case-0001",
            shift_dates=-30, secret="teams-test-secret",
        )  # fmt: skip
        assert not deid.empty
        shared = open_case(cases / "case-0001", workspace=tmp / "ws-shared")
        result = push(shared, "dicomweb+" + orthancs[0].dicomweb_url, auth=orthancs[0].auth)
        assert set(result["status"]) == {"stored"}, result
        pseudonym = str(shared.instances["PatientID"].iloc[0])
        per_study = shared.instances.groupby("StudyInstanceUID").size()
        studies = {str(uid): int(n) for uid, n in per_study.items()}
        timings["pushed"] = time.monotonic() - start

        hub.wait()
        timings["hub"] = time.monotonic() - start
        for reviewer in reviewers:
            hub.login(reviewer)
            hub.start_server(reviewer)
        for reviewer in reviewers:
            hub.wait_server(reviewer)
        timings["servers"] = time.monotonic() - start
        yield Team(orthancs, hub, reviewers, studies, pseudonym, cases,
                   tmp / "coordinator", timings)  # fmt: skip
    print(f"\nteam cycle (s): {timings}")
    for reviewer in reviewers:
        with pytest.raises(KeyError):
            __import__("pwd").getpwnam(reviewer.name)  # the throwaway accounts are gone
    assert not base.exists()


def test_second_orthanc_reads_what_the_first_stored(team: Team) -> None:
    url = "dicomweb+" + team.orthancs[1].dicomweb_url
    # a wildcard reaches Orthanc as a wildcard (percent-encoded, it would find nothing)
    found = list_studies(url, {"PatientID": team.pseudonym[:6] + "*"}, auth=team.orthancs[1].auth)
    assert {s["StudyInstanceUID"]: int(s["NumberOfStudyRelatedInstances"]) for s in found} == (
        team.studies
    )
    assert {s["PatientID"] for s in found} == {team.pseudonym}


def test_each_reviewer_opens_the_study_in_their_own_kernel(team: Team) -> None:
    code = f"""
import json, os
import workbench
from workbench.imaging.measure import Measurement, MeasurementStore
from workbench.notebook.build import build_review_notebook, reviewer_notebook_path
case = workbench.open_case(os.environ["WORKBENCH_PACS_URL"], study={team.study!r})
sop = str(case.instances["SOPInstanceUID"].iloc[0])
store = MeasurementStore(case.workspace)
m = store.add(Measurement("length", ((0, 0), (0, 10)), sop, 1, 5.0, "mm", "PixelSpacing"))
nb = build_review_notebook(case, reviewer_notebook_path(case.workspace))
print(json.dumps({{
    "user": os.environ["JUPYTERHUB_USER"], "uid": os.getuid(), "home": os.path.expanduser("~"),
    "instances": len(case.instances), "observer": m.observer, "store": str(store.path),
    "notebook": str(nb), "workspace": str(case.workspace),
    "cases": os.environ.get("WORKBENCH_CASES"), "secret": "WORKBENCH_DEID_SECRET" in os.environ,
}}))
"""
    with ThreadPoolExecutor(len(team.reviewers)) as pool:  # both read at once, as they would
        answers = list(pool.map(lambda r: run_in_kernel(team.hub, r, code), team.reviewers))
    seen = {}
    for reviewer, answer in zip(team.reviewers, answers, strict=True):
        out = json.loads(answer.strip().splitlines()[-1])
        seen[reviewer.name] = out
        assert out["user"] == reviewer.name
        assert out["instances"] == team.pushed
        assert out["observer"] == reviewer.name
        assert out["cases"] == str(team.cases)
        assert out["secret"] is False  # the de-identification secret never reaches reviewers
        assert Path(out["workspace"]).is_relative_to(reviewer.home)
        assert notebook_metadata(out["notebook"])["reviewer"] == reviewer.name
        stored = json.loads(Path(out["store"]).read_text())["measurements"]
        assert [m["observer"] for f in stored.values() for ms in f.values() for m in ms] == [
            reviewer.name
        ]
    ana, ben = (seen[r.name] for r in team.reviewers)
    assert ana["notebook"] != ben["notebook"] and ana["store"] != ben["store"]
    if SEPARATE_USERS:  # each server runs as its reviewer's own Linux account
        assert ana["uid"] != ben["uid"] and 0 not in (ana["uid"], ben["uid"])


def test_a_reviewers_token_is_refused_on_the_other_server(team: Team) -> None:
    ana, ben = team.reviewers
    own = team.hub.api("GET", f"/user/{ana.name}/api/kernels", ana.token)
    assert own.status_code == 200, own.text
    other = team.hub.api("GET", f"/user/{ben.name}/api/kernels", ana.token, allow_redirects=False)
    assert other.status_code == 403, (other.status_code, other.text[:200])
    assert requests.get(f"{team.hub.url}/user/{ben.name}/api/kernels", timeout=10,
                        allow_redirects=False).status_code in (302, 403)  # fmt: skip


def test_the_case_board_shows_who_is_reading(team: Team) -> None:
    # the reviewers' kernels ran in the previous test; the board reads what they left
    homes = [team.coordinator_home] + [r.home / ".workbench" for r in team.reviewers]
    url = "dicomweb+" + team.orthancs[1].dicomweb_url
    board = case_board(team.cases, pacs=url, auth=team.orthancs[1].auth, homes=homes)
    assert len(board) == 1 + len(team.studies)
    study = board[board["study_uid"] == team.study].iloc[0]
    assert study["state"] == "in_review"
    assert study["reviewers"] == ", ".join(sorted(r.name for r in team.reviewers))
    unopened = board[board["study_uid"].isin(set(team.studies) - {team.study})]
    assert set(unopened["state"]) == {"in_archive"} and len(unopened) == len(team.studies) - 1
    folder = board[board["case"] == "case-0001"].iloc[0]
    assert folder["state"] in ("ready_for_review", "waiting_for_records")
