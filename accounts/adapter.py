from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest

from accounts.selectors import user_for_login


class AccountAdapter(DefaultAccountAdapter):
    def _get_login_attempts_cache_key(self, request: HttpRequest, **credentials: Any) -> str:
        # allauth keys the failed log-in limit on what was typed, so the e-mail still
        # worked once the username was locked: key it on the account instead. Logins
        # that name no account keep allauth's key, so guessing them is limited too.
        login = credentials.get("email", credentials.get("username", ""))
        user = user_for_login(login=login)
        if user is None:
            return super()._get_login_attempts_cache_key(request, **credentials)
        return f"{get_current_site(request).domain}:account:{user.pk}"
