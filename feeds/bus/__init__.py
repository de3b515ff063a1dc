"""The bus: the event envelope and its schema, atomic writes and snapshots, the subscriber that
follows them, and the Redis servers and URLs it runs on."""
