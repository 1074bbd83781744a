"""What Parley is measured against: the Channels tutorial's chat and a bare broadcast server."""
