"""Repayment agreements, instalments, payments, follow-up and closure (built by the agreements issue)."""
