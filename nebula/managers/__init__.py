"""Business operations shared by the API and the web pages: one place for every rule."""
