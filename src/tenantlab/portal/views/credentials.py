"""Certificates & secrets, and federated credentials, of one app registration.

A new secret's value (and a generated certificate's private key) is rendered into the response of
the POST that made it — never into the session, a redirect or a log — so it is seen exactly once.
"""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from tenantlab.directory import ValidationFailed
from tenantlab.ids import FEDERATION_AUDIENCE
from tenantlab.portal.certificates import VALIDITY_MONTHS, generate_certificate
from tenantlab.portal.views.applications import app_context, app_url
from tenantlab.portal.web import (
    MAX_UPLOAD_BYTES,
    Portal,
    admin_page,
    file_field,
    flash,
    form_action,
    path_param,
    render,
    see_other,
    text_field,
)

# The expiry choices of the portal's "Add a client secret" panel, in days.
SECRET_LIFETIMES = (
    (90, "90 days (3 months)"),
    (180, "180 days (6 months)"),
    (365, "365 days (12 months)"),
    (545, "545 days (18 months)"),
    (730, "730 days (24 months)"),
)
DEFAULT_SECRET_DAYS = 180


def _credentials_url(request: Request) -> str:
    return app_url(request, "credentials")


def _federated_url(request: Request) -> str:
    return app_url(request, "federated-credentials")


def credentials_view(request: Request, portal: Portal, **extra: Any) -> Response:
    context = app_context(portal, request)
    app = context["app"]
    directory = portal.platform.directory
    return render(
        request,
        "app/credentials.html",
        tab="credentials",
        secrets=directory.password_credentials(app.id),
        certificates=directory.key_credentials(app.id),
        lifetimes=SECRET_LIFETIMES,
        default_days=DEFAULT_SECRET_DAYS,
        validity_months=VALIDITY_MONTHS,
        now=portal.platform.clock.now(),
        **extra,
        **context,
    )


@admin_page
def credentials_page(request: Request, portal: Portal) -> Response:
    return credentials_view(request, portal)


@form_action(back=_credentials_url)
def add_secret(request: Request, portal: Portal, form: FormData) -> Response:
    try:
        days = int(text_field(form, "days", str(DEFAULT_SECRET_DAYS)))
    except ValueError:
        raise ValidationFailed("choose when the secret expires") from None
    if days not in dict(SECRET_LIFETIMES):
        raise ValidationFailed("choose one of the offered expiry periods")
    created = portal.platform.directory.add_password(
        tenant=path_param(request, "tenant_id"),
        app=path_param(request, "object_id"),
        display_name=text_field(form, "description")[:256] or None,
        days=days,
    )
    return credentials_view(request, portal, new_secret=created)


@form_action(back=_credentials_url)
def remove_secret(request: Request, portal: Portal, form: FormData) -> Response:
    portal.platform.directory.remove_password(
        tenant=path_param(request, "tenant_id"),
        app=path_param(request, "object_id"),
        key_id=path_param(request, "key_id"),
    )
    flash(request, "success", "Removed the client secret.")
    return see_other(_credentials_url(request))


@form_action(back=_credentials_url)
def upload_certificate(request: Request, portal: Portal, form: FormData) -> Response:
    upload = file_field(form, "certificate")
    if upload is None:
        raise ValidationFailed("choose a certificate file (.cer, .pem or .crt) to upload")
    data = upload.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise ValidationFailed("the certificate file is larger than 64 KB")
    row = portal.platform.directory.add_certificate(
        tenant=path_param(request, "tenant_id"),
        app=path_param(request, "object_id"),
        certificate_pem_or_der=data,
        display_name=text_field(form, "description")[:256] or None,
    )
    flash(request, "success", f"Uploaded certificate {row.thumbprint_sha1}.")
    return see_other(_credentials_url(request))


@form_action(back=_credentials_url)
def generate(request: Request, portal: Portal, form: FormData) -> Response:
    try:
        months = int(text_field(form, "months", "12"))
    except ValueError:
        raise ValidationFailed("choose how long the certificate is valid") from None
    context = app_context(portal, request)
    subject = text_field(form, "subject") or context["app"].display_name[:64]
    generated = generate_certificate(subject, months, portal.platform.clock.now())
    portal.platform.directory.add_certificate(
        tenant=context["tenant"].id,
        app=context["app"].id,
        certificate_pem_or_der=generated.certificate_pem.encode("ascii"),
        display_name=f"CN={subject}",
    )
    return credentials_view(request, portal, new_certificate=generated)


@form_action(back=_credentials_url)
def remove_certificate(request: Request, portal: Portal, form: FormData) -> Response:
    portal.platform.directory.remove_certificate(
        tenant=path_param(request, "tenant_id"),
        app=path_param(request, "object_id"),
        key_id=path_param(request, "key_id"),
    )
    flash(request, "success", "Removed the certificate.")
    return see_other(_credentials_url(request))


@admin_page
def federated_page(request: Request, portal: Portal) -> Response:
    context = app_context(portal, request)
    return render(
        request,
        "app/federated.html",
        tab="federated",
        credentials=portal.platform.directory.federated_credentials(context["app"].id),
        default_audience=FEDERATION_AUDIENCE,
        **context,
    )


@form_action(back=_federated_url)
def add_federated(request: Request, portal: Portal, form: FormData) -> Response:
    row = portal.platform.directory.add_federated_credential(
        tenant=path_param(request, "tenant_id"),
        app=path_param(request, "object_id"),
        name=text_field(form, "name"),
        issuer=text_field(form, "issuer"),
        subject=text_field(form, "subject"),
        audiences=[text_field(form, "audience") or FEDERATION_AUDIENCE],
        description=text_field(form, "description")[:600] or None,
    )
    flash(request, "success", f"Added federated credential {row.name}.")
    return see_other(_federated_url(request))


@form_action(back=_federated_url)
def remove_federated(request: Request, portal: Portal, form: FormData) -> Response:
    portal.platform.directory.remove_federated_credential(
        tenant=path_param(request, "tenant_id"),
        app=path_param(request, "object_id"),
        name_or_id=path_param(request, "credential_id"),
    )
    flash(request, "success", "Removed the federated credential.")
    return see_other(_federated_url(request))
