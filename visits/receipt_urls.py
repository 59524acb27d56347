"""Delivery-receipt endpoints of the SMS gateways (visits/receipt_views.py)."""

from django.urls import path

from . import receipt_views

receipt_urlpatterns = [
    path("sms/receipts/twilio/", receipt_views.twilio_status, name="sms-receipt-twilio"),
]
