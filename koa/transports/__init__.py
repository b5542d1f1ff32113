"""Transports turn bytes (or ASGI events) into a Request and a finished Response back."""
