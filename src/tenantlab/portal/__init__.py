"""The admin center: a server-rendered web page over the directory and the key store.

`tenantlab.portal.app.create_app(platform)` is the ASGI app the cloud origin serves under /portal.
"""
