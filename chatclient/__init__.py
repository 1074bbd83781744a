"""A Parley protocol client and a live-server runner, shared by the tests and the bench.

Django-free: it talks to Parley only over HTTP and websockets, as a browser does.
"""
