"""The probe's catalogue and its judge: ids unique, rows from api-security.md §2, verdicts."""

from __future__ import annotations

import pytest

from tenantlab.probe.catalogue import ATTACKS, Expected, by_id
from tenantlab.probe.runner import Answer, BaselineFailed, Verdict, check_baseline, judge

ALG_NONE = by_id(["alg-none"])[0]
NO_ROLES = by_id(["no-roles"])[0]


def test_ids_are_unique_and_rows_are_the_catalogues() -> None:
    ids = [a.id for a in ATTACKS]
    assert len(ids) == len(set(ids))
    assert all(0 <= a.row <= 30 for a in ATTACKS)
    # The list: each of these is in the catalogue.
    wanted = {
        "alg-none", "hs256-public-key-pem", "foreign-key", "kid-path-traversal", "jku-injection",
        "jwk-embedded", "x5u-injection", "wrong-audience", "wrong-issuer", "other-tenant",
        "graph-token", "expired", "nbf-future", "no-roles", "unaccepted-role", "huge-token",
        "malformed-header",
    }  # fmt: skip
    assert wanted <= set(ids)


def test_by_id_keeps_catalogue_order_and_names_unknown_ids() -> None:
    assert [a.id for a in by_id(["expired", "alg-none"])] == ["alg-none", "expired"]
    with pytest.raises(ValueError, match="unknown attack nope"):
        by_id(["nope"])


@pytest.mark.parametrize(
    ("status", "verdict"),
    [
        (401, Verdict.REFUSED),
        (403, Verdict.REFUSED_OTHERWISE),  # refused, but not as RFC 6750 says
        (400, Verdict.REFUSED_OTHERWISE),
        (302, Verdict.REFUSED_OTHERWISE),
        (200, Verdict.ACCEPTED),
        (204, Verdict.ACCEPTED),
        (500, Verdict.ERROR),
        (None, Verdict.ERROR),
    ],
)
def test_judge(status: int | None, verdict: Verdict) -> None:
    assert judge(ALG_NONE, Answer(status, "x"), fetched=False) is verdict


def test_either_refusal_satisfies_an_authorization_attack_and_a_fetch_is_a_finding() -> None:
    assert NO_ROLES.expected is Expected.REFUSED
    assert judge(NO_ROLES, Answer(403), fetched=False) is Verdict.REFUSED
    assert judge(NO_ROLES, Answer(401), fetched=False) is Verdict.REFUSED
    assert judge(ALG_NONE, Answer(401), fetched=True) is Verdict.FETCHED
    assert Verdict.FETCHED.is_finding
    assert not Verdict.REFUSED_OTHERWISE.is_finding


@pytest.mark.parametrize(
    ("answer", "says"),
    [
        (Answer(None, "ConnectError"), "no answer from https://api.test/x (ConnectError)"),
        (Answer(401, "invalid_token"), "refused a valid token (401 invalid_token)"),
        (Answer(404), "answered 404 to a valid token"),
    ],
)
def test_a_baseline_not_accepted_says_why_and_that_nothing_was_probed(
    answer: Answer, says: str
) -> None:
    with pytest.raises(BaselineFailed) as caught:
        check_baseline(answer, "https://api.test/x", tenant="t", audience="api://a")
    assert says in caught.value.message
    assert caught.value.message.endswith("Nothing was probed")


def test_an_accepted_baseline_passes() -> None:
    check_baseline(Answer(200), "https://api.test/x", tenant="t", audience="api://a")
