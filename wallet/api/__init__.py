"""Machine interfaces (OB 3.0 and 2.1 API hosts, OAuth 2.0, OpenID4VCI), thin over the services."""
