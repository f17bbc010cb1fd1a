"""Use cases: the only layer that commits a transaction."""
