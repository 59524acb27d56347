"""Sign-in pages. Audit events for sign-in, sign-out and failures come from accounts.receivers."""

from typing import Any

from django.contrib.auth import views as auth_views
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.shortcuts import resolve_url

from . import services
from .models import Role
from .roles import has_role, is_service


class LoginForm(AuthenticationForm):
    def confirm_login_allowed(self, user: Any) -> None:
        super().confirm_login_allowed(user)
        if is_service(user):
            # The service account is what commands and tasks act as; it never signs in, even if someone
            # gave it a password. The attempt is audited like any failed sign-in.
            services.login_failed_recorded(
                username=user.get_username(),
                ip=self.request.META.get("REMOTE_ADDR") if self.request else None,
            )
            raise ValidationError(self.error_messages["inactive"], code="inactive")


class LoginView(auth_views.LoginView):
    template_name = "accounts/login.html"
    redirect_authenticated_user = True
    authentication_form = LoginForm

    def get_default_redirect_url(self) -> str:
        """Supervisors land on their team's dashboard (supervision/); everyone else on LOGIN_REDIRECT_URL."""
        if has_role(self.request.user, Role.SUPERVISOR):
            return resolve_url("supervision:dashboard")
        return super().get_default_redirect_url()
