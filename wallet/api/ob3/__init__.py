"""The Open Badges 3.0 API host (1EdTech OB 3.0 §6–7) under /ims/ob/v3p0."""
