"""``/healthz``: what a load balancer asks before sending a worker traffic.

200 ``{"status": "ok"}`` only when the database and the channel layer both
answer; otherwise 503 naming what failed. No session, no user, no template:
a probe every few seconds from every balancer must stay cheap.
"""

import asyncio
import logging
from collections.abc import Awaitable

from asgiref.sync import sync_to_async
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

from realtime.broadcast import layer_round_trip

logger = logging.getLogger(__name__)

# A dependency slower than this is as good as down to a balancer probing every few seconds.
CHECK_TIMEOUT = 2.0


def _database_select_one() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()


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
    names = ("database", "channel_layer")
    results = await asyncio.gather(
        _answers("database", sync_to_async(_database_select_one)()),
        _answers("channel_layer", layer_round_trip()),
    )
    failed = [name for name, ok in zip(names, results, strict=True) if not ok]
    if failed:
        return JsonResponse({"status": "unavailable", "failed": failed}, status=503)
    return JsonResponse({"status": "ok"})
