"""Local LiveKit (and Redis) for `make run` and the test suite; see servers.py."""
