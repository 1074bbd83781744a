"""Tools that drive a running Parley like its users do: a chat client and a soak test."""
