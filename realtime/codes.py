"""The close codes of every Parley socket: one definition for the server, the page and the clients.

Codes in the 4000-4999 range reserved for applications, echoing HTTP. Plain
Python without Django, so protocol clients (bench, tests) read them too, and
the page gets them from the server (``messaging.protocol.page_constants``).
"""

CLOSE_UNAUTHENTICATED = 4401
CLOSE_NOT_A_MEMBER = 4403
CLOSE_NO_SUCH_ROOM = 4404
CLOSE_NO_PONG = 4408  # nothing at all from the client for a while after a ping
CLOSE_FLOODING = 4420  # too many refused or rate-limited frames, or frames past the inbound limit
CLOSE_TOO_MANY = 4429  # too many open sockets for this user, and nothing else
# The database or channel layer is unavailable. Not 1013: autobahn (daphne) only
# lets applications send 1000 and 3000-4999.
CLOSE_TRY_AGAIN_LATER = 4503

# A client gives up on these (no reconnect).
FINAL_CLOSES = frozenset({CLOSE_UNAUTHENTICATED, CLOSE_NOT_A_MEMBER, CLOSE_NO_SUCH_ROOM})
# After these a client waits a while: reconnecting at once would only be refused again.
PAUSED_CLOSES = frozenset({CLOSE_TOO_MANY, CLOSE_FLOODING})
