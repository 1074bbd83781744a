import pytest


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(media_root):
    """Every avatar test stores pictures; none of them in the checkout's media/."""
