"""The web pages: server-rendered Jinja2 templates with htmx, over the same managers as the API."""
