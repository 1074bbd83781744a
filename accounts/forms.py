from typing import Any

from allauth.account.adapter import get_adapter
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from accounts.models import User


class SignupForm(forms.Form):
    """Extra sign-up fields; allauth's own form supplies username, e-mail and password."""

    display_name = forms.CharField(
        label=_("Display name"),
        max_length=64,
        required=False,
        help_text=_("What others see beside your messages. Your username if left blank."),
    )

    def signup(self, request: HttpRequest, user: User) -> None:
        user.display_name = self.cleaned_data["display_name"].strip()
        user.save(update_fields=["display_name"])


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name"]


class AvatarForm(forms.Form):
    """The picture only; what it may be is decided by ``accounts.services.user_avatar_set``."""

    avatar = forms.FileField(
        label=_("Picture"),
        help_text=_("A PNG, JPEG, GIF or WebP image; it is cropped to a square."),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )


class AdminLoginForm(AdminAuthenticationForm):
    """The admin's log-in form under allauth's failed log-in limit, per IP and per account."""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username")
        password = self.cleaned_data.get("password")
        if username is not None and password:
            # The adapter counts the attempt first (refusing it once over the limit, even
            # with the right password) and gives it back when the password was right.
            self.user_cache = get_adapter(self.request).authenticate(
                self.request, username=username, password=password
            )
            if self.user_cache is None:
                raise self.get_invalid_login_error()
            self.confirm_login_allowed(self.user_cache)
        return self.cleaned_data
