"""SQLite is configured the same however its file is named (B9)."""

import json
import sys

from tests.support.processes import run_configured

PRINT_DATABASE = (
    "import json, django; from django.conf import settings; django.setup(); "
    "print(json.dumps(settings.DATABASES['default'], default=str))"
)
# 50 threads, each with its own connection, create rooms at the same moment.
CREATE_ROOMS_AT_ONCE = """
import threading, django
django.setup()
from accounts.models import User
from rooms.services import room_create

owner = User.objects.create_user(username="owner", password="unused-password")
start = threading.Barrier(50)
failures = []

def create(n):
    start.wait()
    try:
        room_create(name=f"Room {n}", created_by=owner)
    except Exception as error:
        failures.append(repr(error))

threads = [threading.Thread(target=create, args=(n,)) for n in range(50)]
for thread in threads:
    thread.start()
for thread in threads:
    thread.join()
from rooms.models import Room
print(Room.objects.count(), failures[:3])
"""


def database_settings(env: dict[str, str]) -> dict:
    return json.loads(run_configured(PRINT_DATABASE, env=env).splitlines()[-1])


def test_a_sqlite_database_url_gets_wal_the_busy_timeout_and_immediate_transactions(tmp_path):
    from_url = database_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    from_path = database_settings({"SQLITE_PATH": f"{tmp_path}/x.db"})

    assert "journal_mode=WAL" in from_url["OPTIONS"]["init_command"]
    assert from_url["OPTIONS"]["timeout"] == 20
    assert from_url["OPTIONS"]["transaction_mode"] == "IMMEDIATE"
    assert from_url["CONN_MAX_AGE"] is None
    assert from_url["OPTIONS"] == from_path["OPTIONS"]


def test_options_in_a_sqlite_database_url_win(tmp_path):
    from_url = database_settings({"DATABASE_URL": f"sqlite:///{tmp_path}/x.db?timeout=5"})

    assert from_url["OPTIONS"]["timeout"] == 5
    assert from_url["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def test_fifty_concurrent_room_creations_on_a_sqlite_database_url_all_succeed(tmp_path):
    # One person creates them all: the per-person room limit is not what this measures.
    env = {"DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3", "PARLEY_ROOM_CREATE_LIMIT": "1000"}
    run_configured([sys.executable, "manage.py", "migrate", "--noinput"], env=env)

    output = run_configured(CREATE_ROOMS_AT_ONCE, env=env).splitlines()[-1]

    assert output == "50 []"
