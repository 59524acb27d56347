"""The three rule packs of COMPLIANCE.md, version 1: CN (default), US and UK."""

import datetime as dt

from django.db import migrations

OVERRIDABLE = ["NOTICE_LEAD_TIME", "VISIT_FREQUENCY", "VISIT_REFUSED", "VULNERABLE"]

PACKS = [
    {
        "code": "cn-default",
        "name": "China (default)",
        "jurisdiction": "CN",
        "contact_window_start": dt.time(8, 0),
        "contact_window_end": dt.time(22, 0),
        "min_agents": 2,
        "notice_required": True,
        "notice_lead_hours": 24,
        "visit_cap": 2,
        "visit_cap_window_days": 7,
        "phone_unanswered_per_day": 6,
        "phone_connected_per_day": 3,
        "phone_calls_per_7_days": 42,
        "retention_years": 2,
        "limitation_years": 3,
        "sources": {
            "contact_window": "CBA consumer-loan collection guideline 2026; GB/T 45251-2025",
            "min_agents": "CBA guideline art. 22",
            "notice": "policy, 24 h",
            "visit_cap": "policy",
            "phone": "CBA (6 unanswered/day/number); GB/T 45251 (3 connected/day)",
            "retention": "card rules art. 68 (>= 2 years); PIPL: no longer than necessary",
            "limitation": "PRC Civil Code art. 188, 195",
        },
    },
    {
        "code": "us",
        "name": "United States (Reg F)",
        "jurisdiction": "US",
        "contact_window_start": dt.time(8, 0),
        "contact_window_end": dt.time(21, 0),
        "min_agents": 1,
        "notice_required": False,
        "notice_lead_hours": 0,
        "visit_cap": 1,
        "visit_cap_window_days": 30,
        "phone_unanswered_per_day": 7,
        "phone_connected_per_day": 1,
        "phone_calls_per_7_days": 7,
        "retention_years": 3,
        "limitation_years": 3,
        "sources": {
            "contact_window": "12 CFR 1006.6(b)(1)(i), every time zone linked to the debtor",
            "notice": "optional; no postcards, neutral envelope (1006.22(f))",
            "visit_cap": "example state rule: 209 CMR 18.17",
            "phone": "12 CFR 1006.14(b)",
            "retention": "12 CFR 1006.100",
        },
    },
    {
        "code": "uk",
        "name": "United Kingdom (FCA CONC)",
        "jurisdiction": "UK",
        "contact_window_start": dt.time(8, 0),
        "contact_window_end": dt.time(21, 0),
        "min_agents": 1,
        "notice_required": True,
        "notice_lead_hours": 48,
        "visit_cap": 2,
        "visit_cap_window_days": 30,
        "phone_unanswered_per_day": 3,
        "phone_connected_per_day": 1,
        "phone_calls_per_7_days": 7,
        "retention_years": 6,
        "limitation_years": 6,
        "sources": {
            "contact_window": "FCA MCOB 13.5.4G by analogy; CONC 7.9 unreasonable times",
            "notice": "CONC 7.9.12R adequate notice of date and likely time",
            "visit_cap": "policy; none after dispute/deadlock without agreement",
            "limitation": "Limitation Act 1980 s.5",
        },
    },
]


def create(apps, schema_editor):
    RulePack = apps.get_model("compliance", "RulePack")
    for pack in PACKS:
        RulePack.objects.get_or_create(code=pack["code"], version=1, defaults={**pack, "overridable": OVERRIDABLE})


def remove(apps, schema_editor):
    apps.get_model("compliance", "RulePack").objects.filter(code__in=[p["code"] for p in PACKS], version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0003_rulepack_ruledecision_and_more")]
    operations = [migrations.RunPython(create, remove)]
