# The tutorial's two pages (index, room) are HTML for people; the benchmark only uses sockets.
urlpatterns: list = []
