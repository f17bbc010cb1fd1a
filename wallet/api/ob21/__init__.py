"""Open Badges 2.1 API host ("Badge Connect", what Moodle speaks) on the shared OAuth server."""
