"""The Simplified Chinese catalogue is complete, compiled, consistent and actually served.

The .po is what translators edit and the .mo is what Django reads; both are committed so that a
machine without gettext still shows Chinese. These tests keep them honest: no entry left empty or
fuzzy, the .mo says exactly what the .po says, every msgstr keeps its msgid's placeholders, and a
request in zh-hans (cookie or Accept-Language) gets Chinese pages. Refresh both files with
`make messages` after adding or changing a marked string.

The .po and .mo readers below are deliberately small (standard library only, no polib): they
understand what makemessages and msgfmt write, not every corner of the PO format.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

BASE_DIR = Path(__file__).resolve().parent.parent
LOCALE_DIR = BASE_DIR / "locale" / "zh_Hans" / "LC_MESSAGES"
PO_PATH = LOCALE_DIR / "django.po"
MO_PATH = LOCALE_DIR / "django.mo"

# --- a small .po reader ------------------------------------------------------------------------

_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\", "a": "\a", "b": "\b", "f": "\f", "v": "\v"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")\s*$')


def _unquote(literal: str) -> str:
    literal = literal.strip()
    if len(literal) < 2 or not literal.startswith('"') or not literal.endswith('"'):
        raise ValueError(f"not a PO string: {literal!r}")
    return re.sub(r"\\(.)", lambda m: _ESCAPES[m.group(1)], literal[1:-1])


@dataclass
class Entry:
    line: int
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstr: dict[int, str] = field(default_factory=dict)  # plural index → text; 0 for a singular
    flags: set[str] = field(default_factory=set)

    @property
    def is_header(self) -> bool:
        return self.msgid == "" and self.msgctxt is None

    def __str__(self) -> str:
        return f"line {self.line}: {self.msgid!r}"


def parse_po(text: str) -> list[Entry]:
    """Active entries in file order (the header first); obsolete `#~` entries are skipped."""
    entries: list[Entry] = []
    entry: Entry | None = None
    target: tuple[str, int] | None = None  # which field a continuation line extends
    pending_flags: set[str] = set()
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line:
            entry, target = None, None
            continue
        if line.startswith("#"):
            if line.startswith("#,"):
                pending_flags |= {f.strip() for f in line[2:].split(",") if f.strip()}
            entry, target = (None, None) if entry is not None and entry.msgstr else (entry, target)
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, literal = match.groups()
            if entry is None or (keyword in ("msgctxt", "msgid") and entry.msgstr):
                entry = Entry(line=number, flags=pending_flags)
                entries.append(entry)
                pending_flags = set()
            value = _unquote(literal)
            if keyword == "msgctxt":
                entry.msgctxt, target = value, ("msgctxt", 0)
            elif keyword == "msgid":
                entry.msgid, target = value, ("msgid", 0)
            elif keyword == "msgid_plural":
                entry.msgid_plural, target = value, ("msgid_plural", 0)
            else:
                slot = int(index) if index is not None else 0
                entry.msgstr[slot], target = value, ("msgstr", slot)
            continue
        if not line.startswith('"') or entry is None or target is None:
            raise ValueError(f"cannot read PO line {number}: {raw!r}")
        name, slot = target
        if name == "msgstr":
            entry.msgstr[slot] += _unquote(line)
        else:
            setattr(entry, name, getattr(entry, name) + _unquote(line))
    return entries


def po_header(entries: list[Entry]) -> dict[str, str]:
    header = entries[0]
    assert header.is_header, "the .po must start with its header entry"
    return dict(
        (key.strip(), value.strip())
        for key, _, value in (line.partition(":") for line in header.msgstr[0].splitlines() if line.strip())
    )


def read_mo(data: bytes) -> dict[str, str]:
    """Original → translation as stored in a GNU .mo (plural parts stay NUL-joined)."""
    magic = struct.unpack("<I", data[:4])[0]
    order = "<" if magic == 0x950412DE else ">"
    if struct.unpack(order + "I", data[:4])[0] != 0x950412DE:
        raise ValueError("not a GNU .mo file")
    _revision, count, originals, translations = struct.unpack(order + "4I", data[4:20])
    catalog = {}
    for i in range(count):
        olen, ooff = struct.unpack(order + "2I", data[originals + 8 * i : originals + 8 * i + 8])
        tlen, toff = struct.unpack(order + "2I", data[translations + 8 * i : translations + 8 * i + 8])
        catalog[data[ooff : ooff + olen].decode("utf-8")] = data[toff : toff + tlen].decode("utf-8")
    return catalog


def expected_mo(entries: list[Entry]) -> dict[str, str]:
    """What msgfmt writes for these entries: not the fuzzy or untranslated ones, and a header
    without its POT-Creation-Date."""
    catalog = {}
    for entry in entries:
        if (not entry.is_header and "fuzzy" in entry.flags) or not all(entry.msgstr.values()):
            continue
        if entry.is_header:
            lines = entry.msgstr[0].splitlines(keepends=True)
            catalog[""] = "".join(line for line in lines if not line.startswith("POT-Creation-Date:"))
            continue
        key = entry.msgid if entry.msgid_plural is None else f"{entry.msgid}\0{entry.msgid_plural}"
        if entry.msgctxt is not None:
            key = f"{entry.msgctxt}\x04{key}"
        catalog[key] = "\0".join(entry.msgstr[i] for i in sorted(entry.msgstr))
    return catalog


@pytest.fixture(autouse=True)
def _restore_language():
    """LocaleMiddleware activates the request's language in this thread and leaves it active."""
    with translation.override(settings.LANGUAGE_CODE):
        yield


@pytest.fixture(scope="module")
def entries() -> list[Entry]:
    return parse_po(PO_PATH.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def messages(entries: list[Entry]) -> list[Entry]:
    return [e for e in entries if not e.is_header]


# --- (a) complete, and the .mo matches the .po -------------------------------------------------


def test_the_parser_reads_what_makemessages_writes():
    text = (
        'msgid ""\nmsgstr ""\n"Language: zh_Hans\\n"\n\n'
        '#: a.py:1\n#, python-format\nmsgid "a %(n)d "\n"\\"b\\""\nmsgstr "甲 %(n)d “乙”"\n\n'
        '#: b.html:2\nmsgid "%(counter)s case"\nmsgid_plural "%(counter)s cases"\nmsgstr[0] "%(counter)s 个"\n\n'
        '#~ msgid "gone"\n#~ msgstr "旧"\n'
    )

    header, single, plural = parse_po(text)

    assert header.is_header
    assert header.msgstr == {0: "Language: zh_Hans\n"}
    assert (single.msgid, single.msgstr, single.flags) == (
        'a %(n)d "b"',
        {0: "甲 %(n)d “乙”"},
        {"python-format"},
    )
    assert (plural.msgid_plural, plural.msgstr) == ("%(counter)s cases", {0: "%(counter)s 个"})


def test_header_declares_simplified_chinese_utf8_and_one_plural_form(entries):
    header = po_header(entries)

    assert header["Language"] == "zh_Hans"
    assert header["Content-Type"] == "text/plain; charset=UTF-8"
    assert header["Plural-Forms"].replace(" ", "") == "nplurals=1;plural=0;"
    assert "fuzzy" not in entries[0].flags


def test_every_entry_is_translated_and_none_is_fuzzy(messages):
    assert len(messages) > 300, "the catalogue looks truncated"
    untranslated = [str(e) for e in messages if not all(v.strip() for v in e.msgstr.values())]
    fuzzy = [str(e) for e in messages if "fuzzy" in e.flags]

    assert not untranslated, f"translate these, then `make messages`: {untranslated}"
    assert not fuzzy, f"check these translations and remove the fuzzy flag: {fuzzy}"


def test_plural_entries_have_exactly_the_one_chinese_form(messages):
    wrong = [str(e) for e in messages if e.msgid_plural is not None and set(e.msgstr) != {0}]

    assert not wrong, f"zh_Hans has nplurals=1: give only msgstr[0]: {wrong}"


def test_committed_mo_says_exactly_what_the_po_says(entries):
    """A stale .mo (the .po edited, `make messages` not run) shows old or English text."""
    compiled = read_mo(MO_PATH.read_bytes())
    expected = expected_mo(entries)

    missing = sorted(expected.keys() - compiled.keys())
    extra = sorted(compiled.keys() - expected.keys())
    changed = sorted(k for k in expected.keys() & compiled.keys() if expected[k] != compiled[k])
    assert (missing, extra, changed) == ([], [], []), (
        "django.mo is stale: run `make messages` and commit both"
    )


@pytest.mark.skipif(
    shutil.which("msgfmt") is None, reason="needs GNU gettext's msgfmt (apt-get install gettext)"
)
def test_po_passes_msgfmt_checks_and_compiles_to_the_committed_catalogue(entries, tmp_path):
    out = tmp_path / "django.mo"

    result = subprocess.run(  # noqa: S603
        ["msgfmt", "--check", "-o", str(out), str(PO_PATH)],  # noqa: S607
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert read_mo(out.read_bytes()) == read_mo(MO_PATH.read_bytes())


def test_django_serves_the_po_translations(messages):
    """Through Django's own gettext, for a sample of singular and plural entries."""
    sample = [e for e in messages if e.msgctxt is None][::7]
    with translation.override("zh-hans"):
        for entry in sample:
            if entry.msgid_plural is None:
                assert translation.gettext(entry.msgid) == entry.msgstr[0], entry
            else:
                for n in (1, 2, 5):
                    assert translation.ngettext(entry.msgid, entry.msgid_plural, n) == entry.msgstr[0], entry
    with translation.override("en"):
        assert translation.gettext("Sign in") == "Sign in"


# --- (c) placeholders ---------------------------------------------------------------------------

_PERCENT = re.compile(
    r"%(?:\((?P<name>[^)]*)\))?[#0\- +]*(?:\*|\d+)?(?:\.(?:\*|\d+))?[hlL]?(?P<conv>[diouxXeEfFgGcrsa%])"
)
_BRACE = re.compile(r"(?<!\{)\{(?P<name>[A-Za-z_][\w.]*)?(?:![rsa])?(?::[^{}]*)?\}(?!\})")


def placeholders(text: str) -> tuple[frozenset[str], tuple[str, ...], frozenset[str]]:
    """(named %-placeholders with their conversion, positional %-conversions in order, {names})."""
    named, positional = set(), []
    for match in _PERCENT.finditer(text):
        if match["conv"] == "%":
            continue
        if match["name"] is not None:
            named.add(f"{match['name']}:{match['conv']}")
        else:
            positional.append(match["conv"])
    return frozenset(named), tuple(positional), frozenset(m["name"] or "" for m in _BRACE.finditer(text))


def test_the_placeholder_scanner():
    assert placeholders("%(n)d of %(total)s, 100%% %s {name} {{ literal }}") == (
        frozenset({"n:d", "total:s"}),
        ("s",),
        frozenset({"name"}),
    )


def test_every_msgstr_keeps_the_placeholders_of_its_msgid(messages):
    """A lost or renamed placeholder raises KeyError at run time, or silently drops a number."""
    wrong = []
    for entry in messages:
        # Chinese has one form, used for every count: it must carry what the plural msgid carries.
        source = entry.msgid if entry.msgid_plural is None else entry.msgid_plural
        for msgstr in entry.msgstr.values():
            if placeholders(msgstr) != placeholders(source):
                wrong.append(f"{entry}: {placeholders(source)} != {placeholders(msgstr)} in {msgstr!r}")

    assert not wrong, "\n".join(wrong)


def test_python_format_entries_are_flagged(messages):
    """makemessages flags msgids with %(name)s; msgfmt --check then checks the msgstr too."""
    unflagged = [
        str(e)
        for e in messages
        if placeholders(e.msgid_plural or e.msgid)[0] and "python-format" not in e.flags
    ]

    assert not unflagged


# --- (b) pages in Chinese -----------------------------------------------------------------------


def _zh(msgid: str) -> str:
    with translation.override("zh-hans"):
        text = translation.gettext(msgid)
    assert text != msgid, f"{msgid!r} has no Chinese translation"
    return text


@pytest.mark.django_db
def test_login_page_in_chinese_by_language_cookie(client):
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.get(reverse("accounts:login"))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    for msgid in ("Sign in", "Username", "Password", "Lawful, recorded field visits."):
        assert _zh(msgid) in html
    assert ">Sign in<" not in html


@pytest.mark.django_db
@pytest.mark.parametrize("accept", ["zh-hans", "zh-Hans-CN", "zh-CN,zh;q=0.9,en;q=0.8"])
def test_login_page_in_chinese_by_accept_language(client, accept):
    """Browsers set to Chinese send zh-CN; Django maps it to zh-hans."""
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE=accept)

    assert response.status_code == 200
    assert _zh("Sign in") in response.content.decode()
    assert response["Content-Language"] == "zh-hans"


@pytest.mark.django_db
def test_login_page_stays_english_by_default(client):
    response = client.get(reverse("accounts:login"), HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")

    html = response.content.decode()
    assert ">Sign in<" in html
    assert _zh("Sign in") not in html


def test_case_list_in_chinese_translates_model_choices_too(client, supervisor, case):
    """Template strings and model choices (the stage) both come through in zh-hans."""
    stage = str(case.get_stage_display())
    client.force_login(supervisor)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"

    response = client.get(reverse("cases:case-list"))

    assert response.status_code == 200
    html = response.content.decode()
    for msgid in ("Cases", "Debtor", "Overdue since", "Sign out", stage):
        assert _zh(msgid) in html, msgid
