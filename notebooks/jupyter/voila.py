"""Voilà's settings for the workshop app (`make workshop` reads them from this folder).

A visitor's kernel is shut down when the page closes: Voilà's page sends a beacon to
`voila/api/shutdown/<kernel>` on `beforeunload`, which the server refuses (403) unless the page
carries an `_xsrf` cookie, and Voilà's own page handler never sets one. Asking the request handler
for its XSRF token before the kernel starts sets the cookie, so the beacon is accepted. Kernels
whose page went away without a beacon (a crashed browser, a lost network) are culled once idle
and disconnected for 15 minutes: long enough for a laptop that slept through a break to come back
to its page.

At most VISITORS pages hold a kernel at once (about 230 MiB each): the next visitor gets a page
that says the room is full, in both languages, instead of a kernel the machine may not have memory
for. `make workshop VISITORS=N` sets it (environment STREETCHIEF_WORKSHOP_VISITORS; 30 by default,
a training room [assumption]).
"""

import os

from tornado.web import HTTPError

c = get_config()  # noqa: F821 (traitlets gives a config file this name)

VISITORS = os.environ.get("STREETCHIEF_WORKSHOP_VISITORS", "30")
if not VISITORS.isdigit() or int(VISITORS) < 1:
    raise SystemExit(
        f"STREETCHIEF_WORKSHOP_VISITORS (make workshop VISITORS=...) must be a whole number of at "
        f"least 1, the pages that may be open at once; got {VISITORS!r}"
    )
VISITORS = int(VISITORS)
ROOM_FULL = (
    f"The room is full: {VISITORS} pages have the workshop open, as many as this server takes at "
    "once. Try again when one is closed, or ask the trainer to start it with more "
    f"(make workshop VISITORS=...). / 会场已满: 已有 {VISITORS} 个页面打开了本演示, "
    "这是本服务器同时容纳的上限。请待有页面关闭后再试, 或请培训人员以更大的上限重新启动。"
)


def before_each_kernel(request_handler, notebook, cwd):
    """Before each visitor's kernel starts: a full room is refused with a page that says so, and
    the page's close beacon is made acceptable."""
    if len(request_handler.kernel_manager.list_kernel_ids()) >= VISITORS:
        # the error page (templates/streetchief/error.html) shows Chinese in the shipped font
        from streetchief.plots import font_face_css

        page = request_handler.settings.setdefault("jinja_template_vars", {})
        if "font_css" not in page:  # the font read and encoded once, not at every refusal
            page["font_css"] = font_face_css()
        raise HTTPError(503, ROOM_FULL, reason="The room is full")
    request_handler.xsrf_token  # noqa: B018 (reading it sets the _xsrf cookie on the response)
    return notebook


c.VoilaConfiguration.prelaunch_hook = before_each_kernel
c.MappingKernelManager.cull_idle_timeout = 900
c.MappingKernelManager.cull_interval = 30
c.MappingKernelManager.cull_connected = False
