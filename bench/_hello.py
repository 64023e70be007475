"""The baseline of bench_portal.py: a bare ASGI "hello" page served by the same uvicorn as the
portal (`python bench/_hello.py PORT`)."""

from __future__ import annotations

import sys

import uvicorn

BODY = "<!doctype html><html lang=zh-CN><title>hello</title><p>你好</p></html>".encode()


async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"text/html; charset=utf-8")],
        }
    )
    await send({"type": "http.response.body", "body": BODY})


if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
