"""Helpers shared by the tests: imported from here, never from another test module."""

import os

IN_CI = os.environ.get("CI", "").lower() == "true"
