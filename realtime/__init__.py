"""Live delivery: how an event reaches every open socket, and nothing about who may see it.

The rules (who may post, who may read) live in the apps that own them; this
package only carries what they decided: group names, event shapes, the
on-commit broadcast, the channel layers, the per-process room fan-out and the
bounded queues between a socket and its ASGI server. It imports no models.
"""
