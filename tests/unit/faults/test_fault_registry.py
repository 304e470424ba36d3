"""FaultRegistry: which fault fires for which request, how often, and what it refuses to hold."""

from __future__ import annotations

import random

import pytest

from tenantlab.faults import FaultRegistry, InvalidFault


def aliases(name: str) -> frozenset[str]:
    return frozenset({"c0ffee00-0000-0000-0000-000000000001", "contoso.example", name.lower()})


@pytest.fixture
def faults() -> FaultRegistry:
    return FaultRegistry(resolve_tenant=aliases, rng=random.Random(7))


def test_a_fault_without_a_status_answers_503_until_removed(faults: FaultRegistry) -> None:
    fault = faults.add("token")
    assert fault.status == 503
    for _ in range(3):
        assert faults.fire(faults.candidates("token", "/t/oauth2/v2.0/token", "t"), None) is fault
    assert fault.hits == 3
    fault.remove()
    assert not faults.candidates("token", "/t/oauth2/v2.0/token", "t")


def test_count_fires_n_times_then_the_fault_is_gone(faults: FaultRegistry) -> None:
    fault = faults.add("jwks", status=500, count=2)
    fired = [faults.fire(faults.candidates("jwks", "/x", "t"), None) for _ in range(3)]
    assert fired == [fault, fault, None]
    assert not fault.active
    assert len(faults) == 0


def test_the_context_manager_removes_the_fault(faults: FaultRegistry) -> None:
    with faults.add("graph", status=429, retry_after=3) as fault:
        assert fault.active
    assert not fault.active
    assert list(faults) == []


def test_probability_fires_on_a_share_of_requests(faults: FaultRegistry) -> None:
    faults.add("token", status=503, probability=0.5)
    fired = sum(
        faults.fire(faults.candidates("token", "/", "t"), None) is not None for _ in range(400)
    )
    assert 150 < fired < 250  # seeded: the same number every run


def test_tenant_matches_its_id_or_any_domain_and_nothing_else(faults: FaultRegistry) -> None:
    faults.add("token", tenant="contoso")
    for segment in ("CONTOSO.example", "c0ffee00-0000-0000-0000-000000000001", "contoso"):
        assert faults.candidates("token", "/", segment), segment
    assert not faults.candidates("token", "/", "fabrikam")
    assert not faults.candidates("token", "/", None)


def test_client_id_narrows_the_choice_case_insensitively(faults: FaultRegistry) -> None:
    fault = faults.add("token", client_id="AAAA0000-0000-0000-0000-000000000000")
    candidates = faults.candidates("token", "/", "t")
    assert faults.fire(candidates, "bbbb0000-0000-0000-0000-000000000000") is None
    assert faults.fire(candidates, None) is None
    assert faults.fire(candidates, "aaaa0000-0000-0000-0000-000000000000") is fault


def test_a_path_fault_matches_the_path_and_below_at_segment_boundaries(
    faults: FaultRegistry,
) -> None:
    faults.add("/v1.0/users", status=500)
    assert faults.candidates("graph", "/v1.0/users", None)
    assert faults.candidates("graph", "/v1.0/users/42", None)
    assert not faults.candidates("graph", "/v1.0/usersx", None)
    assert not faults.candidates("graph", "/v1.0/applications", None)


def test_clear_removes_everything(faults: FaultRegistry) -> None:
    faults.add("token")
    faults.add("graph")
    faults.clear()
    assert len(faults) == 0
    assert not faults.armed


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"endpoint": "tokens"}, "unknown endpoint"),
        ({"endpoint": "/_tenantlab/faults"}, "control routes"),
        ({"status": 200}, "400-599"),
        ({"drop": True, "stall": True}, "one of drop and stall"),
        ({"drop": True, "status": 503}, "leave out status"),
        ({"count": 2, "probability": 0.5}, "one of count and probability"),
        ({"count": 0}, "at least 1"),
        ({"probability": 1.5}, "at most 1"),
        ({"retry_after": -1}, "whole seconds"),
        ({"delay": 10_000}, "delay must be"),
        ({"drop": True, "retry_after": 5}, "goes with a status"),
    ],
)
def test_faults_that_cannot_be_injected_are_refused_with_the_fix(
    faults: FaultRegistry, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(InvalidFault, match=message):
        faults.add(**kwargs)  # type: ignore[arg-type]
    assert len(faults) == 0


def test_the_json_form_round_trips_and_refuses_unknown_fields(faults: FaultRegistry) -> None:
    fault = faults.add_json({"endpoint": "graph", "status": 429, "retryAfter": 2, "count": 1})
    shown = fault.to_json()
    assert shown["endpoint"] == "graph"
    assert (shown["status"], shown["retryAfter"], shown["count"], shown["hits"]) == (429, 2, 1, 0)
    with pytest.raises(InvalidFault, match="unknown fault field 'retry'"):
        faults.add_json({"endpoint": "graph", "retry": 2})


def test_two_registries_share_nothing() -> None:
    """Several clouds may run in one process: a fault belongs to one of them."""
    one, two = FaultRegistry(), FaultRegistry()
    one.add("token")
    assert len(two) == 0
    assert not two.candidates("token", "/", "t")
