"""The web side: the FastAPI app, the staff console, sign-in, the web chat, metrics."""
