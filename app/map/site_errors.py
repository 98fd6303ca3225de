"""The one error every site-layer reader raises, so callers catch one thing."""


class SiteLayerError(Exception):
    """A site layer file the console cannot draw; the message names the file and the problem."""
