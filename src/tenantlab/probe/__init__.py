"""`tenantlab probe-api`: attack an Entra-protected API with forged and misused tokens.

`catalogue` holds the attacks as data (reference/api-security.md §2); `runner` fires them after a
baseline that must be accepted, and judges each answer. Tokens come from `testing.forge`.
"""
