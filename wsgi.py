"""WSGI entry point for gunicorn: ``gunicorn wsgi:app``. Refuses to start without keys."""

from nrm import create_app

app = create_app()
