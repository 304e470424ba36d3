"""`tenantlab app ...`: app registrations (create, list, show, delete) and their subcommands.

Subcommand groups live in their own modules and are attached here: `secret` (client secrets),
`role` / `scope` / `grant` (permissions). Another module adds its own with `app.add_command(...)`.
"""

from __future__ import annotations

import click

from tenantlab.cli._common import (
    CommandGroup,
    json_option,
    platform_from,
    print_fields,
    print_json,
    print_table,
    resolve_tenant,
    tenant_option,
)
from tenantlab.cli.app_credentials import cert, federated
from tenantlab.cli.permissions import grant, role, scope
from tenantlab.cli.secrets import secret
from tenantlab.clock import iso_z
from tenantlab.directory.validation import SIGN_IN_AUDIENCES
from tenantlab.graph.shapes import application_document, application_json
from tenantlab.platform import Platform
from tenantlab.storage.schema import Tenant


@click.group(cls=CommandGroup)
def app() -> None:
    """App registrations: appId, identifierUris, app roles, scopes, secrets, consent."""


app.add_command(secret)
app.add_command(role)
app.add_command(scope)
app.add_command(grant)
app.add_command(cert)
app.add_command(federated)


@app.command("create")
@click.option(
    "--name",
    "display_name",
    required=True,
    help="Display name (need not be unique, as in Entra: the appId is).",
)
@click.option(
    "--audience",
    "sign_in_audience",
    type=click.Choice(SIGN_IN_AUDIENCES),
    default="AzureADMyOrg",
    show_default=True,
    help="signInAudience.",
)
@click.option(
    "--identifier-uri",
    "identifier_uris",
    multiple=True,
    help="Application ID URI; repeatable; {appId} is replaced (e.g. 'api://{appId}').",
)
@click.option(
    "--token-version",
    type=click.Choice(["1", "2"]),
    help="api.requestedAccessTokenVersion of tokens issued for this app (default: null = v1).",
)
@click.option("--idtyp", is_flag=True, help="Add the idtyp optional claim to access tokens.")
@click.option(
    "--group-claims",
    "group_membership_claims",
    type=click.Choice(["None", "SecurityGroup", "All", "ApplicationGroup"]),
    help="groupMembershipClaims: which groups the app's access tokens name (`groups` claim).",
)
@click.option("--app-id", help="A fixed appId (client id, GUID); default: a new one.")
@click.option("--description")
@tenant_option
@json_option
@click.pass_context
def create(
    ctx: click.Context,
    display_name: str,
    sign_in_audience: str,
    identifier_uris: tuple[str, ...],
    token_version: str | None,
    idtyp: bool,
    group_membership_claims: str | None,
    app_id: str | None,
    description: str | None,
    tenant: str | None,
    as_json: bool,
) -> None:
    """Register an application (and its service principal, as the portal does)."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    created = platform.directory.create_application(
        tenant=t.id,
        display_name=display_name,
        sign_in_audience=sign_in_audience,
        identifier_uris=list(identifier_uris),
        requested_access_token_version=int(token_version) if token_version else None,
        optional_claims={"accessToken": [{"name": "idtyp"}]} if idtyp else None,
        app_id=app_id,
        description=description,
    )
    if group_membership_claims is not None:
        created = platform.directory.update_application(
            tenant=t.id,
            app=created.id,
            changes={"groupMembershipClaims": group_membership_claims},
        )
    if as_json:
        print_json(application_document(platform.directory, created))
        return
    print_fields(
        f"Registered {created.display_name}",
        [
            ("appId (client id)", created.app_id),
            ("object id", created.id),
            ("tenant id", t.id),
            ("identifierUris", ", ".join(created.identifier_uris) or "-"),
            ("next", f"tenantlab app secret add {created.app_id}{_tenant_hint(platform, t)}"),
        ],
    )


def _tenant_hint(platform: Platform, t: Tenant) -> str:
    """` -t DOMAIN` when the next command would otherwise have to choose among tenants."""
    if len(platform.directory.list_tenants()) < 2:
        return ""
    return f" -t {platform.directory.tenant_domains(t.id)[0]}"


@app.command("list")
@tenant_option
@json_option
@click.pass_context
def list_(ctx: click.Context, tenant: str | None, as_json: bool) -> None:
    """List the tenant's app registrations."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    apps = platform.directory.list_applications(tenant=t.id)
    if as_json:
        print_json({"value": [application_document(platform.directory, a) for a in apps]})
        return
    print_table(
        f"Applications of {t.display_name}",
        ["display name", "appId", "signInAudience", "identifierUris"],
        [
            (a.display_name, a.app_id, a.sign_in_audience, ", ".join(a.identifier_uris))
            for a in apps
        ],
    )


@app.command("show")
@click.argument("application")
@tenant_option
@json_option
@click.pass_context
def show(ctx: click.Context, application: str, tenant: str | None, as_json: bool) -> None:
    """Show one app (by appId, object id or display name): roles, scopes, secrets and expiry."""
    platform = platform_from(ctx)
    directory = platform.directory
    t = resolve_tenant(platform, tenant)
    found = directory.get_application(tenant=t.id, app=application)
    if as_json:
        print_json(application_document(directory, found))
        return
    version = found.requested_access_token_version
    fields = [
        ("appId (client id)", found.app_id),
        ("object id", found.id),
        ("tenant id", t.id),
        ("signInAudience", found.sign_in_audience),
        ("identifierUris", ", ".join(found.identifier_uris) or "-"),
        ("token version", str(version) if version else "null (v1)"),
        ("app roles", ", ".join(r["value"] for r in found.app_roles) or "-"),
        ("scopes", ", ".join(s["value"] for s in found.oauth2_permission_scopes) or "-"),
    ]
    for credential in directory.password_credentials(found.id):
        name = f" '{credential.display_name}'" if credential.display_name else ""
        expires = iso_z(credential.end_at)
        fields.append(
            ("secret", f"{credential.key_id} {credential.hint}***{name} expires {expires}")
        )
    for certificate in directory.key_credentials(found.id):
        fields.append(
            (
                "certificate",
                f"{certificate.thumbprint_sha1} expires {iso_z(certificate.end_at)}",
            )
        )
    print_fields(found.display_name, fields)


@app.command("delete")
@click.argument("application")
@tenant_option
@json_option
@click.pass_context
def delete(ctx: click.Context, application: str, tenant: str | None, as_json: bool) -> None:
    """Delete an app registration, its credentials and its service principals."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    removed = platform.directory.delete_application(tenant=t.id, app=application)
    if as_json:
        print_json(application_json(removed))
        return
    click.echo(f"Deleted {removed.display_name} (appId {removed.app_id}).")
