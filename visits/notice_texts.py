"""The wording of prior notices: defaults in code, per language and channel group, editable as rows.

A notice says that a visit is planned, when (date and window in the debtor's zone), why in general
terms, who (agency and creditor), and where the debtor can check that the visit is genuine (the
link). It never states the amount or anything else about the debt: an SMS, an email or a letter may
be read by someone other than the debtor (privacy; no disclosure to third parties). That is why the
placeholders are a closed set with no amount among them, and why `{link}` is required (the notice
page reads the link back from the stored text to draw its QR code).
"""

from __future__ import annotations

import re
import string
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.utils import translation

from .models import Channel, NoticeGroup, NoticeTemplate

PLACEHOLDERS = ("date", "window", "purpose", "agency", "creditor", "link")
REQUIRED_PLACEHOLDERS = ("date", "window", "link")
LANGUAGES = ("en", "zh-hans")

DEFAULT_SUBJECTS = {
    "en": "Planned visit on {date} ({agency})",
    "zh-hans": "{agency}上门拜访通知（{date}）",
}

DEFAULTS: dict[tuple[str, str], str] = {
    ("en", NoticeGroup.SMS): (
        "{agency}, for {creditor}: we plan to visit you on {date}, {window}, to {purpose}. "
        "Check this visit is genuine: {link}"
    ),
    ("zh-hans", NoticeGroup.SMS): (
        "【{agency}】受{creditor}委托，我们计划于{date} {window}上门拜访，目的：{purpose}。核实本次拜访：{link}"
    ),
    ("en", NoticeGroup.EMAIL): (
        "Hello,\n\n"
        "{agency}, acting for {creditor}, plans to visit you on {date} between {window}.\n"
        "Purpose of the visit: {purpose}.\n\n"
        "Our agents will show their work IDs and the creditor's written authorization.\n"
        "You can check that this visit is genuine, and see who will come, here: {link}\n\n"
        "If this time does not suit you, please reply or call us to agree another time.\n\n"
        "{agency}"
    ),
    ("zh-hans", NoticeGroup.EMAIL): (
        "您好：\n\n"
        "{agency}受{creditor}委托，计划于{date} {window}上门拜访。\n"
        "拜访目的：{purpose}。\n\n"
        "工作人员将出示工作证及债权人的书面授权。\n"
        "您可通过以下链接核实本次拜访的真实性并查看来访人员：{link}\n\n"
        "如时间不便，请回复或来电另约时间。\n\n"
        "{agency}"
    ),
    ("en", NoticeGroup.LETTER): (
        "Notice of a planned visit\n\n"
        "{agency}, acting on the written authorization of {creditor}, plans to visit you on {date} "
        "between {window}.\n"
        "Purpose of the visit: {purpose}.\n\n"
        "The agents will show their work IDs and the authorization letter before anything else. "
        "You can check that the visit is genuine, and see the agents' names, at {link}\n\n"
        "If the time does not suit you, tell us and we will agree another time."
    ),
    ("zh-hans", NoticeGroup.LETTER): (
        "上门拜访通知\n\n"
        "{agency}受{creditor}书面委托，计划于{date} {window}上门拜访。\n"
        "拜访目的：{purpose}。\n\n"
        "工作人员将首先出示工作证及授权委托书。您可访问 {link} 核实本次拜访的真实性并查看来访人员姓名。\n\n"
        "如时间不便，请告知我们另约时间。"
    ),
}

# The notice's content level (rule pack `notice_content`): "full" names the creditor and the purpose;
# "limited" names neither, nor any debt, so that whoever holds the number learns nothing. A notice by
# SMS or phone is limited whenever the number's holder is not verified, whatever the pack says.
LIMITED, FULL = "limited", "full"
LIMITED_TEXTS = {
    "en": "{agency}: we plan to visit you on {date}, {window}. Check this visit is genuine: {link}",
    "zh-hans": "【{agency}】我们计划于{date} {window}上门拜访。核实本次拜访：{link}",
}


def content_level(*, pack_level: str, channel: str, phone: Any) -> str:
    if channel in (Channel.SMS, Channel.PHONE) and (phone is None or phone.status != "verified"):
        return LIMITED
    return FULL if pack_level == FULL else LIMITED


_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def group_for(channel: str) -> str:
    if channel == Channel.SMS:
        return NoticeGroup.SMS
    if channel == Channel.EMAIL:
        return NoticeGroup.EMAIL
    return NoticeGroup.LETTER  # letter and the phone script


def placeholder_problems(text: str, *, required: tuple[str, ...] = REQUIRED_PLACEHOLDERS) -> list[str]:
    """Unknown or missing placeholders, or a malformed text (empty list when the text is usable)."""
    try:
        names = {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError:
        return ["malformed"]
    problems = [f"unknown:{name}" for name in sorted(names - set(PLACEHOLDERS))]
    problems += [f"missing:{name}" for name in required if name not in names]
    return problems


@dataclass(frozen=True)
class Wording:
    subject: str
    body: str
    source: str  # "default" or "template:<pk>"


def wording(*, language: str, group: str) -> Wording:
    """The template in force for a language and group: the saved one, else the default in code."""
    language = language if language in LANGUAGES else "zh-hans"
    row = NoticeTemplate.objects.filter(language=language, group=group).first()
    if row is not None:
        return Wording(row.subject or DEFAULT_SUBJECTS[language], row.body, f"template:{row.pk}")
    return Wording(DEFAULT_SUBJECTS[language], DEFAULTS[(language, group)], "default")


def context_for(*, visit: Any, language: str, link: str) -> dict[str, str]:
    """The values of the placeholders: the visit's date and window in the debtor's zone, no amounts."""
    zone = ZoneInfo(visit.time_zone)
    start, end = visit.window_start.astimezone(zone), visit.window_end.astimezone(zone)
    with translation.override(language):
        purpose = (
            str(visit.get_purpose_display()).lower() if language == "en" else visit.get_purpose_display()
        )
    return {
        "date": start.strftime("%Y-%m-%d"),
        "window": f"{start:%H:%M}–{end:%H:%M}",
        "purpose": str(purpose),
        "agency": settings.AGENCY_NAME,
        "creditor": visit.case.creditor.name,
        "link": link,
    }


def render(template: str, context: dict[str, str]) -> str:
    return template.format_map(context)


LINK_IN_TEXT = re.compile(r"https?://\S+/v/([A-Za-z0-9_-]{20,})/")


def link_in(text: str) -> str:
    """The verification link a stored notice text carries (its QR code is drawn from it)."""
    match = LINK_IN_TEXT.search(text or "")
    return match.group(0) if match else ""
