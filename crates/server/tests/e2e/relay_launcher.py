"""Starts activityrelay (PyPI, 0.3.5) for the relay tests, adjusted to peers that all live on
127.0.0.1 with ephemeral ports. The relay's protocol is untouched; only how it names and
reaches hosts changes:

1. It serves TLS itself when RELAY_TLS_CERT and RELAY_TLS_KEY are set (it always publishes
   https:// URLs but listens in plain HTTP, expecting a proxy in front).
2. A peer's domain is `host:port` (it keys subscribers by host name alone, so every peer on
   127.0.0.1 would be one subscriber).
3. The `host` it signs carries the port when it is not the default one (it signs the bare host
   name, which the receiver compares with the Host header it got).
4. With RELAY_LENIENT_NODEINFO set, a peer whose NodeInfo cannot be read at
   https://DOMAIN/.well-known/nodeinfo counts as unknown software instead of failing its
   Follow (test peers speak plain HTTP).

Usage: python relay_launcher.py -c relay.yaml run
"""

import functools
import os
import ssl
import sys
from urllib.parse import urlparse

import aiohttp.web
import aputils.algorithms
import aputils.message
import relay.state

if os.environ.get("RELAY_TLS_CERT"):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(os.environ["RELAY_TLS_CERT"], os.environ["RELAY_TLS_KEY"])
    relay.state.TCPSite = functools.partial(aiohttp.web.TCPSite, ssl_context=context)

aputils.message.Message.domain = property(lambda self: urlparse(self["id"]).netloc)


class HostWithPort:
    """What aputils reads of a URL when signing: the host (with a non-default port) and path."""

    def __init__(self, url):
        parsed = urlparse(url)
        default = {"http": 80, "https": 443}.get(parsed.scheme)
        self.hostname = parsed.hostname if parsed.port in (None, default) else parsed.netloc
        self.path = parsed.path


aputils.algorithms.urlparse = HostWithPort

if os.environ.get("RELAY_LENIENT_NODEINFO"):
    import relay.http_client

    strict = relay.http_client.HttpClient.fetch_nodeinfo

    async def lenient(self, domain, force=False):
        try:
            return await strict(self, domain, force)
        except Exception:
            return None

    relay.http_client.HttpClient.fetch_nodeinfo = lenient

from relay.cli import main  # noqa: E402 (after the adjustments)

sys.argv[0] = "activityrelay"
main()
