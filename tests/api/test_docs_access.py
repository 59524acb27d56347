"""The API's schema and docs behind sign-in when API_DOCS_PUBLIC is off (production settings)."""

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("name", ["api:schema", "api:docs"])
def test_docs_are_public_by_default_and_behind_sign_in_when_turned_off(client, settings, supervisor, name):
    url = reverse(name)
    assert client.get(url).status_code == 200
    settings.API_DOCS_PUBLIC = False
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))
    client.force_login(supervisor)
    assert client.get(url).status_code == 200
