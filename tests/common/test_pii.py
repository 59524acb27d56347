"""Masking for display and keyed digests for matching: what personal data looks like outside the database."""

from __future__ import annotations

import hashlib
import hmac

import pytest

from common.pii import (
    digest,
    id_digest,
    mask_address,
    mask_id_number,
    mask_middle,
    mask_phone,
    normalize_phone,
)


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("110105199001011234", "110105********1234"),
        ("11010519491231002X", "110105********002X"),
        ("E12345678", "*********"),  # a passport number too short to show any part of
        ("PE1234567890", "PE1234**7890"),
        ("", ""),
    ],
)
def test_mask_id_number(value, masked):
    assert mask_id_number(value) == masked


def test_mask_id_number_hides_the_birth_date():
    masked = mask_id_number("110105199001011234")

    assert "19900101" not in masked
    assert len(masked) == 18


def test_short_values_are_masked_entirely():
    assert mask_middle("1234", keep_start=3, keep_end=2) == "****"
    assert mask_middle("12345678901", keep_start=6, keep_end=4) == "123456*8901"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("13800138000", "138****8000"),
        ("+86 138-0013-8000", "138****8000"),
        ("138 0013 8000", "138****8000"),
        ("", ""),
    ],
)
def test_mask_phone(value, masked):
    assert mask_phone(value) == masked


def test_normalize_phone():
    assert normalize_phone("+86 (138) 0013-8000") == "13800138000"
    assert normalize_phone("+44 20 7946 0958") == "+442079460958"


@pytest.mark.parametrize(
    ("value", "masked"),
    [
        ("北京市朝阳区建国路99号3单元", "北京市朝阳区…"),
        ("12 Queen's Road Central, Hong Kong", "12 Queen's…"),
        ("北京", "…"),
        ("", ""),
    ],
)
def test_mask_address_keeps_the_district_only(value, masked):
    assert mask_address(value) == masked


def test_digest_is_keyed_hmac_sha256(settings):
    settings.PII_DIGEST_KEY = "k1"

    expected = hmac.new(b"k1", b"phone:13800138000", hashlib.sha256).hexdigest()

    assert digest("13800138000", kind="phone") == expected
    assert digest("13800138000", kind="phone") != hashlib.sha256(b"13800138000").hexdigest()


def test_digest_changes_with_the_key(settings):
    settings.PII_DIGEST_KEY = "k1"
    first = digest("x", kind="note")
    settings.PII_DIGEST_KEY = "k2"

    assert digest("x", kind="note") != first


def test_digest_falls_back_to_the_secret_key(settings):
    settings.PII_DIGEST_KEY = ""

    assert (
        digest("x", kind="note")
        == hmac.new(settings.SECRET_KEY.encode(), b"note:x", hashlib.sha256).hexdigest()
    )


def test_kinds_are_separate_namespaces():
    assert digest("110105199001011234", kind="id:resident_id") != digest(
        "110105199001011234", kind="id:passport"
    )


def test_id_digest_normalizes_case_and_blanks():
    assert id_digest("resident_id", " 11010519491231002x ") == id_digest("resident_id", "11010519491231002X")
