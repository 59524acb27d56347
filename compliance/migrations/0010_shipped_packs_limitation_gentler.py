"""A new version of each shipped pack (cn-default, us, uk) with the LIMITATION interruptions and the
GENTLER_FIRST parameters (COMPLIANCE.md). The landed versions stay as they were: each gets a row
`latest + 1` copying the latest version's parameters, with the new ones set and GENTLER_FIRST added to
the checks a supervisor may override. Stricter copies keep their own versions (a compliance officer
versions them from the pack pages)."""

from django.db import migrations

MARK = "0010_shipped_packs_limitation_gentler"
ALL_DEMANDS = [
    "connected_contact",
    "delivered_notice",
    "lawyer_letter",
    "acknowledgement_written",
    "acknowledgement_oral",
    "payment",
    "agreement",
]
WRITTEN_OR_PAID = ["acknowledgement_written", "payment", "agreement"]
NEW = {
    "cn-default": {
        "limitation_interrupted_by": ALL_DEMANDS,
        "gentler_attempts": 3,
        "gentler_window_days": 14,
        "sources": {
            "limitation": (
                "PRC Civil Code art. 188 (3 years from the overdue date), art. 195 (the creditor's demand, "
                "the debtor's agreement to perform — an acknowledgement, a payment, a signed agreement — "
                "restart it)"
            ),
            "gentler_first": (
                "policy: 3 attempts in 14 days (seeds: 优先考虑其他更温和的办法; 若多次无果，则考虑采用上门)"
            ),
        },
    },
    "us": {
        "limitation_interrupted_by": WRITTEN_OR_PAID,
        "gentler_attempts": 2,
        "gentler_window_days": 30,
        "sources": {
            "limitation": (
                "policy: state law varies (in most states a payment or a signed written acknowledgement "
                "restarts or revives the period; a demand does not); no suit or threat of suit on "
                "time-barred debt, 12 CFR 1006.26(b)"
            ),
            "gentler_first": "policy: 2 attempts in 30 days by other channels before a visit",
        },
    },
    "uk": {
        "limitation_interrupted_by": WRITTEN_OR_PAID,
        "gentler_attempts": 2,
        "gentler_window_days": 30,
        "sources": {
            "limitation": (
                "Limitation Act 1980 s.5 (6 years), s.29(5) and s.30 (a written acknowledgement signed "
                "by the debtor, or a payment, restarts the period; a demand does not)"
            ),
            "gentler_first": (
                "policy: 2 attempts in 30 days (CONC 7.9: a visit only where proportionate, after other "
                "channels)"
            ),
        },
    },
}
COPIED = [
    "name",
    "jurisdiction",
    "based_on",
    "contact_window_start",
    "contact_window_end",
    "min_agents",
    "notice_required",
    "notice_lead_hours",
    "visit_cap",
    "visit_cap_window_days",
    "phone_unanswered_per_day",
    "phone_connected_per_day",
    "phone_calls_per_7_days",
    "retention_years",
    "limitation_years",
    "max_instalment_share",
    "payment_reminder_days",
    "agreement_grace_days",
    "promise_grace_days",
    "complaint_ack_days",
    "complaint_resolve_days",
]


def create(apps, schema_editor):
    RulePack = apps.get_model("compliance", "RulePack")
    for code, new in NEW.items():
        latest = RulePack.objects.filter(code=code).order_by("-version").first()
        if latest is None or (latest.sources or {}).get("migration") == MARK:
            continue
        RulePack.objects.create(
            code=code,
            version=latest.version + 1,
            **{name: getattr(latest, name) for name in COPIED},
            limitation_interrupted_by=new["limitation_interrupted_by"],
            gentler_attempts=new["gentler_attempts"],
            gentler_window_days=new["gentler_window_days"],
            overridable=sorted({*(latest.overridable or []), "GENTLER_FIRST"}),
            sources={**(latest.sources or {}), **new["sources"], "migration": MARK},
        )


def remove(apps, schema_editor):
    RulePack = apps.get_model("compliance", "RulePack")
    RulePack.objects.filter(code__in=list(NEW), sources__migration=MARK).delete()


class Migration(migrations.Migration):
    dependencies = [("compliance", "0009_rulepack_limitation_gentler_fields")]
    operations = [migrations.RunPython(create, remove)]
