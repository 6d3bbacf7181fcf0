"""rada's SigV4 signer against botocore's (the reference implementation AWS ships), and the
S3 settings."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

import pytest
from botocore.auth import S3SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from orchestrator.kernel.settings import SettingsError
from orchestrator.kernel.settings.recording import RecordingSettings, parse_size
from recording.storage.sigv4 import Credentials, canonical_query, sign, uri_encode

AT = datetime(2026, 11, 23, 15, 4, 5, tzinfo=UTC)
KEY_ID = "AKIDEXAMPLE"
SECRET = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

CASES = [
    # method, host, path, query, headers, body
    ("HEAD", "127.0.0.1:9000", "/council-archive", [], {}, b""),
    ("GET", "s3.example.org", "/bucket/rada/s1/manifest.json", [], {}, b""),
    (
        "PUT",
        "127.0.0.1:9000",
        "/bucket/rada/0f8e/part-0001.mp4",
        [],
        {
            "Content-Type": "video/mp4",
            "Content-Length": "11",
            "x-amz-checksum-sha256": "uU0nuZNNPgilLlLX2n2r+sSE7+N6U4DukIj3rOLvzek=",
            "x-amz-meta-sha256": hashlib.sha256(b"hello world").hexdigest(),
        },
        b"hello world",
    ),
    (
        "POST",
        "bucket.s3.eu-central-1.example.com",
        "/rada/s1/part-0002.mp4",
        [("uploads", "")],
        {"Content-Type": "video/mp4", "x-amz-checksum-algorithm": "SHA256"},
        b"",
    ),
    (
        "PUT",
        "s3.example.org:8443",
        "/bucket/rada/s1/part-0002.mp4",
        [("uploadId", "2~abc/def+ghi=="), ("partNumber", "10")],
        {"Content-Length": "4"},
        b"\x00\x01\x02\x03",
    ),
    (
        "PUT",
        "s3.example.org",
        "/bucket/рада/засідання 1/протокол (остаточний)+v2.json",
        [("x-id", "PutObject"), ("a b", "c/d ~e")],
        {"Content-Type": "application/json", "X-Amz-Meta-Note": "  two   spaces  "},
        '{"п": 1}'.encode(),
    ),
    ("DELETE", "s3.example.org", "/bucket/k", [("uploadId", "x")], {}, b""),
]


@pytest.mark.parametrize(("method", "host", "path", "query", "headers", "body"), CASES)
def test_authorization_equals_botocore(
    monkeypatch: pytest.MonkeyPatch,
    method: str,
    host: str,
    path: str,
    query: list[tuple[str, str]],
    headers: dict[str, str],
    body: bytes,
) -> None:
    """For the same request, credentials and time, rada's Authorization header is botocore's
    (S3SigV4Auth: S3's path encoding, the payload's SHA-256 signed)."""
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: AT.replace(tzinfo=None))
    url = f"https://{host}{uri_encode(path, keep_slash=True)}"
    if query:
        url += "?" + canonical_query(query)
    reference = AWSRequest(method=method, url=url, headers=dict(headers), data=body)
    S3SigV4Auth(BotoCredentials(KEY_ID, SECRET), "s3", "eu-central-1").add_auth(reference)

    ours = sign(
        method=method,
        host=host,
        path=path,
        params=query,
        headers=headers,
        payload_sha256=hashlib.sha256(body).hexdigest(),
        credentials=Credentials(KEY_ID, SECRET, region="eu-central-1"),
        at=AT,
    )
    assert ours["authorization"] == reference.headers["Authorization"]
    assert ours["x-amz-date"] == reference.headers["X-Amz-Date"]
    assert ours["x-amz-content-sha256"] == reference.headers["X-Amz-Content-SHA256"]


def test_signature_depends_on_every_signed_part() -> None:
    """Changing the secret, the time, a signed header or the payload changes the signature."""
    base = {
        "method": "PUT",
        "host": "h",
        "path": "/b/k",
        "headers": {"Content-Type": "video/mp4"},
        "payload_sha256": hashlib.sha256(b"x").hexdigest(),
        "credentials": Credentials(KEY_ID, SECRET),
        "at": AT,
    }
    reference = sign(**base)["authorization"]  # type: ignore[arg-type]
    for change in (
        {"credentials": Credentials(KEY_ID, SECRET + "x")},
        {"at": AT.replace(second=6)},
        {"headers": {"Content-Type": "text/vtt"}},
        {"payload_sha256": hashlib.sha256(b"y").hexdigest()},
    ):
        assert sign(**(base | change))["authorization"] != reference  # type: ignore[arg-type]


def test_secret_is_not_in_repr() -> None:
    """Credentials and settings never show the secret key in a repr (logs, tracebacks)."""
    assert SECRET not in repr(Credentials(KEY_ID, SECRET))
    settings = RecordingSettings.from_env(
        {
            "RADA_RECORDING_STORAGE": "s3",
            "RADA_RECORDING_S3_ENDPOINT": "https://s3.example.org",
            "RADA_RECORDING_S3_BUCKET": "archive",
            "RADA_RECORDING_S3_ACCESS_KEY_ID": KEY_ID,
            "RADA_RECORDING_S3_SECRET_ACCESS_KEY": SECRET,
        }
    )
    assert SECRET not in repr(settings)


S3_ENV = {
    "RADA_RECORDING_STORAGE": "s3",
    "RADA_RECORDING_S3_ENDPOINT": "https://s3.example.org:9000",
    "RADA_RECORDING_S3_BUCKET": "archive",
    "RADA_RECORDING_S3_ACCESS_KEY_ID": KEY_ID,
    "RADA_RECORDING_S3_SECRET_ACCESS_KEY": SECRET,
}


def test_s3_settings_from_environment() -> None:
    """The S3 variables are read, with defaults for prefix, region, part size, addressing."""
    settings = RecordingSettings.from_env(
        S3_ENV | {"RADA_RECORDING_S3_PART_SIZE": "8MiB", "RADA_RECORDING_S3_ADDRESSING": "Virtual"}
    )
    assert (settings.storage, settings.s3_endpoint, settings.s3_bucket) == (
        "s3",
        "https://s3.example.org:9000",
        "archive",
    )
    assert (settings.s3_prefix, settings.s3_region) == ("rada/", "us-east-1")
    assert (settings.s3_part_size, settings.s3_addressing) == (8 * 1024 * 1024, "virtual")
    assert RecordingSettings.from_env({}).storage == "local"
    assert RecordingSettings.from_env({}).s3_part_size == 64 * 1024 * 1024


@pytest.mark.parametrize(
    ("text", "expected"),
    [("5242880", 5 * 1024 * 1024), ("64MiB", 64 << 20), ("64m", 64 << 20), ("1GiB", 1 << 30)],
)
def test_parse_size(text: str, expected: int) -> None:
    """Sizes are bytes or binary K/M/G units."""
    assert parse_size("X", text) == expected


@pytest.mark.parametrize(
    ("environ", "names"),
    [
        ({"RADA_RECORDING_STORAGE": "ftp"}, "RADA_RECORDING_STORAGE"),
        (
            {k: v for k, v in S3_ENV.items() if k != "RADA_RECORDING_S3_ENDPOINT"},
            "RADA_RECORDING_S3_ENDPOINT",
        ),
        (
            {k: v for k, v in S3_ENV.items() if k != "RADA_RECORDING_S3_BUCKET"},
            "RADA_RECORDING_S3_BUCKET",
        ),
        (
            {k: v for k, v in S3_ENV.items() if k != "RADA_RECORDING_S3_ACCESS_KEY_ID"},
            "RADA_RECORDING_S3_ACCESS_KEY_ID",
        ),
        (
            S3_ENV | {"RADA_RECORDING_S3_SECRET_ACCESS_KEY": "  "},
            "RADA_RECORDING_S3_SECRET_ACCESS_KEY",
        ),
        (S3_ENV | {"RADA_RECORDING_S3_ENDPOINT": "s3.example.org"}, "RADA_RECORDING_S3_ENDPOINT"),
        (
            S3_ENV | {"RADA_RECORDING_S3_ENDPOINT": "https://s3.example.org/archive"},
            "RADA_RECORDING_S3_ENDPOINT",
        ),
        (S3_ENV | {"RADA_RECORDING_S3_PART_SIZE": "4MiB"}, "RADA_RECORDING_S3_PART_SIZE"),
        (S3_ENV | {"RADA_RECORDING_S3_PART_SIZE": "lots"}, "RADA_RECORDING_S3_PART_SIZE"),
        (S3_ENV | {"RADA_RECORDING_S3_ADDRESSING": "dns"}, "RADA_RECORDING_S3_ADDRESSING"),
    ],
)
def test_bad_s3_settings_name_the_variable(environ: dict[str, str], names: str) -> None:
    """A missing or malformed S3 setting is refused with the variable's name in the message."""
    with pytest.raises(SettingsError, match=names):
        RecordingSettings.from_env(environ)


def test_local_storage_needs_no_s3_settings() -> None:
    """The default (local) ignores the S3 variables being unset."""
    assert RecordingSettings.from_env({"RADA_RECORDING_STORAGE": "local"}).s3_bucket == ""
