"""The local OIDC issuer: signs tokens for the sample city's people and for the services.

Its own process (`python -m services.issuer`), an ASGI app (Starlette, served by uvicorn).
Only this process holds a signing key; services and the worker verify with its public keys
(JWKS). A city replaces it with its own identity provider: the services only need the
provider's discovery URL, the audience and the claims described in docs/identity.md.
"""
