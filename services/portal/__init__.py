"""The portal: every role does its year's work in a browser, in Chinese first.

A server-rendered ASGI app (Starlette + Jinja2) that is a gRPC client of the services only,
through the client package with the signed-in person's token: it never touches a database or
Temporal. See docs/portal.md.
"""
