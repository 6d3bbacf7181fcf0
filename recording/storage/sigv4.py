"""AWS Signature Version 4 for S3 requests. Pure code: the clock is a parameter.

An S3-compatible store (AWS S3, MinIO, Ceph RGW, Hetzner, Backblaze B2, …) authenticates each
request by an HMAC-SHA256 signature over a *canonical request*. The steps, as AWS documents
them ("Create a signed AWS API request", "Signature Version 4 for Amazon S3"):

1. **Canonical request**: six lines joined by ``\\n``::

       METHOD
       canonical URI        the path, each byte outside A-Z a-z 0-9 - _ . ~ / percent-encoded
                            once (S3 does not normalise ``.``/``..`` nor encode twice)
       canonical query      name=value pairs, both percent-encoded (``/`` too), sorted by name
                            then value, joined by ``&``; a bare name (``?uploads``) is ``name=``
       canonical headers    ``name:value\\n`` for each signed header: lower-case names, sorted,
                            values trimmed with inner runs of spaces collapsed to one
       signed headers       the same names joined by ``;``
       payload hash         the hex SHA-256 of the body, the value of ``x-amz-content-sha256``

2. **String to sign**: ``AWS4-HMAC-SHA256``, the timestamp ``YYYYMMDDTHHMMSSZ``, the scope
   ``YYYYMMDD/region/s3/aws4_request`` and the hex SHA-256 of the canonical request, one a line.

3. **Signing key**: HMAC-SHA256 chained from ``"AWS4" + secret`` over the date, the region, the
   service and ``aws4_request``; the signature is the hex HMAC of the string to sign with it.

4. **Authorization header**: ``AWS4-HMAC-SHA256 Credential=<key id>/<scope>,
   SignedHeaders=<signed headers>, Signature=<signature>``.

Every header given is signed (``host``, ``x-amz-date`` and ``x-amz-content-sha256`` always),
except the hop-by-hop ones a proxy may change (``connection``, ``expect``, ``user-agent``…), so
a store verifies the Content-Type, the checksum and the user metadata it was sent. The tests
check the header against botocore's signer for the same request, credentials and timestamp.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
EMPTY_SHA256 = hashlib.sha256(b"").hexdigest()
UNSIGNED_HEADERS = frozenset(
    {"connection", "expect", "keep-alive", "te", "trailer", "transfer-encoding", "upgrade"}
    | {"user-agent", "proxy-authorization", "authorization"}
)


@dataclass(frozen=True, slots=True)
class Credentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)
    region: str = "us-east-1"
    service: str = "s3"


def uri_encode(text: str, *, keep_slash: bool) -> str:
    """Percent-encode UTF-8 ``text`` the way SigV4 wants: only ``A-Za-z0-9-_.~`` stay (and
    ``/`` in a path)."""
    return quote(text, safe="-_.~/" if keep_slash else "-_.~")


def canonical_query(params: Sequence[tuple[str, str]]) -> str:
    """The query string, encoded and sorted; also what the request sends."""
    pairs = sorted(
        (uri_encode(n, keep_slash=False), uri_encode(v, keep_slash=False)) for n, v in params
    )
    return "&".join(f"{name}={value}" for name, value in pairs)


def timestamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def sign(
    *,
    method: str,
    host: str,
    path: str,
    params: Sequence[tuple[str, str]] = (),
    headers: Mapping[str, str],
    payload_sha256: str,
    credentials: Credentials,
    at: datetime,
) -> dict[str, str]:
    """The request's headers with ``host``, ``x-amz-date``, ``x-amz-content-sha256`` and
    ``authorization`` added. ``path`` is the decoded object path (``/bucket/key`` or ``/key``);
    ``host`` is ``name[:port]`` as sent (the port only when not the scheme's default)."""
    stamp = timestamp(at)
    signed = {name.lower(): value for name, value in headers.items()}
    signed |= {"host": host, "x-amz-date": stamp, "x-amz-content-sha256": payload_sha256}
    names = sorted(n for n in signed if n not in UNSIGNED_HEADERS)
    canonical_request = "\n".join(
        [
            method.upper(),
            uri_encode(path, keep_slash=True),
            canonical_query(params),
            "".join(f"{n}:{' '.join(signed[n].split())}\n" for n in names),
            ";".join(names),
            payload_sha256,
        ]
    )
    scope = f"{stamp[:8]}/{credentials.region}/{credentials.service}/aws4_request"
    string_to_sign = "\n".join(
        [ALGORITHM, stamp, scope, hashlib.sha256(canonical_request.encode()).hexdigest()]
    )
    key = f"AWS4{credentials.secret_access_key}".encode()
    for step in (stamp[:8], credentials.region, credentials.service, "aws4_request"):
        key = hmac.new(key, step.encode(), hashlib.sha256).digest()
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    signed["authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key_id}/{scope}, "
        f"SignedHeaders={';'.join(names)}, Signature={signature}"
    )
    return signed
