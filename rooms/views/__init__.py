from rooms.views.rooms import home

__all__ = ["home"]
