"""``/healthz``: what a load balancer asks before sending a worker traffic.

200 ``{"status": "ok"}`` only when the database and the channel layer both
answer and, where task workers are expected (``PARLEY_TASK_WORKERS``), one of
them beat lately; otherwise 503 naming what failed. No session, no user, no template:
a probe every few seconds from every balancer must stay cheap.
"""

import asyncio
import logging
from collections.abc import Awaitable

from asgiref.sync import sync_to_async
from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from jobs.selectors import worker_alive_exists
from realtime.broadcast import layer_round_trip

logger = logging.getLogger(__name__)

# A dependency slower than this is as good as down to a balancer probing every few seconds.
CHECK_TIMEOUT = 2.0


def _database_select_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


def _task_worker_beats() -> None:
    if not worker_alive_exists():
        raise LookupError("no task worker beat lately")


async def _answers(name: str, check: Awaitable[None]) -> bool:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT):
            await check
    except Exception as error:
        logger.warning("healthz: %s did not answer: %r", name, error)
        return False
    return True


@login_not_required
@never_cache
async def healthz(request: HttpRequest) -> JsonResponse:
    checks = {
        "database": sync_to_async(_database_select_one)(),
        "channel_layer": layer_round_trip(),
    }
    # Only where workers are meant to run: a server started without any has nothing to miss.
    if settings.PARLEY_TASK_WORKERS > 0:
        checks["task_worker"] = sync_to_async(_task_worker_beats)()
    names = tuple(checks)
    results = await asyncio.gather(*(_answers(name, check) for name, check in checks.items()))
    failed = [name for name, ok in zip(names, results, strict=True) if not ok]
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ok"})
