"""Browsers find the site's icon (A15)."""

import pytest

ICO_MAGIC = b"\x00\x00\x01\x00"


def test_favicon_ico_is_an_icon(client):
    response = client.get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}
    assert b"".join(response.streaming_content).startswith(ICO_MAGIC)


@pytest.mark.django_db
def test_pages_point_browsers_at_the_icon(client):
    content = client.get("/accounts/login/").content.decode()

    assert '<link rel="icon" href="/favicon.ico"' in content
