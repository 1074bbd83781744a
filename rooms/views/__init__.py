from rooms.views.rooms import direct_view, home

__all__ = ["direct_view", "home"]
