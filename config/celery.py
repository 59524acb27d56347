"""The Celery app. Tasks are thin and call services; the broker is REDIS_URL (eager without it)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("fieldledger")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
