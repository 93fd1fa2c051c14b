"""Mutualise: the platform on which an intercommunality runs the services it shares with its communes.

Importing this package stays cheap and Django-free: plugins import ``hookimpl`` from here while settings load.
"""

from mutualise.hookspecs import hookimpl

__version__ = "0.1.0"

__all__ = ["__version__", "hookimpl"]


def __getattr__(name: str):
    # The Celery app is created on first use only, so that plugins can import this package while settings load.
    if name == "celery_app":
        from mutualise.celery import app

        return app
    raise AttributeError(name)
