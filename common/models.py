"""Small base mixins shared by the domain models."""

from django.db import models


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, editable=False)
    updated_at = models.DateTimeField(auto_now=True, editable=False)

    class Meta:
        abstract = True


class OutboxMessage(models.Model):
    """A task to publish, recorded in the transaction of the state that needs it (common/outbox.py).

    `pending` until the broker accepted it; the relay publishes what an after-commit attempt could not
    (broker down, process killed between commit and publish). Never deleted by the app within a day,
    so an operator can see what was published and when."""

    class Status(models.TextChoices):
        PENDING = "pending", "pending"
        PUBLISHED = "published", "published"

    task = models.CharField(max_length=200)
    kwargs = models.JSONField(default=dict)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(editable=False)
    published_at = models.DateTimeField(null=True, blank=True)
    attempts = models.PositiveIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)

    class Meta:
        indexes = [
            models.Index(
                fields=["created_at"],
                name="outbox_pending_idx",
                condition=models.Q(status="pending"),
            )
        ]

    def __str__(self) -> str:
        return f"{self.task}#{self.pk} ({self.status})"
