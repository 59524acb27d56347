"""What a creditor's system sends and gets back. No personal data goes out: no debtor's name, document,
phone or address, and of the agents only their ids."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from rest_framework import serializers

from cases.importing import COLUMNS
from cases.models import Stage
from visits.models import Purpose, VisitState

from .common import UtcDateTimeField, local_iso
from .user import PLACEMENT_RESULTS


class PlacementInputSerializer(serializers.Serializer):
    rows = serializers.ListField(
        child=serializers.DictField(),
        min_length=1,
        help_text=(
            "The placement file's rows as objects keyed by its columns: " + ", ".join(COLUMNS) + ". Text as "
            "JSON strings (integers are read as their digits), amounts as strings or numbers, dates as "
            "YYYY-MM-DD; `phone` may be a list."
        ),
    )
    dry_run = serializers.BooleanField(default=False, help_text="Check and report; write nothing.")

    def validate_rows(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        limit = settings.API_PLACEMENT_MAX_ROWS
        if len(rows) > limit:
            raise serializers.ValidationError(
                _("At most %(n)d rows per request; send more requests or use the file import.")
                % {"n": limit},
                code="max_length",
            )
        return rows


class PlacementCountsSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    updated = serializers.IntegerField()
    unchanged = serializers.IntegerField()
    debtors_created = serializers.IntegerField()
    debtors_matched = serializers.IntegerField()
    phones_added = serializers.IntegerField()
    addresses_added = serializers.IntegerField()


class PlacedCaseSerializer(serializers.Serializer):
    external_ref = serializers.CharField()
    id = serializers.IntegerField(
        allow_null=True, help_text="The case id (null in a dry run for a new case)."
    )
    result = serializers.ChoiceField(choices=PLACEMENT_RESULTS)


class PlacementResultSerializer(serializers.Serializer):
    dry_run = serializers.BooleanField()
    counts = PlacementCountsSerializer()
    cases = PlacedCaseSerializer(many=True)
    summary = serializers.CharField()


class StageHistoryEntrySerializer(serializers.Serializer):
    stage = serializers.ChoiceField(choices=Stage.choices)
    at = UtcDateTimeField()


class CreditorCaseSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    external_ref = serializers.CharField()
    contract_no = serializers.CharField()
    product = serializers.CharField()
    principal = serializers.DecimalField(max_digits=14, decimal_places=2)
    outstanding = serializers.DecimalField(max_digits=14, decimal_places=2)
    currency = serializers.CharField()
    overdue_since = serializers.DateField()
    stage = serializers.ChoiceField(choices=Stage.choices)
    stage_changed_at = UtcDateTimeField(allow_null=True)
    created_at = UtcDateTimeField()


class CreditorCaseDetailSerializer(CreditorCaseSerializer):
    stage_history = StageHistoryEntrySerializer(
        many=True, help_text="Each stage the case entered, oldest first (the first is its placement)."
    )


class CreditorCaseQuerySerializer(serializers.Serializer):
    external_ref = serializers.CharField(required=False, max_length=64, help_text="Your reference, exactly.")
    stage = serializers.ChoiceField(choices=Stage.choices, required=False)


class CreditorVisitSerializer(serializers.Serializer):
    id = serializers.IntegerField(source="pk")
    state = serializers.ChoiceField(choices=VisitState.choices)
    purpose = serializers.ChoiceField(choices=Purpose.choices)
    window_start = UtcDateTimeField()
    window_end = UtcDateTimeField()
    time_zone = serializers.CharField(help_text="The debtor's time zone the window was planned in.")
    window_start_local = serializers.SerializerMethodField(
        help_text="window_start in time_zone, with offset."
    )
    window_end_local = serializers.SerializerMethodField(help_text="window_end in time_zone, with offset.")
    agents = serializers.SerializerMethodField(help_text="The agents' ids (no names).")
    state_changed_at = UtcDateTimeField(allow_null=True)
    created_at = UtcDateTimeField()

    def get_window_start_local(self, visit: Any) -> str | None:
        return local_iso(visit.window_start, visit.time_zone)

    def get_window_end_local(self, visit: Any) -> str | None:
        return local_iso(visit.window_end, visit.time_zone)

    def get_agents(self, visit: Any) -> list[int]:
        return sorted(va.agent_id for va in visit.visit_agents.all())


class AuditEventSerializer(serializers.Serializer):
    """Exactly one line of `export_audit` (docs/audit-format.md): canonical_json(event) is that line."""

    seq = serializers.IntegerField()
    at = serializers.CharField(help_text="UTC, YYYY-MM-DDTHH:MM:SS.ffffffZ")
    actor = serializers.CharField()
    action = serializers.CharField()
    object_type = serializers.CharField()
    object_id = serializers.CharField()
    data = serializers.DictField()
    prev_hash = serializers.CharField()
    hash = serializers.CharField()

    def to_representation(self, instance: Any) -> dict[str, Any]:
        import json

        from compliance.audit import export_line

        return json.loads(export_line(instance))
