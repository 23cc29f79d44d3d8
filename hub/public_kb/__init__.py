"""The public knowledge pages at `/kb/`: published articles for citizens and portals, no login.

`articles` decides what is public, `pages` and `portals` render it, `handlers` serves it.
"""

from hub.public_kb.handlers import routes

__all__ = ["routes"]
