"""The S3 path against a real S3-compatible server (moto's) started on 127.0.0.1."""

import urllib.request
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import boto3
import pytest
from moto.server import ThreadedMotoServer

from tests.support.attachments import upload
from tests.support.avatars import with_avatar
from tests.support.images import image_bytes

pytestmark = pytest.mark.django_db
BUCKET = "parley-test"
CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3_bucket(s3_endpoint, settings):
    client = boto3.client("s3", endpoint_url=s3_endpoint, region_name="us-east-1", **CREDENTIALS)
    client.create_bucket(Bucket=BUCKET)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": BUCKET,
                "endpoint_url": s3_endpoint,
                "region_name": "us-east-1",
                "access_key": CREDENTIALS["aws_access_key_id"],
                "secret_key": CREDENTIALS["aws_secret_access_key"],
                "addressing_style": "path",
                "signature_version": "s3v4",
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def test_an_upload_is_stored_in_the_bucket_and_downloaded_through_a_short_signed_url(
    s3_bucket, auth_client, member
):
    data = upload(auth_client, image_bytes(size=(40, 20)), name="cat.png").json()

    [stored] = s3_bucket.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert stored["Key"].startswith("attachments/")
    assert stored["Key"].endswith(".png")
    response = auth_client.get(data["url"])
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    signed = response["Location"]
    query = parse_qs(urlsplit(signed).query)
    assert urlsplit(signed).hostname == "127.0.0.1"
    assert 0 < int(query["X-Amz-Expires"][0]) <= 60
    with urllib.request.urlopen(signed, timeout=10) as fetched:  # noqa: S310 (our own moto)
        body = fetched.read()
        assert fetched.headers["Content-Type"] == "image/png"
        assert fetched.headers["Content-Disposition"] == 'inline; filename="cat.png"'
    assert body == s3_bucket.get_object(Bucket=BUCKET, Key=stored["Key"])["Body"].read()


def test_a_stranger_gets_a_404_not_a_signed_url(
    s3_bucket, auth_client, member, outsider, client_for
):
    data = upload(auth_client, b"notes", name="notes.txt").json()

    response = client_for(outsider).get(data["url"])

    assert response.status_code == 404
    assert "Location" not in response


def test_a_file_that_is_not_an_image_is_a_download_from_the_bucket_too(
    s3_bucket, auth_client, member
):
    data = upload(auth_client, b"<svg><script>alert(1)</script></svg>", name="x.svg").json()

    signed = auth_client.get(data["url"])["Location"]

    with urllib.request.urlopen(signed, timeout=10) as fetched:  # noqa: S310 (our own moto)
        assert fetched.headers["Content-Type"] == "application/octet-stream"
        assert fetched.headers["Content-Disposition"].startswith("attachment;")


def test_an_avatar_is_stored_in_the_bucket_and_served_through_the_same_signed_redirect(
    s3_bucket, auth_client, user
):
    """Avatars share the attachments' delivery helper, with their long cache in the URL."""
    with_avatar(user)

    [stored] = s3_bucket.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert stored["Key"] == user.avatar.name
    response = auth_client.get(f"/accounts/avatars/{user.pk}/{user.avatar_version}.webp")
    assert response.status_code == 302
    assert "no-store" in response["Cache-Control"]
    with urllib.request.urlopen(response["Location"], timeout=10) as fetched:  # noqa: S310
        assert fetched.headers["Content-Type"] == "image/webp"
        assert fetched.headers["Cache-Control"] == "private, max-age=2592000"
        assert fetched.read()[8:12] == b"WEBP"
