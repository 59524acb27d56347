"""Every write of the API app: credentials, the placement adapter, the stage-change outbox, webhooks."""

from .credentials import (
    Issued,
    api_key_create,
    api_key_revoke,
    credential_for,
    credential_touch,
    user_token_issue,
    user_token_revoke,
)
from .outbox import ScanResult, stage_changes_scan
from .payments import payments_from_rows
from .placement import PlacementResult, placement_from_rows
from .webhooks import (
    DeliveryOutcome,
    EndpointSecret,
    webhook_deliver,
    webhook_deliveries_due,
    webhook_delivery_retry,
    webhook_endpoint_create,
    webhook_endpoint_update,
    webhook_secret_rotate,
)

__all__ = [
    "DeliveryOutcome",
    "EndpointSecret",
    "Issued",
    "PlacementResult",
    "ScanResult",
    "api_key_create",
    "api_key_revoke",
    "credential_for",
    "credential_touch",
    "payments_from_rows",
    "placement_from_rows",
    "stage_changes_scan",
    "user_token_issue",
    "user_token_revoke",
    "webhook_deliver",
    "webhook_deliveries_due",
    "webhook_delivery_retry",
    "webhook_endpoint_create",
    "webhook_endpoint_update",
    "webhook_secret_rotate",
]
