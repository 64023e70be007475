"""The issuer's signing key: an ES256 (P-256) key generated once into a file readable by its
owner only (0600 from the moment it exists), or a key a city mounts there (a Kubernetes
Secret). PyJWT (with cryptography) does all the JOSE work."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

ALGORITHMS = {ec.EllipticCurvePrivateKey: "ES256", rsa.RSAPrivateKey: "RS256"}


class KeyFileError(RuntimeError):
    """The key file is unusable: unreadable, not a private key, or readable by others."""


@dataclass(frozen=True)
class SigningKey:
    private: Any  # an EllipticCurvePrivateKey (ES256) or RSAPrivateKey (RS256)
    algorithm: str
    kid: str

    @classmethod
    def generate(cls) -> SigningKey:
        return cls.of(ec.generate_private_key(ec.SECP256R1()))

    @classmethod
    def of(cls, private: Any) -> SigningKey:
        algorithm = next((a for t, a in ALGORITHMS.items() if isinstance(private, t)), None)
        if algorithm is None:
            raise KeyFileError("the signing key must be an EC P-256 (ES256) or RSA (RS256) key")
        if algorithm == "ES256" and not isinstance(private.curve, ec.SECP256R1):
            raise KeyFileError("an EC signing key must be on P-256 (ES256)")
        return cls(private, algorithm, thumbprint(_public_jwk(private.public_key(), algorithm)))

    def public_jwk(self) -> dict[str, str]:
        """The public half as a JWK (RFC 7517), named by its RFC 7638 thumbprint."""
        return {
            **_public_jwk(self.private.public_key(), self.algorithm),
            "kid": self.kid,
            "use": "sig",
            "alg": self.algorithm,
        }

    def sign(self, claims: dict[str, Any]) -> str:
        return jwt.encode(claims, self.private, algorithm=self.algorithm, headers={"kid": self.kid})

    def pem(self) -> bytes:
        return self.private.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )


def _public_jwk(public: Any, algorithm: str) -> dict[str, str]:
    algo = jwt.get_algorithm_by_name(algorithm)
    return {k: v for k, v in algo.to_jwk(public, as_dict=True).items() if k not in ("key_ops",)}


def thumbprint(jwk: dict[str, str]) -> str:
    """RFC 7638: SHA-256 over the key's required members, sorted, without whitespace."""
    required = {"EC": ("crv", "kty", "x", "y"), "RSA": ("e", "kty", "n")}[jwk["kty"]]
    canonical = json.dumps({k: jwk[k] for k in required}, separators=(",", ":"), sort_keys=True)
    digest = hashlib.sha256(canonical.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def load_or_create(path: Path) -> SigningKey:
    """The key at `path`; a new ES256 key written there first when there is none. The file is
    created with mode 0600 (never wider, not even for a moment). An existing file that others
    can read, or its group can write, is refused (group read is allowed: a Kubernetes Secret
    mounted with an fsGroup reads 0440)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    if not path.exists():
        key = SigningKey.generate()
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # a concurrent start wrote it first: read theirs
        else:
            with os.fdopen(fd, "wb") as out:
                out.write(key.pem())
            return key
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o037:
        raise KeyFileError(
            f"{path}: the signing key is readable by others (mode {mode:o}); chmod 600 it"
        )
    try:
        private = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except (ValueError, TypeError) as err:
        raise KeyFileError(f"{path}: not a PEM private key: {err}") from err
    return SigningKey.of(private)
