import pytest

from cases import services
from cases.models import Stage
from tests.factories import make_verifiable


@pytest.mark.django_db
def test_verify_happy_path(case, agent):
    make_verifiable(case, agent)
    case = services.case_verify(case=case, actor=agent)
    assert case.stage == Stage.VERIFIED
