"""Serving a room from one process: the training queue shared by every page (`jobs`), a run's estimated cost
and the server's bound (`cost`), and what the server does before its first page (`serve`)."""
