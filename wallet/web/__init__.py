"""The web application: factory wiring, thin views, forms, htmx helpers, page cache, limits."""
