"""The `jwt-bearer` client-assertion verifier the token endpoint's client authentication calls.

One assertion type carries two credentials, told apart as Entra does: an assertion whose `iss` is
the client id is the app's own, signed with a registered certificate; any other issuer makes it a
federated assertion, to be matched against the app's federated identity credentials. Both prove
possession of a private key, so both give `appidacr`/`azpacr` "2".
"""

from __future__ import annotations

import hashlib

from tenantlab.directory.sign_ins import CLIENT_ASSERTION, FEDERATED_CREDENTIAL
from tenantlab.sts.client_assertion import (
    AudiencePolicy,
    parse_assertion,
    registered_certificate,
    verify_certificate_assertion,
)
from tenantlab.sts.clientauth import ACR_CERTIFICATE, AssertionContext
from tenantlab.sts.federated_keys import FederatedKeyCache
from tenantlab.sts.federation import FederatedCredentialSpec, verify_federated_assertion


def audience_policy(context: AssertionContext) -> AudiencePolicy:
    tenant_id = context.snapshot.tenant_id
    return AudiencePolicy.for_tenant(
        origins=[context.endpoints.origin],
        tenant_aliases=context.snapshot.aliases,
        issuers=[context.endpoints.issuer_v2(tenant_id), context.endpoints.issuer_v1(tenant_id)],
    )


class JwtBearerVerifier:
    """Certificate or federated assertion -> acr "2", or an StsError (700027, 700024, 7002xx).

    Clients re-send one assertion for its whole life (MSAL Python about nine minutes, msal-node
    and workload identity ten), so an assertion already accepted is remembered — by its SHA-256,
    for the same client, tenant, origin and directory revision, inside the time window its claims
    and certificate allow — and accepted again without parsing or verifying it anew. Any directory
    change (a certificate or federated credential removed) moves the revision and forgets them.

    One verifier per token service: its `federated_keys` fetch issuers' keys trusting that
    platform's CA bundle only (and the system CAs), never another platform's in the same process.
    """

    MAX_REMEMBERED = 10_000

    def __init__(self, federated_keys: FederatedKeyCache) -> None:
        self.federated_keys = federated_keys
        # Accepted assertions: (valid from, valid until, credential type for the sign-in log).
        self._accepted: dict[tuple[str, str, str, int, bytes], tuple[float, float, str]] = {}

    async def __call__(self, context: AssertionContext) -> str:
        key = (
            context.endpoints.origin,
            context.snapshot.tenant_id,
            context.client.app_id,
            context.snapshot.revision,
            hashlib.sha256(context.assertion.encode("utf-8", "surrogatepass")).digest(),
        )
        window = self._accepted.get(key)
        if window is not None and window[0] <= context.now < window[1]:
            if context.facts is not None:
                context.facts.client_credential_type = window[2]
            return ACR_CERTIFICATE
        window = await self._verify(context)
        if len(self._accepted) >= self.MAX_REMEMBERED:
            self._accepted.clear()
        self._accepted[key] = window
        return ACR_CERTIFICATE

    async def _verify(self, context: AssertionContext) -> tuple[float, float, str]:
        parsed = parse_assertion(context.assertion)
        client = context.client
        issuer = parsed.claim_str("iss")
        if issuer is not None and issuer.lower() == client.app_id.lower():
            certificates = [
                registered_certificate(c.key_id, c.der, c.start_at, c.end_at)
                for c in client.certificates
            ]
            match = verify_certificate_assertion(
                parsed,
                client_id=client.app_id,
                certificates=certificates,
                audience=audience_policy(context),
                now=context.now,
            )
            return match.valid_from, match.valid_until, CLIENT_ASSERTION
        if context.facts is not None:
            context.facts.client_credential_type = FEDERATED_CREDENTIAL
        specs = [
            FederatedCredentialSpec(f.name, f.name, f.issuer, f.subject, f.audiences)
            for f in client.federated
        ]
        # The issuer's keys may need fetching over HTTPS (asynchronously, bounded in time).
        federated = await verify_federated_assertion(
            parsed,
            credentials=specs,
            keys=self.federated_keys,
            now=context.now,
        )
        return federated.valid_from, federated.valid_until, FEDERATED_CREDENTIAL
