"""People read products by their label, not their code (`consumer_loan` → "Consumer loan" / "消费贷").

The codes are those the placement files carry; an unknown code is shown as it is."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

PRODUCT_LABELS = {
    "consumer_loan": _("Consumer loan"),
    "cash_loan": _("Cash loan"),
    "credit_card": _("Credit card"),
    "car_loan": _("Car loan"),
}


def product_label(code: str) -> Any:
    """The label (lazy: rendered in the reader's language, e.g. a PDF's), or the code if unknown."""
    return PRODUCT_LABELS.get(code) or code
