"""Pure compliance checks at their boundaries: no database, no clock."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest

from compliance.rules import (
    CaseFacts,
    MandateFacts,
    VerificationFacts,
    check_mandate_valid,
    check_verification,
    resident_id_check_char,
    resident_id_problem,
)

WEIGHTS = [2 ** (17 - i) % 11 for i in range(17)]  # ISO 7064 MOD 11-2, derived rather than copied


def check_char(first17: str) -> str:
    return "10X98765432"[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


# --- PRC resident ID (GB 11643-1999) --------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "11010519491231002X",  # the standard's own example, check character X
        "11010519491231002x",  # lower-case x is accepted (normalized)
        "440524188001010014",
        " 440524188001010014 ",  # surrounding blanks are ignored
        "110105200002290013",  # 29 February of a leap year
    ],
)
def test_valid_resident_ids(value):
    assert resident_id_problem(value) is None


def test_check_char_matches_the_standard():
    for first17 in ["11010519491231002", "44052418800101001", "11010520000229001", "35020319850707123"]:
        assert resident_id_check_char(first17) == check_char(first17)


@pytest.mark.parametrize("last", [c for c in "0123456789X" if c != "X"])
def test_every_wrong_check_character_is_refused(last):
    assert resident_id_problem("11010519491231002" + last) == "check digit does not match (GB 11643-1999)"


def test_wrong_check_digit_is_refused():
    assert "check digit" in resident_id_problem("440524188001010015")


@pytest.mark.parametrize(("value", "n"), [("44052418800101001", 17), ("4405241880010100140", 19), ("", 0)])
def test_wrong_length_is_refused(value, n):
    assert resident_id_problem(value) == f"must have 18 characters (it has {n})"


@pytest.mark.parametrize(
    "value",
    [
        "1101051949123100XX",
        "11010519491231A02X",
        "11010519491231002Y",
        "ABCDEFGHIJKLMNOPQR",
        "11010519-491231002",
    ],
)
def test_letters_are_refused(value):
    assert resident_id_problem(value) == "must be 17 digits followed by a digit or X"


@pytest.mark.parametrize(
    "birth",
    ["19900230", "19001301", "19901300", "19900100", "19000229", "20230229"],
)
def test_impossible_date_of_birth_is_refused(birth):
    first17 = f"110105{birth}001"
    value = first17 + check_char(first17)  # correct check character: only the date is wrong

    assert resident_id_problem(value) == f"contains an impossible date of birth ({birth})"


# --- MANDATE_VALID ---------------------------------------------------------------------------------

FROM = dt.date(2026, 1, 1)
UNTIL = dt.date(2026, 12, 31)
CASE = CaseFacts(creditor_id=1, product="consumer_loan")
MANDATE = MandateFacts(number="M-1", creditor_id=1, valid_from=FROM, valid_until=UNTIL)


def codes(failures) -> list[str]:  # type: ignore[no-untyped-def]
    return [f.code for f in failures]


@pytest.mark.parametrize(
    ("on", "valid"),
    [
        (FROM - dt.timedelta(days=1), False),
        (FROM, True),
        (FROM + dt.timedelta(days=1), True),
        (UNTIL - dt.timedelta(days=1), True),
        (UNTIL, True),
        (UNTIL + dt.timedelta(days=1), False),
    ],
)
def test_mandate_validity_boundaries(on, valid):
    failures = check_mandate_valid(mandate=MANDATE, case=CASE, on=on)

    assert (failures == []) is valid
    if not valid:
        assert codes(failures) == ["MANDATE_VALID"]
        assert failures[0].source == "PRC Civil Code art. 165, 171, 919"
        assert failures[0].field == "mandate"


def test_mandate_not_yet_valid_says_from_when():
    (failure,) = check_mandate_valid(mandate=MANDATE, case=CASE, on=FROM - dt.timedelta(days=1))

    assert "not valid yet" in str(failure.message)
    assert "2026-01-01" in str(failure.message)


def test_expired_mandate_says_when():
    (failure,) = check_mandate_valid(mandate=MANDATE, case=CASE, on=UNTIL + dt.timedelta(days=1))

    assert "expired on 2026-12-31" in str(failure.message)


def test_revoked_mandate():
    (failure,) = check_mandate_valid(mandate=dataclasses.replace(MANDATE, revoked=True), case=CASE, on=FROM)

    assert failure.code == "MANDATE_VALID"
    assert "revoked" in str(failure.message)


def test_mandate_of_another_creditor():
    (failure,) = check_mandate_valid(mandate=dataclasses.replace(MANDATE, creditor_id=2), case=CASE, on=FROM)

    assert "another creditor" in str(failure.message)


@pytest.mark.parametrize(
    ("products", "covered"),
    [((), True), (("consumer_loan",), True), (("car_loan", "consumer_loan"), True), (("car_loan",), False)],
)
def test_mandate_product_scope(products, covered):
    failures = check_mandate_valid(
        mandate=dataclasses.replace(MANDATE, products=products), case=CASE, on=FROM
    )

    assert (failures == []) is covered
    if not covered:
        assert "consumer_loan" in str(failures[0].message)


def test_mandate_without_signed_document():
    (failure,) = check_mandate_valid(
        mandate=dataclasses.replace(MANDATE, has_document=False), case=CASE, on=FROM
    )

    assert "document" in str(failure.message)


def test_no_mandate():
    (failure,) = check_mandate_valid(mandate=None, case=CASE, on=FROM)

    assert failure.code == "MANDATE_VALID"
    assert "No written mandate" in str(failure.message)


def test_every_mandate_problem_is_named():
    bad = MandateFacts(
        number="M-2",
        creditor_id=2,
        valid_from=FROM,
        valid_until=UNTIL,
        products=("car_loan",),
        revoked=True,
        has_document=False,
    )

    failures = check_mandate_valid(mandate=bad, case=CASE, on=UNTIL + dt.timedelta(days=1))

    assert codes(failures) == ["MANDATE_VALID"] * 5


# --- new → verified --------------------------------------------------------------------------------

COMPLETE = VerificationFacts(
    identity_checked=True,
    verified_addresses=1,
    contract_on_file=True,
    assessment_done=True,
    mandate=MANDATE,
    case=CASE,
)


def test_complete_facts_pass():
    assert check_verification(COMPLETE, today=FROM) == []


@pytest.mark.parametrize(
    ("change", "code", "field"),
    [
        ({"identity_checked": False}, "IDENTITY_UNCHECKED", "identity"),
        ({"verified_addresses": 0}, "ADDRESS_UNVERIFIED", "addresses"),
        ({"contract_on_file": False}, "CONTRACT_MISSING", "documents"),
        ({"assessment_done": False}, "ASSESSMENT_MISSING", "assessment"),
        ({"mandate": None}, "MANDATE_VALID", "mandate"),
        ({"mandate": dataclasses.replace(MANDATE, revoked=True)}, "MANDATE_VALID", "mandate"),
    ],
)
def test_each_missing_item_is_named(change, code, field):
    failures = check_verification(dataclasses.replace(COMPLETE, **change), today=FROM)

    assert codes(failures) == [code]
    assert failures[0].field == field
    assert str(failures[0].message)


def test_mandate_is_checked_on_the_given_day():
    facts = COMPLETE

    assert codes(check_verification(facts, today=UNTIL)) == []
    assert codes(check_verification(facts, today=UNTIL + dt.timedelta(days=1))) == ["MANDATE_VALID"]


def test_two_verified_addresses_are_enough_as_one():
    assert check_verification(dataclasses.replace(COMPLETE, verified_addresses=2), today=FROM) == []


def test_nothing_established_names_every_item():
    nothing = VerificationFacts(
        identity_checked=False,
        verified_addresses=0,
        contract_on_file=False,
        assessment_done=False,
        mandate=None,
        case=CASE,
    )

    assert codes(check_verification(nothing, today=FROM)) == [
        "IDENTITY_UNCHECKED",
        "ADDRESS_UNVERIFIED",
        "CONTRACT_MISSING",
        "ASSESSMENT_MISSING",
        "MANDATE_VALID",
    ]
