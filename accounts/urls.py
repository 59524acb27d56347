from django.contrib.auth import views as auth_views
from django.urls import path, reverse_lazy

from . import two_factor_views, views

app_name = "accounts"

urlpatterns = [
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path(
        "password/",
        auth_views.PasswordChangeView.as_view(
            template_name="accounts/password_change.html",
            success_url=reverse_lazy("accounts:password-change-done"),
        ),
        name="password-change",
    ),
    path(
        "password/done/",
        auth_views.PasswordChangeDoneView.as_view(template_name="accounts/password_change_done.html"),
        name="password-change-done",
    ),
    # Second factor (accounts/two_factor_views.py): set-up, the code after the password, backup codes.
    path("two-factor/set-up/", two_factor_views.setup, name="2fa-setup"),
    path("two-factor/verify/", two_factor_views.verify, name="2fa-verify"),
    path("two-factor/", two_factor_views.manage, name="2fa-manage"),
]
