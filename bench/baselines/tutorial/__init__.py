"""The Channels tutorial's chat (https://channels.readthedocs.io/en/stable/tutorial/), minimal.

One Django project and app in one package: the tutorial's async ``ChatConsumer``
word for word, plus the one thing every real chat adds, storing each message
with the ORM before it is sent to the group. channels-redis is the layer, as in
the tutorial. Run it with::

    DJANGO_SETTINGS_MODULE=bench.baselines.tutorial.settings python -m django migrate
    daphne bench.baselines.tutorial.asgi:application
"""
