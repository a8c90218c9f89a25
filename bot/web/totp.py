"""TOTP (RFC 6238, via pyotp) and recovery codes for console accounts: pure helpers, no storage.

- Codes are six digits over 30 s; one step either side is accepted (phone clocks drift), and
  the step that matched is returned so storage can refuse it a second time (a code works once).
- The enrolment QR code is drawn here as SVG (the `qrcode` package): the secret never leaves
  the server for a chart service or a CDN.
- Recovery codes are 16 random base32 characters (80 bits), shown once in groups of four and
  stored as SHA-256: at that length a plain hash cannot be searched, and one indexed lookup
  checks a code (no ten Argon2 runs per attempt).
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import re
import secrets

import pyotp
import qrcode
import qrcode.image.svg

RECOVERY_CODES = 10
DRIFT_STEPS = 1
_CODE_RX = re.compile(r"^\d{6}$")


def new_secret() -> str:
    return pyotp.random_base32()  # 160 bits, as RFC 4226 recommends


def provisioning_uri(secret: str, *, username: str, issuer: str) -> str:
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=issuer)


def qr_svg(uri: str) -> str:
    """The QR code of `uri` as an SVG element (paths only, white background), to embed in a page."""
    image = qrcode.make(uri, image_factory=qrcode.image.svg.SvgPathFillImage, box_size=10, border=2)
    svg: str = image.to_string(encoding="unicode")
    return svg.split("?>", 1)[-1]  # no XML declaration inside HTML


def grouped(secret: str) -> str:
    """The secret as people type it into an app: groups of four."""
    return " ".join(secret[i:i + 4] for i in range(0, len(secret), 4))


def matching_step(secret: str, code: str, *, now: dt.datetime | None = None) -> int | None:
    """The time step whose code `code` is (within the allowed drift), or None."""
    code = re.sub(r"\s", "", code)
    if not secret or not _CODE_RX.match(code):
        return None
    totp = pyotp.TOTP(secret)
    step = totp.timecode(now or dt.datetime.now(dt.UTC))
    for candidate in (step, step - DRIFT_STEPS, step + DRIFT_STEPS):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def new_recovery_codes(count: int = RECOVERY_CODES) -> list[str]:
    codes = []
    for _ in range(count):
        raw = base64.b32encode(secrets.token_bytes(10)).decode().lower()  # 16 characters, 80 bits
        codes.append("-".join(raw[i:i + 4] for i in range(0, 16, 4)))
    return codes


def normalise_recovery_code(text: str) -> str:
    return re.sub(r"[^a-z2-7]", "", text.lower())


def looks_like_recovery_code(text: str) -> bool:
    return len(normalise_recovery_code(text)) == 16


def hash_recovery_code(code: str) -> str:
    return hashlib.sha256(normalise_recovery_code(code).encode()).hexdigest()
