"""The one domain error: rule codes, messages and sources a view turns into what the user reads."""

from __future__ import annotations

import pytest
from django.utils.translation import gettext_lazy as _

from common.errors import DomainError, Failure, PermissionRefused, raise_if_failed


def test_failure_as_dict_renders_lazy_messages():
    failure = Failure(
        "MANDATE_VALID", _("The mandate has been revoked."), "PRC Civil Code art. 165", "mandate"
    )

    assert failure.as_dict() == {
        "code": "MANDATE_VALID",
        "message": "The mandate has been revoked.",
        "source": "PRC Civil Code art. 165",
        "field": "mandate",
    }


def test_domain_error_lists_codes_in_order():
    error = DomainError([Failure("A_CODE", "first"), Failure("B_CODE", "second")])

    assert error.codes == ["A_CODE", "B_CODE"]
    assert str(error) == "A_CODE: first; B_CODE: second"


def test_permission_refused_is_a_domain_error_with_one_code():
    error = PermissionRefused.because("Not yours.")

    assert isinstance(error, DomainError)
    assert error.codes == ["PERMISSION_DENIED"]
    assert error.failures[0].source


def test_raise_if_failed():
    raise_if_failed([])
    with pytest.raises(DomainError) as error:
        raise_if_failed([Failure("X_CODE", "x")])

    assert error.value.codes == ["X_CODE"]
