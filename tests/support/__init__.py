"""Helpers shared by the tests: imported from here, never from another test module."""

import os

IN_CI = os.environ.get("CI", "").lower() == "true"
# allauth's sign-up form as a newcomer fills it in.
NEWBIE_SIGN_UP = {
    "username": "newbie",
    "email": "newbie@example.com",
    "password1": "a-long-enough-secret",
    "password2": "a-long-enough-secret",
}
