from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.http import HttpRequest

from accounts.selectors import user_for_login
from config.mail import mail_send


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

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        # allauth's own, but a mail server that is down no longer fails the sign-up or
        # reset that sends the mail.
        request = allauth_context.request
        context = {
            "request": request,
            "email": email,
            "current_site": get_current_site(request),
            **context,
        }
        mail_send(message=self.render_mail(template_prefix, email, context))
