import io

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from PIL import Image

from accounts.models import User
from tests.support import NEWBIE_SIGN_UP
from tests.support.avatars import avatar_file, with_avatar
from tests.support.factories import PASSWORD, UserFactory
from tests.support.images import EXE_BYTES, png_bomb

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


def test_profile_page_offers_an_avatar_upload_and_shows_my_initials_without_one(auth_client):
    content = auth_client.get("/accounts/profile/").content.decode()

    assert 'enctype="multipart/form-data"' in content
    assert 'action="/accounts/profile/avatar/"' in content
    assert 'role="img" aria-label="Ada Lovelace">AL</span>' in content
    assert "Remove avatar" not in content


def test_an_uploaded_avatar_shows_on_my_profile_with_a_remove_button(auth_client, user):
    response = auth_client.post("/accounts/profile/avatar/", {"avatar": avatar_file()})
    assert response.status_code == 302

    content = auth_client.get("/accounts/profile/").content.decode()
    user.refresh_from_db()
    url = f"/accounts/avatars/{user.pk}/{user.avatar_version}.webp"
    assert f'<img class="avatar avatar-large" src="{url}" alt="Ada Lovelace">' in content
    assert "Your avatar is saved." in content
    assert 'action="/accounts/profile/avatar/remove/"' in content
    assert "Remove avatar" in content


def test_remove_avatar_brings_the_initials_back(auth_client, user):
    with_avatar(user)

    response = auth_client.post("/accounts/profile/avatar/remove/", follow=True)

    content = response.content.decode()
    assert "your initials show instead" in content
    assert 'role="img" aria-label="Ada Lovelace">AL</span>' in content
    assert "Remove avatar" not in content


@pytest.mark.parametrize(
    ("data", "sentence"),
    [
        (png_bomb(), "Images can have at most 50 million pixels."),
        (EXE_BYTES, "That is not a PNG, JPEG, GIF or WebP image."),
        (b"\x89PNG" + b"\x00" * (5 * 1024 * 1024), "An avatar can be at most 5 MB."),
    ],
    ids=["bomb", "not-an-image", "too-large"],
)
def test_a_refused_avatar_is_a_form_error_on_the_profile_page(auth_client, user, data, sentence):
    response = auth_client.post("/accounts/profile/avatar/", {"avatar": avatar_file(data)})

    assert response.status_code == 200
    content = response.content.decode()
    assert sentence in content
    assert 'class="errorlist' in content
    user.refresh_from_db()
    assert not user.avatar


def test_uploading_without_a_file_asks_for_one(auth_client):
    response = auth_client.post("/accounts/profile/avatar/", {})

    assert response.status_code == 200
    assert "This field is required." in response.content.decode()


def test_avatar_changes_need_a_signed_in_post(client, auth_client, user):
    assert client.post("/accounts/profile/avatar/", {"avatar": avatar_file()}).status_code == 302
    assert client.post("/accounts/profile/avatar/remove/").status_code == 302
    assert auth_client.get("/accounts/profile/avatar/").status_code == 405
    user.refresh_from_db()
    assert not user.avatar


def test_an_avatar_is_a_404_for_the_anonymous(client, user):
    with_avatar(user)

    assert client.get(f"/accounts/avatars/{user.pk}/{user.avatar_version}.webp").status_code == 404


def test_any_signed_in_user_gets_an_avatar_as_a_long_cached_webp(client_for, user, other_user):
    with_avatar(user)

    response = client_for(other_user).get(f"/accounts/avatars/{user.pk}/{user.avatar_version}.webp")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"
    assert response["Cache-Control"] == "private, max-age=2592000"
    assert response["X-Content-Type-Options"] == "nosniff"
    image = Image.open(io.BytesIO(b"".join(response.streaming_content)))
    assert (image.format, image.size) == ("WEBP", (256, 256))


def test_an_old_avatar_url_redirects_to_the_current_picture(auth_client, user):
    with_avatar(user)
    old = user.avatar_version
    with_avatar(user)

    response = auth_client.get(f"/accounts/avatars/{user.pk}/{old}.webp")

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/avatars/{user.pk}/{user.avatar_version}.webp"
    assert "no-store" in response["Cache-Control"]


def test_a_person_without_an_avatar_or_no_person_at_all_is_a_404(auth_client, other_user):
    assert auth_client.get(f"/accounts/avatars/{other_user.pk}/0.webp").status_code == 404
    assert auth_client.get("/accounts/avatars/999999/1.webp").status_code == 404


def test_with_accel_redirect_nginx_sends_the_avatar(client_for, user, other_user, settings):
    settings.PARLEY_ACCEL_REDIRECT = True
    with_avatar(user)

    response = client_for(other_user).get(f"/accounts/avatars/{user.pk}/{user.avatar_version}.webp")

    assert response["X-Accel-Redirect"] == f"/_attachments/{user.avatar.name}"
    assert response.content == b""
