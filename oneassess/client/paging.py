"""Following AIP-158 page tokens on the client side: every page, or every item."""

from __future__ import annotations


async def pages(call, request):
    """Every response of a paged List RPC, following next_page_token (AIP-158)."""
    while True:
        response = await call(request)
        yield response
        if not response.next_page_token:
            return
        request.page_token = response.next_page_token


async def all_pages(call, request, field: str) -> list:
    """Every item of a paged List RPC's repeated `field`."""
    return [item async for page in pages(call, request) for item in getattr(page, field)]
