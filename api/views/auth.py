"""Tokens for users: obtained with username and password, revoked by logging out (or in the admin)."""

from __future__ import annotations

from typing import Any

from axes.utils import reset as axes_reset
from django.contrib.auth import authenticate
from django.utils.translation import gettext as _
from rest_framework.request import Request
from rest_framework.response import Response

from accounts import two_factor
from accounts.policies import requires_two_factor
from common.errors import DomainError

from .. import services
from ..errors import error, errors_response
from ..schema import error_responses
from ..serializers.user import MeSerializer, TokenInputSerializer, TokenSerializer
from ..throttling import TokenRequestRateThrottle
from .base import ApiView, UserView


class TokenObtain(ApiView):
    """Exchange a username and password for a token (valid API_TOKEN_TTL_HOURS). A wrong password, an
    unknown or an inactive user get the same 401 and a failed sign-in in the audit trail. The sign-in
    lockout applies as on the web (429 `ACCOUNT_LOCKED`, accounts/lockout.py), and the roles that sign in
    with two factors must send `otp_code` too (401 `TWO_FACTOR_REQUIRED`, `OTP_INVALID`, ...)."""

    authentication_classes: list[Any] = []
    permission_classes: list[Any] = []
    throttle_classes = [TokenRequestRateThrottle]

    def post(self, request: Request) -> Response:
        body = TokenInputSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        # ModelBackend refuses inactive users; a failure fires user_login_failed (auth.login_failed).
        user = authenticate(request._request, username=data["username"], password=data["password"])
        if user is None:
            return errors_response(
                [
                    error(
                        "INVALID_CREDENTIALS",
                        _("The username or password is wrong, or the account is inactive."),
                    )
                ],
                401,
            )
        if requires_two_factor(user):
            refused = self._second_factor(request, user, data["otp_code"])
            if refused is not None:
                return refused
        # As AXES_RESET_ON_SUCCESS does for the pages: a successful sign-in clears the failures.
        axes_reset(username=user.get_username(), ip=request.META.get("REMOTE_ADDR"))
        issued = services.user_token_issue(
            user=user, actor=user, name=data["name"], ip=request.META.get("REMOTE_ADDR")
        )
        token = issued.credential
        return Response(
            TokenSerializer(
                {"token": issued.secret, "expires_at": token.expires_at, "user": user},
                context={"request": request},
            ).data,
            status=201,
        )

    def _second_factor(self, request: Request, user: Any, code: str) -> Response | None:
        if not code.strip():
            if not two_factor.is_enrolled(user):
                message = _("Set up two-factor sign-in on the web site first, then send otp_code.")
                return errors_response([error("TWO_FACTOR_NOT_ENROLLED", message, field="otp_code")], 401)
            message = _("Send otp_code: the code of your authenticator app or a backup code.")
            return errors_response([error("TWO_FACTOR_REQUIRED", message, field="otp_code")], 401)
        try:
            two_factor.two_factor_verify(user=user, code=code, ip=request.META.get("REMOTE_ADDR"), via="api")
        except DomainError as refusal:
            return errors_response(
                [error(f.code, str(f.message), field="otp_code") for f in refusal.failures], 401
            )
        return None

    def openapi(self, method: str) -> dict[str, Any] | None:
        return {
            "request": TokenInputSerializer,
            "responses": {201: TokenSerializer, **error_responses(400, 401, 403, 422, 429)},
        }


class Logout(UserView):
    """Revoke the token this request carries; it answers 401 from now on."""

    def post(self, request: Request) -> Response:
        services.user_token_revoke(token=request.auth, actor=request.user)
        return Response(status=204)

    def openapi(self, method: str) -> dict[str, Any] | None:
        return {"request": None, "responses": {204: None, **error_responses(401, 429)}}


class Me(UserView):
    """Who the token belongs to, with the roles that decide what it may do."""

    def get(self, request: Request) -> Response:
        return Response(MeSerializer(request.user).data)

    def openapi(self, method: str) -> dict[str, Any] | None:
        return {"responses": {200: MeSerializer, **error_responses(401, 429)}}
