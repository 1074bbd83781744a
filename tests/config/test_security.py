import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.factories import PASSWORD, UserFactory

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": "k3y-for-the-deploy-check-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEF",
    "ALLOWED_HOSTS": "parley.example",
}


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess:
    base = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_deploy_check_reports_nothing_with_debug_off():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_a_secret_key():
    env = {**PRODUCTION_ENV, "SECRET_KEY": ""}
    result = manage("check", env=env)

    assert result.returncode != 0
    assert "SECRET_KEY must be set when DEBUG is off" in result.stderr


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/accounts/login/", "/rooms/"])
def test_pages_send_a_content_security_policy_without_inline_scripts(client, url):
    response = client.get(url)

    policy = response.headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in policy.split(";"))
    assert directives["script-src"] == "'self'"
    assert "unsafe-inline" not in directives["script-src"]
    assert directives["object-src"] == "'none'"
    assert directives["frame-ancestors"] == "'none'"


@pytest.mark.django_db
def test_pages_contain_no_inline_script(auth_client, member):
    for url in ["/", "/rooms/", "/rooms/lobby/", "/rooms/new/", "/accounts/profile/"]:
        content = auth_client.get(url).content.decode()
        for tag in content.split("<script")[1:]:
            opening = tag.split(">", 1)[0]
            if opening.endswith('type="application/json"'):
                continue  # a json_script data block: the browser never runs it
            assert " src=" in opening, f"inline script on {url}"


@pytest.mark.django_db
def test_failed_log_ins_are_throttled_by_allauth(client):
    UserFactory(username="ada")
    for _ in range(5):
        response = client.post("/accounts/login/", {"login": "ada", "password": "wrong"})
        assert response.status_code == 200

    # Even the right password is refused while the account is throttled.
    response = client.post("/accounts/login/", {"login": "ada", "password": PASSWORD})

    assert response.status_code == 200
    assert "Too many failed login attempts" in response.content.decode()
    assert client.get("/rooms/").status_code == 302


def test_fast_password_hashing_is_ignored_with_debug_off():
    script = "from django.conf import settings; print(settings.PASSWORD_HASHERS[0])"
    production = manage("shell", "-c", script, env={**PRODUCTION_ENV, "FAST_PASSWORD_HASHING": "1"})
    development = manage("shell", "-c", script, env={"DEBUG": "true", "FAST_PASSWORD_HASHING": "1"})

    assert production.stdout.splitlines()[-1].endswith("PBKDF2PasswordHasher")
    assert development.stdout.splitlines()[-1].endswith("MD5PasswordHasher")
