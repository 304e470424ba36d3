"""The token service: discovery, signing keys, instance discovery, token endpoints, AADSTS errors.

`create_app(platform)` (in `sts.app`) is the ASGI app; it is lean on purpose, because the token
endpoint is the platform's hottest path.
"""
