"""OAuth 2.0 authorization server shared by every API: registration, consent, tokens."""
