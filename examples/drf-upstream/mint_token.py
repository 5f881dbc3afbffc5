#!/usr/bin/env python3
"""Prints an HS256 access token shaped like simplejwt's, to try the example by hand.

    DRF_JWT_SECRET=... python3 mint_token.py alice [scope ...]

Uses DRF_JWT_ISSUER (default https://auth.example.com/) and DRF_JWT_AUDIENCE (default
orders-api), as gateway.config.yaml does; valid 5 minutes.
"""
import base64
import hashlib
import hmac
import json
import os
import sys
import time
import uuid


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b'=')


def part(obj):
    return b64url(json.dumps(obj, separators=(',', ':')).encode())


def main():
    if len(sys.argv) < 2 or 'DRF_JWT_SECRET' not in os.environ:
        sys.exit(__doc__)
    now = int(time.time())
    claims = {
        'token_type': 'access',
        'iss': os.environ.get('DRF_JWT_ISSUER', 'https://auth.example.com/'),
        'aud': os.environ.get('DRF_JWT_AUDIENCE', 'orders-api'),
        'sub': sys.argv[1],
        'iat': now,
        'exp': now + 300,
        'jti': uuid.uuid4().hex,
    }
    if len(sys.argv) > 2:
        claims['scope'] = ' '.join(sys.argv[2:])
    signing_input = part({'alg': 'HS256', 'typ': 'JWT'}) + b'.' + part(claims)
    signature = hmac.new(os.environ['DRF_JWT_SECRET'].encode(), signing_input, hashlib.sha256).digest()
    print((signing_input + b'.' + b64url(signature)).decode())


if __name__ == '__main__':
    main()
