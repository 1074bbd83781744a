"""The image pipeline: decode and check, clean re-encoding, thumbnails (attachments/images.py)."""

import io

import pytest
from PIL import Image

from attachments.images import ImageRejected, image_clean, image_open, thumbnail_webp
from tests.support.images import GPS_IFD, HTML_BYTES, image_bytes, jpeg_with_exif, png_bomb


def test_a_decompression_bomb_is_refused_before_it_is_decoded():
    with pytest.raises(ImageRejected) as refused:
        image_open(png_bomb(), max_pixels=50_000_000)

    assert refused.value.code == "image_too_large"
    assert "million pixels" in refused.value.detail


def test_an_image_just_over_the_pixel_cap_is_refused_and_one_at_it_accepted():
    data = image_bytes(size=(100, 100))

    with pytest.raises(ImageRejected):
        image_open(data, max_pixels=9_999)
    assert image_open(data, max_pixels=10_000).size == (100, 100)


def test_bytes_that_are_not_an_image_are_refused():
    with pytest.raises(ImageRejected) as refused:
        image_open(HTML_BYTES, max_pixels=10**6)

    assert refused.value.code == "invalid_image"


def test_an_image_format_outside_the_four_is_refused():
    output = io.BytesIO()
    Image.new("RGB", (4, 4)).save(output, format="BMP")

    with pytest.raises(ImageRejected):
        image_open(output.getvalue(), max_pixels=10**6)


def test_cleaning_turns_the_picture_upright_and_drops_exif_and_gps():
    clean = image_clean(jpeg_with_exif(size=(40, 20), orientation=6), max_pixels=10**6)

    reopened = Image.open(io.BytesIO(clean.data))
    assert (clean.width, clean.height) == (20, 40) == reopened.size
    exif = reopened.getexif()
    assert dict(exif) == {}
    assert dict(exif.get_ifd(GPS_IFD)) == {}
    assert b"Parley Camera" not in clean.data
    assert (clean.content_type, clean.extension) == ("image/jpeg", "jpg")


@pytest.mark.parametrize(
    ("image_format", "content_type"),
    [("PNG", "image/png"), ("GIF", "image/gif"), ("WEBP", "image/webp"), ("JPEG", "image/jpeg")],
)
def test_each_accepted_format_is_re_encoded_in_itself(image_format, content_type):
    clean = image_clean(image_bytes(image_format=image_format), max_pixels=10**6)

    assert Image.open(io.BytesIO(clean.data)).format == image_format
    assert clean.content_type == content_type


def test_an_animated_gif_keeps_its_frames():
    frames = [Image.new("RGB", (10, 10), color) for color in ("red", "green", "blue")]
    output = io.BytesIO()
    frames[0].save(output, format="GIF", save_all=True, append_images=frames[1:], duration=100)

    clean = image_clean(output.getvalue(), max_pixels=10**6)

    assert Image.open(io.BytesIO(clean.data)).n_frames == 3


def test_an_animation_counts_the_pixels_of_every_frame():
    frames = [Image.new("RGB", (10, 10), color) for color in ("red", "green", "blue")]
    output = io.BytesIO()
    frames[0].save(output, format="GIF", save_all=True, append_images=frames[1:])

    with pytest.raises(ImageRejected):
        image_open(output.getvalue(), max_pixels=250)


def test_a_thumbnail_fits_the_box_keeping_the_proportions():
    data, width, height = thumbnail_webp(image_bytes(size=(1600, 600)), max_pixels=10**7)

    assert (width, height) == (800, 300)
    assert Image.open(io.BytesIO(data)).format == "WEBP"


def test_a_small_image_is_never_enlarged():
    _data, width, height = thumbnail_webp(image_bytes(size=(30, 20)), max_pixels=10**6)

    assert (width, height) == (30, 20)


def test_a_square_thumbnail_is_a_centred_crop_for_avatars():
    _data, width, height = thumbnail_webp(
        image_bytes(size=(400, 200)), box=(128, 128), square=True, max_pixels=10**6
    )

    assert (width, height) == (128, 128)


def test_a_thumbnail_is_turned_upright():
    _data, width, height = thumbnail_webp(jpeg_with_exif(size=(40, 20)), max_pixels=10**6)

    assert (width, height) == (20, 40)
