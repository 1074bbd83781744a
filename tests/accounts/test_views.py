import pytest
from django.contrib.auth import get_user_model
from django.core import mail

from accounts.models import User
from tests.support import NEWBIE_SIGN_UP
from tests.support.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_custom_user_model_is_in_use():
    assert get_user_model() is User


def test_sign_up_through_the_real_form_logs_me_in(client):
    response = client.post("/accounts/signup/", NEWBIE_SIGN_UP)

    assert response.status_code == 302
    assert User.objects.filter(username="newbie").exists()
    assert client.get("/rooms/").status_code == 200


def test_sign_up_with_mismatched_passwords_shows_a_form_error(client):
    response = client.post(
        "/accounts/signup/",
        {"username": "newbie", "password1": "a-long-enough-secret", "password2": "different-1"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors
    assert not User.objects.filter(username="newbie").exists()


def test_sign_up_page_uses_the_product_layout(client):
    content = client.get("/accounts/signup/").content.decode()
    assert 'class="topbar"' in content
    assert "css/parley.css" in content


@pytest.mark.parametrize("login", ["ada", "ada@example.com"])
def test_log_in_with_username_or_email(client, login):
    UserFactory(username="ada", email="ada@example.com")

    response = client.post("/accounts/login/", {"login": login, "password": PASSWORD})

    assert response.status_code == 302
    assert response["Location"] == "/rooms/"


def test_log_in_with_a_wrong_password_is_refused_with_a_form_error(client):
    UserFactory(username="ada")

    response = client.post("/accounts/login/", {"login": "ada", "password": "wrong"})

    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get("/rooms/").status_code == 302


def test_log_out_ends_the_session(auth_client):
    response = auth_client.post("/accounts/logout/")
    assert response.status_code == 302
    assert auth_client.get("/rooms/").status_code == 302


def test_password_change_works(auth_client, user):
    response = auth_client.post(
        "/accounts/password/change/",
        {
            "oldpassword": PASSWORD,
            "password1": "a-new-long-secret",
            "password2": "a-new-long-secret",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("a-new-long-secret")


def test_password_reset_sends_a_mail(client):
    UserFactory(username="ada", email="ada@example.com")
    response = client.post("/accounts/password/reset/", {"email": "ada@example.com"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert "ada@example.com" in mail.outbox[0].to


def test_display_name_falls_back_to_username():
    assert User(username="ada").shown_name == "ada"
    assert User(username="ada", display_name="Ada L.").shown_name == "Ada L."


def test_sign_up_can_set_a_display_name(client):
    client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "display_name": "New Bie",
            "password1": "a-long-enough-secret",
            "password2": "a-long-enough-secret",
        },
    )
    assert User.objects.get(username="newbie").display_name == "New Bie"


def test_profile_page_changes_my_display_name(auth_client, user):
    response = auth_client.post("/accounts/profile/", {"display_name": "The Countess"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.display_name == "The Countess"


def test_profile_page_requires_sign_in(client, db):
    assert client.get("/accounts/profile/").status_code == 302
