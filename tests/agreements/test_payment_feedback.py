"""A payment entered twice says that nothing new was recorded (issue 18 point 8)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from agreements.models import Payment

pytestmark = pytest.mark.django_db


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(user)
    return client


def test_a_repeated_payment_says_nothing_new_was_recorded(active, owing, supervisor):
    client = signed_in(supervisor)
    data = {
        "amount": "500.00",
        "paid_on": dt.date.today().isoformat(),
        "method": "bank_transfer",
        "reference": "W-1",
    }
    client.post(reverse("agreements:payment-new", args=[owing.pk]), data)

    again = client.post(reverse("agreements:payment-new", args=[owing.pk]), data, follow=True)

    assert [str(m) for m in again.context["messages"]][-1:] == [
        "This payment (reference W-1) was already recorded: nothing new was recorded."
    ]
    assert Payment.objects.count() == 1
