"""Two-factor sign-in (django-otp): required of TWO_FACTOR_ROLES, enrolment with a QR code and a key,
the code after the password, backup codes shown once, throttling, the API's token endpoint, and the
administrator's audited reset. The test settings switch enforcement off; every test here turns it on."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from accounts import policies, two_factor
from accounts.services import system_user
from common.errors import DomainError
from tests.factories import audit_events_since, audit_head

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery"
ENFORCED = ("supervisor", "compliance_officer", "administrator")


@pytest.fixture(autouse=True)
def _enforced(settings):  # type: ignore[no-untyped-def]
    settings.TWO_FACTOR_ROLES = ENFORCED
    cache.clear()  # the API's per-IP token rate counts in the cache
    yield
    cache.clear()


def code_of(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift):06d}"


def later(seconds: int = 31):  # type: ignore[no-untyped-def]
    """A new 30-second TOTP step (a code is accepted once)."""
    return time_machine.travel(timezone.now() + dt.timedelta(seconds=seconds), tick=True)


def enrolled(user) -> tuple[TOTPDevice, list[str]]:  # type: ignore[no-untyped-def]
    device = two_factor.totp_pending(user=user)
    result = two_factor.two_factor_enrol(user=user, code=code_of(device))
    return result.device, result.backup_codes


def signed_in(user) -> Client:  # type: ignore[no-untyped-def]
    client = Client()
    assert (
        client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD}).status_code
        == 302
    )
    return client


# --- who must ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "required"),
    [
        ("supervisor", True),
        ("compliance_officer", True),
        ("administrator", True),
        ("agent", False),
        ("other_supervisor", True),
    ],
)
def test_who_must_pass_a_second_factor(all_roles, role, required):
    assert policies.requires_two_factor(all_roles[role]) is required


def test_the_roles_are_a_setting(all_roles, settings):
    settings.TWO_FACTOR_ROLES = ("field_agent",)

    assert policies.requires_two_factor(all_roles["agent"])
    assert not policies.requires_two_factor(all_roles["supervisor"])


def test_nobody_when_the_setting_is_empty(all_roles, settings):
    settings.TWO_FACTOR_ROLES = ()

    assert not any(policies.requires_two_factor(user) for user in all_roles.values())


@pytest.mark.parametrize(
    ("actor", "target", "allowed"),
    [
        ("administrator", "supervisor", True),
        ("administrator", "administrator", False),  # never oneself
        ("supervisor", "agent", False),
        ("compliance_officer", "supervisor", False),
        ("agent", "supervisor", False),
    ],
)
def test_who_may_reset_a_second_factor(all_roles, actor, target, allowed):
    assert policies.can_reset_two_factor(all_roles[actor], all_roles[target]) is allowed


@pytest.mark.parametrize(
    ("role", "allowed"),
    [("administrator", True), ("supervisor", False), ("compliance_officer", False), ("agent", False)],
)
def test_who_may_lift_a_lockout(all_roles, role, allowed):
    assert policies.can_unlock_logins(all_roles[role]) is allowed
    assert policies.can_unlock_logins(system_user())


# --- the middleware sends them to enrolment or verification ------------------------------------------


def test_a_supervisor_without_an_authenticator_is_sent_to_set_it_up(supervisor):
    client = signed_in(supervisor)

    response = client.get(reverse("cases:case-list"))

    assert response.status_code == 302
    assert response["Location"] == reverse("accounts:2fa-setup") + "?next=%2Fcases%2F"


def test_an_enrolled_supervisor_is_asked_for_the_code_after_the_password(supervisor):
    enrolled(supervisor)
    client = signed_in(supervisor)

    for url in (reverse("cases:case-list"), reverse("compliance:dashboard"), reverse("admin:index")):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("accounts:2fa-verify") + "?next=")


def test_a_field_agent_needs_no_second_factor(agent):
    assert signed_in(agent).get(reverse("cases:case-list")).status_code == 200


def test_an_unverified_session_may_still_sign_out_and_switch_language(supervisor):
    client = signed_in(supervisor)

    assert client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"}).status_code == 302
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_an_unverified_session_gets_401_json_from_the_api(supervisor):
    client = signed_in(supervisor)

    response = client.get(reverse("api:case-list"))

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "TWO_FACTOR_REQUIRED"


def test_the_pages_are_404_for_users_who_need_no_second_factor(agent):
    client = signed_in(agent)

    for name in ("accounts:2fa-setup", "accounts:2fa-verify", "accounts:2fa-manage"):
        assert client.get(reverse(name)).status_code == 404
    assert not TOTPDevice.objects.filter(user=agent).exists()


# --- enrolment ---------------------------------------------------------------------------------------


def test_the_set_up_page_shows_a_qr_code_and_the_key(supervisor):
    client = signed_in(supervisor)
    since = audit_head()

    first = client.get(reverse("accounts:2fa-setup"))
    again = client.get(reverse("accounts:2fa-setup"))

    assert first.status_code == 200
    device = TOTPDevice.objects.get(user=supervisor, confirmed=False)
    page = first.content.decode()
    assert 'src="data:image/svg+xml' in page
    key = re.search(r'<code class="secret">([A-Z2-7 ]+)</code>', page).group(1).replace(" ", "")
    assert key in device.config_url
    assert first["Cache-Control"] == "no-store"
    assert again.content.decode().count(key[:4]) >= 1  # the same key on reload
    assert TOTPDevice.objects.filter(user=supervisor).count() == 1
    events = audit_events_since(since)
    assert [e.action for e in events] == ["auth.2fa_enrolment_started"]
    assert events[0].data == {"device": device.pk}
    assert key not in str(events[0].data)


def test_enrolment_refuses_a_wrong_code(supervisor):
    client = signed_in(supervisor)
    client.get(reverse("accounts:2fa-setup"))
    since = audit_head()

    response = client.post(reverse("accounts:2fa-setup"), {"code": "000000"})

    assert response.status_code == 200
    assert "[OTP_INVALID]" in response.content.decode()
    assert not TOTPDevice.objects.filter(user=supervisor, confirmed=True).exists()
    events = audit_events_since(since)
    assert [e.action for e in events] == ["auth.2fa_enrolled.refused"]
    assert events[0].data == {"codes": ["OTP_INVALID"]}


def test_enrolment_with_the_right_code_shows_the_backup_codes_once_and_verifies_the_session(supervisor):
    client = signed_in(supervisor)
    client.get(reverse("accounts:2fa-setup"))
    device = TOTPDevice.objects.get(user=supervisor)
    since = audit_head()

    response = client.post(reverse("accounts:2fa-setup"), {"code": code_of(device), "next": "/compliance/"})

    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    shown = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    stored = set(StaticToken.objects.filter(device__user=supervisor).values_list("token", flat=True))
    assert len(shown) == 10
    assert set(shown) == stored
    device.refresh_from_db()
    assert device.confirmed
    events = audit_events_since(since)
    assert [e.action for e in events] == ["auth.2fa_enrolled"]
    assert events[0].data == {"device": device.pk, "backup_codes": 10}
    assert not any(code in str(events[0].data) for code in shown)
    # The session passed the second factor; the codes are not shown again anywhere.
    assert client.get(reverse("cases:case-list")).status_code == 200
    manage = client.get(reverse("accounts:2fa-manage"))
    assert "10 backup codes left." in manage.content.decode()
    assert not any(code in manage.content.decode() for code in shown)
    assert client.get(reverse("accounts:2fa-setup")).status_code == 302


def test_enrolling_twice_is_refused(supervisor):
    enrolled(supervisor)

    with pytest.raises(DomainError) as refused:
        two_factor.two_factor_enrol(user=supervisor, code="123456")

    assert refused.value.codes == ["TWO_FACTOR_ALREADY_ENROLLED"]


# --- verification after the password ---------------------------------------------------------------


def test_the_code_after_the_password_lets_the_user_in(supervisor):
    device, _codes = enrolled(supervisor)
    client = signed_in(supervisor)
    since = audit_head()

    with later():
        response = client.post(
            reverse("accounts:2fa-verify"), {"code": code_of(device), "next": "/compliance/"}
        )

        assert response.status_code == 302
        assert response["Location"] == "/compliance/"
        assert client.get(reverse("cases:case-list")).status_code == 200
    events = audit_events_since(since)
    assert [e.action for e in events] == ["auth.2fa_verified"]
    assert events[0].data["device"] == "totp"
    assert events[0].data["via"] == "web"


def test_a_wrong_code_is_refused_recorded_and_throttled(supervisor):
    device, _codes = enrolled(supervisor)
    client = signed_in(supervisor)
    since = audit_head()

    with later():
        wrong = client.post(reverse("accounts:2fa-verify"), {"code": "000000"})
        right_too_soon = client.post(reverse("accounts:2fa-verify"), {"code": code_of(device)})

        assert "[OTP_INVALID]" in wrong.content.decode()
        assert "[OTP_THROTTLED]" in right_too_soon.content.decode()
        assert client.get(reverse("cases:case-list")).status_code == 302
    with later(40):
        assert client.post(reverse("accounts:2fa-verify"), {"code": code_of(device)}).status_code == 302
    actions = [e.action for e in audit_events_since(since)]
    assert actions == ["auth.2fa_verified.refused", "auth.2fa_verified.refused", "auth.2fa_verified"]


def test_a_backup_code_works_once(supervisor):
    _device, codes = enrolled(supervisor)
    first, second = signed_in(supervisor), signed_in(supervisor)

    used = first.post(reverse("accounts:2fa-verify"), {"code": codes[0].upper()})
    reused = second.post(reverse("accounts:2fa-verify"), {"code": codes[0]})

    assert used.status_code == 302
    assert "[OTP_INVALID]" in reused.content.decode()
    assert two_factor.backup_codes_left(supervisor) == 9


def test_few_backup_codes_left_are_announced(supervisor):
    _device, codes = enrolled(supervisor)
    StaticToken.objects.filter(device__user=supervisor).exclude(token__in=codes[:3]).delete()

    response = signed_in(supervisor).post(reverse("accounts:2fa-verify"), {"code": codes[0]}, follow=True)

    assert "2 backup codes left" in response.content.decode()


def test_the_next_url_must_stay_on_the_site(supervisor):
    _device, codes = enrolled(supervisor)

    response = signed_in(supervisor).post(
        reverse("accounts:2fa-verify"), {"code": codes[0], "next": "https://evil.example/"}
    )

    assert response["Location"] == reverse("cases:case-list")


def test_new_backup_codes_replace_the_old_ones(supervisor):
    device, codes = enrolled(supervisor)
    client = signed_in(supervisor)
    with later():
        client.post(reverse("accounts:2fa-verify"), {"code": code_of(device)})
    since = audit_head()

    response = client.post(reverse("accounts:2fa-manage"))

    fresh = re.findall(r"<li><code>([a-z2-7]{8})</code></li>", response.content.decode())
    assert len(fresh) == 10
    assert not set(fresh) & set(codes)
    assert StaticDevice.objects.filter(user=supervisor).count() == 1
    assert [e.action for e in audit_events_since(since)] == ["auth.backup_codes_regenerated"]


# --- the API's token endpoint -------------------------------------------------------------------------


def ask_token(username: str, **extra):  # type: ignore[no-untyped-def]
    return APIClient().post(
        reverse("api:token"), {"username": username, "password": PASSWORD, **extra}, format="json"
    )


def test_the_token_endpoint_requires_the_code_of_those_roles(supervisor):
    device, _codes = enrolled(supervisor)

    missing = ask_token("sup")
    wrong = ask_token("sup", otp_code="000000")
    with later(45):
        right = ask_token("sup", otp_code=code_of(device))

    assert (missing.status_code, missing.json()["errors"][0]["code"]) == (401, "TWO_FACTOR_REQUIRED")
    assert (wrong.status_code, wrong.json()["errors"][0]["code"]) == (401, "OTP_INVALID")
    assert wrong.json()["errors"][0]["field"] == "otp_code"
    assert right.status_code == 201
    assert right.json()["token"].startswith("flt_")


def test_the_token_endpoint_asks_an_unenrolled_supervisor_to_enrol_first(supervisor):
    response = ask_token("sup", otp_code="123456")

    assert response.status_code == 401
    assert response.json()["errors"][0]["code"] == "TWO_FACTOR_NOT_ENROLLED"


def test_a_backup_code_obtains_a_token(supervisor):
    _device, codes = enrolled(supervisor)
    since = audit_head()

    response = ask_token("sup", otp_code=codes[1])

    assert response.status_code == 201
    actions = [e.action for e in audit_events_since(since)]
    assert actions == ["auth.2fa_verified", "api.token_issued"]


def test_a_field_agent_obtains_a_token_without_a_code(agent):
    assert ask_token("agent1").status_code == 201


# --- the administrator's reset ---------------------------------------------------------------------------


def test_an_administrator_resets_a_lost_phone_in_the_admin(supervisor, administrator, settings):
    settings.TWO_FACTOR_ROLES = ("supervisor",)  # the administrator's own second factor is another test
    enrolled(supervisor)
    admin = Client()
    admin.force_login(administrator)
    since = audit_head()

    listing = admin.get(reverse("admin:accounts_user_changelist"))
    response = admin.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "reset_two_factor", "_selected_action": [supervisor.pk]},
        follow=True,
    )

    assert listing.status_code == 200
    assert response.status_code == 200
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    assert not StaticDevice.objects.filter(user=supervisor).exists()
    events = audit_events_since(since)
    assert [e.action for e in events] == ["auth.2fa_reset"]
    assert events[0].actor == f"user:{administrator.pk}"
    assert events[0].object_id == str(supervisor.pk)
    assert events[0].data == {"devices_removed": 2}
    # The supervisor sets it up again at the next sign-in.
    assert (
        signed_in(supervisor)
        .get(reverse("cases:case-list"))["Location"]
        .startswith(reverse("accounts:2fa-setup"))
    )


def test_the_admin_shows_no_device_secrets(administrator, settings):
    settings.TWO_FACTOR_ROLES = ()
    admin = Client()
    admin.force_login(administrator)

    assert admin.get("/admin/otp_totp/totpdevice/").status_code == 404
    assert admin.get("/admin/otp_static/staticdevice/").status_code == 404


@pytest.mark.parametrize(("actor", "target"), [("supervisor", "agent"), ("administrator", "administrator")])
def test_a_reset_by_anyone_else_is_refused_and_recorded(all_roles, actor, target):
    enrolled(all_roles[target])
    since = audit_head()

    with pytest.raises(DomainError) as refused:
        two_factor.two_factor_reset(user=all_roles[target], actor=all_roles[actor])

    assert refused.value.codes == ["PERMISSION_DENIED"]
    assert [e.action for e in audit_events_since(since)] == ["auth.2fa_reset.refused"]
    assert TOTPDevice.objects.filter(user=all_roles[target]).exists()


def test_the_reset_command(supervisor, capsys):
    enrolled(supervisor)

    call_command("two_factor_reset", "--username", "sup")

    assert "removed 2 two-factor device(s) of sup" in capsys.readouterr().out
    assert not TOTPDevice.objects.filter(user=supervisor).exists()
    with pytest.raises(CommandError):
        call_command("two_factor_reset", "--username", "nobody")
