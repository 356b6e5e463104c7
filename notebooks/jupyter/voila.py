"""Voilà's settings for the workshop app (`make workshop` reads them from this folder).

A visitor's kernel is shut down when the page closes: Voilà's page sends a beacon to
`voila/api/shutdown/<kernel>` on `beforeunload`, which the server refuses (403) unless the page
carries an `_xsrf` cookie, and Voilà's own page handler never sets one. Asking the request handler
for its XSRF token before the kernel starts sets the cookie, so the beacon is accepted. Kernels
whose page went away without a beacon (a crashed browser, a lost network) are culled once idle
and disconnected for 15 minutes: long enough for a laptop that slept through a break to come back
to its page.
"""

c = get_config()  # noqa: F821 (traitlets gives a config file this name)


def set_xsrf_cookie(request_handler, notebook, cwd):
    """Before each visitor's kernel starts: make the page's close beacon acceptable."""
    request_handler.xsrf_token  # noqa: B018 (reading it sets the _xsrf cookie on the response)
    return notebook


c.VoilaConfiguration.prelaunch_hook = set_xsrf_cookie
c.MappingKernelManager.cull_idle_timeout = 900
c.MappingKernelManager.cull_interval = 30
c.MappingKernelManager.cull_connected = False
