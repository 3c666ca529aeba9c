"""The HTTP edge: the FastAPI application, its API routers and (later) its pages."""
