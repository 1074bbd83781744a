"""A short soak through ``bench.soak``: its own daphne, members chatting and losing sockets."""

import pytest

from bench.soak import SoakOptions, soak

pytestmark = pytest.mark.live


async def test_members_who_keep_losing_their_sockets_miss_nothing_and_see_nothing_twice():
    """30 members in 3 rooms chat for 15 s, each dropping its socket every few seconds: every
    acknowledged message reaches every member of its room exactly once."""
    report = await soak(
        SoakOptions(clients=30, rooms=3, seconds=15, interval=1.5, reconnect_every=5, drain=20)
    )

    summary = report.summary()
    assert report.acknowledged > 0, summary
    assert report.reconnects > 0, summary
    assert report.lost == 0, summary
    assert report.duplicated == 0, summary
    assert report.problems == [], summary
