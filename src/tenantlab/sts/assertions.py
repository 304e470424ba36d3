"""The `jwt-bearer` client-assertion verifier the token endpoint's client authentication calls.

One assertion type carries two credentials, told apart as Entra does: an assertion whose `iss` is
the client id is the app's own, signed with a registered certificate; any other issuer makes it a
federated assertion, to be matched against the app's federated identity credentials. Both prove
possession of a private key, so both give `appidacr`/`azpacr` "2".
"""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool

from tenantlab.platform import Platform
from tenantlab.sts.client_assertion import (
    AudiencePolicy,
    parse_assertion,
    registered_certificate,
    verify_certificate_assertion,
)
from tenantlab.sts.clientauth import (
    ACR_CERTIFICATE,
    ASSERTION_VERIFIERS,
    JWT_BEARER_ASSERTION,
    AssertionContext,
)
from tenantlab.sts.federation import (
    FederatedCredentialSpec,
    FederatedKeyCache,
    https_fetcher,
    verify_federated_assertion,
)


def audience_policy(context: AssertionContext) -> AudiencePolicy:
    tenant_id = context.snapshot.tenant_id
    return AudiencePolicy.for_tenant(
        origins=[context.endpoints.origin],
        tenant_aliases=context.snapshot.aliases,
        issuers=[context.endpoints.issuer_v2(tenant_id), context.endpoints.issuer_v1(tenant_id)],
    )


class JwtBearerVerifier:
    """Certificate or federated assertion -> acr "2", or an StsError (700027, 700024, 7002xx)."""

    def __init__(self, federated_keys: FederatedKeyCache) -> None:
        self.federated_keys = federated_keys

    async def __call__(self, context: AssertionContext) -> str:
        parsed = parse_assertion(context.assertion)
        client = context.client
        issuer = parsed.claim_str("iss")
        if issuer is not None and issuer.lower() == client.app_id.lower():
            certificates = [
                registered_certificate(c.key_id, c.der, c.start_at, c.end_at)
                for c in client.certificates
            ]
            verify_certificate_assertion(
                parsed,
                client_id=client.app_id,
                certificates=certificates,
                audience=audience_policy(context),
                now=context.now,
            )
            return ACR_CERTIFICATE
        specs = [
            FederatedCredentialSpec(f.name, f.name, f.issuer, f.subject, f.audiences)
            for f in client.federated
        ]
        # The issuer's keys may need fetching over HTTPS (possibly from this very server).
        await run_in_threadpool(
            verify_federated_assertion,
            parsed,
            credentials=specs,
            keys=self.federated_keys,
            now=context.now,
        )
        return ACR_CERTIFICATE


def install(platform: Platform) -> JwtBearerVerifier:
    """Register the verifier for `client_assertion_type=...:jwt-bearer` (idempotent)."""
    verifier = JwtBearerVerifier(
        FederatedKeyCache(https_fetcher(platform.settings.ca_bundle_path), platform.clock)
    )
    ASSERTION_VERIFIERS[JWT_BEARER_ASSERTION] = verifier
    return verifier
