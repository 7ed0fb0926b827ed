"""A few hundred mutants on every ``make test`` (``make fuzz`` runs thousands).

Deterministic: the same 300 mutants every run (seed 0), so a failure here is
reproduced with ``python tests/fuzz/run.py --mutants 300 --seed 0``.
"""

from __future__ import annotations

from fuzz.mutate import MUTATIONS, mutants, run


def test_mutants_are_deterministic_and_varied():
    first = [(m.seed_name, m.mutation, m.data) for m in mutants(60, seed=7)]
    again = [(m.seed_name, m.mutation, m.data) for m in mutants(60, seed=7)]
    assert first == again
    assert {m for _, m, _ in first} == set(MUTATIONS)


def test_three_hundred_mutants_without_an_escape(tmp_path):
    report = run(300, tmp_path, seed=0, batch=40)
    assert report.tried == 300
    assert report.escapes == [], "\n".join(report.escapes)
    assert report.cases_opened == 8
    assert report.problem_rows > 0  # the damage is noticed, not just survived
