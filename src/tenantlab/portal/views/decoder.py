"""The token decoder page: paste an access token, see what every part of it means."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from tenantlab.portal import urls
from tenantlab.portal.tokens import TenantKeys, TokenDecodeError, decode_token
from tenantlab.portal.web import Portal, admin_page, form_action, render


def tenant_keys(portal: Portal) -> TenantKeys:
    directory = portal.platform.directory

    def tenant_name(tenant_id: str) -> str | None:
        tenant = directory.find_tenant(tenant_id)
        return tenant.display_name if tenant else None

    return TenantKeys(
        tenant_name=tenant_name,
        published=portal.platform.keys.published,
        find=portal.platform.keys.find,
    )


@admin_page
def decoder_page(request: Request, portal: Portal) -> Response:
    return render(request, "decoder.html", nav="decoder", token="", decoded=None, error=None)


@form_action(back=lambda request: urls.decoder())
def decode(request: Request, portal: Portal, form: FormData) -> Response:
    value = form.get("token")
    token = value if isinstance(value, str) else ""
    try:
        decoded = decode_token(token, tenant_keys(portal), portal.platform.clock.now())
    except TokenDecodeError as exc:
        return render(
            request,
            "decoder.html",
            400,
            nav="decoder",
            token=token[:20_000],
            decoded=None,
            error=exc.message,
        )
    return render(request, "decoder.html", nav="decoder", token=token, decoded=decoded, error=None)
