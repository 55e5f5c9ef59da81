"""The signature of a delivery (tracking/webhooks/signing.py): what a receiver checks."""

from __future__ import annotations

import hashlib
import hmac

from tracking.webhooks.signing import sign, verify_signature

SECRET = "whsec_test"
BODY = b'{"data":{"case_code":"2026-0001"},"type":"case.closed"}'


def test_the_header_is_a_timestamp_and_an_hmac_sha256_of_it_and_the_body() -> None:
    header = sign(SECRET, BODY, timestamp=1_800_000_000)
    expected = hmac.new(SECRET.encode(), b"1800000000." + BODY, hashlib.sha256).hexdigest()
    assert header == f"t=1800000000,v1={expected}"
    assert verify_signature(SECRET, header, BODY, now=1_800_000_100)


def test_a_changed_body_another_secret_or_a_broken_header_is_refused() -> None:
    header = sign(SECRET, BODY, timestamp=1_800_000_000)
    at = 1_800_000_000
    assert not verify_signature(SECRET, header, BODY + b" ", now=at)
    assert not verify_signature("whsec_other", header, BODY, now=at)
    assert not verify_signature(SECRET, header.replace("t=1800000000", "t=1800000001"), BODY,
                                now=at)
    for broken in ("", "t=1800000000", header.split(",")[1], "t=abc,v1=00", "garbage"):
        assert not verify_signature(SECRET, broken, BODY, now=at), broken


def test_an_old_or_future_signature_is_refused_beyond_the_tolerance() -> None:
    header = sign(SECRET, BODY, timestamp=1_800_000_000)
    assert verify_signature(SECRET, header, BODY, tolerance=300, now=1_800_000_300)
    assert not verify_signature(SECRET, header, BODY, tolerance=300, now=1_800_000_301)
    assert not verify_signature(SECRET, header, BODY, tolerance=300, now=1_799_999_699)


def test_one_matching_signature_among_several_is_enough() -> None:
    good = sign(SECRET, BODY, timestamp=1_800_000_000)
    header = good.replace("v1=", "v1=" + "0" * 64 + ",v1=")
    assert verify_signature(SECRET, header, BODY, now=1_800_000_000)


def test_the_readmes_snippet_verifies_our_signatures() -> None:
    """The receiver's code the README shows (section "Webhooks") agrees with ours."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parents[3] / "README.md").read_text()
    section = readme[readme.index("#### Webhooks"):]
    code = section[section.index("```python\n") + 10:]
    code = code[:code.index("```")]
    namespace: dict[str, object] = {}
    exec(compile(code, "README.md", "exec"), namespace)
    check = namespace["verify_signature"]
    assert callable(check)
    header = sign(SECRET, BODY)
    assert check(SECRET, header, BODY) is True
    assert check(SECRET, header, BODY + b"x") is False
    assert check("whsec_other", header, BODY) is False
    assert check(SECRET, sign(SECRET, BODY, timestamp=1_000_000_000), BODY) is False
    assert check(SECRET, "garbage", BODY) is False
