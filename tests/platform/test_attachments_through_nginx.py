"""Attachments through nginx: uploads proxied within client_max_body_size, downloads
checked by a worker and sent by nginx (X-Accel-Redirect)."""

import http.client
from collections.abc import Iterator

import pytest

from attachments.views import MULTIPART_OVERHEAD
from tests.support.platform import Topology, topology_start

pytestmark = [pytest.mark.live, pytest.mark.postgres, pytest.mark.redis]

UPLOAD_MAX_BYTES = 64 * 1024


@pytest.fixture(scope="module")
def small_uploads(platform_backends, tmp_path_factory) -> Iterator[Topology]:
    """One worker behind nginx, with a small upload limit and a media folder of its own."""
    tmp_dir = tmp_path_factory.mktemp("platform-attachments")
    running = topology_start(
        tmp_dir,
        workers=1,
        PARLEY_UPLOAD_MAX_BYTES=str(UPLOAD_MAX_BYTES),
        MEDIA_ROOT=str(tmp_dir / "media"),
    )
    yield running
    running.stop()


def upload(client, slug: str, name: str, data: bytes):
    return client.post(
        f"/rooms/{slug}/attachments/",
        files={"file": (name, data, "text/plain")},
        headers={"X-CSRFToken": client.cookies["csrftoken"]},
    )


def test_a_file_goes_up_through_nginx_and_nginx_sends_its_bytes_back_as_a_sandboxed_download(
    small_uploads, room_of_two
):
    """The worker checks the download and hands it to nginx, which sends the stored bytes
    with nosniff and the sandbox CSP (it is no image); a file over the setting gets the
    worker's explained 413."""
    room = room_of_two(small_uploads.base_url)
    data = b"<html><script>alert(1)</script></html>\n" * 100

    uploaded = upload(room.client, room.slug, "page.html", data)
    assert uploaded.status_code == 201, uploaded.text[:500]
    download = room.client.get(uploaded.json()["url"])

    assert download.status_code == 200
    assert download.content == data
    assert download.headers["Content-Type"] == "application/octet-stream"
    assert download.headers["X-Content-Type-Options"] == "nosniff"
    assert download.headers["Content-Security-Policy"] == "sandbox"
    assert "X-Accel-Redirect" not in download.headers  # nginx followed it

    too_large = upload(room.client, room.slug, "big.txt", b"x" * (UPLOAD_MAX_BYTES + 1))
    assert too_large.status_code == 413
    assert too_large.json()["error"] == "too_large"


def test_nginx_refuses_a_body_over_client_max_body_size_before_a_worker_sees_it(
    small_uploads, room_of_two
):
    """Only the headers are sent: nginx answers 413 from the Content-Length alone."""
    room = room_of_two(small_uploads.base_url)
    connection = http.client.HTTPConnection("127.0.0.1", small_uploads.port, timeout=10)
    try:
        connection.putrequest("POST", f"/rooms/{room.slug}/attachments/")
        connection.putheader("Content-Type", "multipart/form-data; boundary=x")
        connection.putheader("Content-Length", str(UPLOAD_MAX_BYTES + MULTIPART_OVERHEAD + 1))
        connection.endheaders()
        response = connection.getresponse()
        body = response.read()
    finally:
        connection.close()

    assert response.status == 413
    assert response.getheader("Server", "").startswith("nginx")
    assert b"413 Request Entity Too Large" in body
