"""`tenantlab group create|list|show|delete|member add|remove|list|role add`: groups, as Graph
lists them. A group is named by its object id, or by its unique display name or mailNickname;
a member by userPrincipalName (or the alias before @), object id, appId, or a group's or
service principal's name."""

from __future__ import annotations

from typing import Any

import click

from tenantlab.cli._common import (
    CommandGroup,
    json_option,
    json_option_saying,
    platform_from,
    print_fields,
    print_json,
    print_table,
    resolve_tenant,
    tenant_option,
)
from tenantlab.graph.shapes.groups import directory_object_json, group_json


@click.group(cls=CommandGroup)
def group() -> None:
    """Groups of a tenant: security and Microsoft 365 groups, their members."""


@click.group(cls=CommandGroup)
def member() -> None:
    """A group's members: users, service principals, other groups."""


group.add_command(member)


def _kind(g: Any) -> str:
    return "Microsoft 365" if "Unified" in g.group_types else "Security"


@group.command("create")
@click.argument("display_name")
@click.option("--mail-nickname", help="mailNickname (default: the name without spaces).")
@click.option("--description", help="Graph's description.")
@click.option(
    "--microsoft-365",
    "unified",
    is_flag=True,
    help="A Microsoft 365 group (groupTypes Unified, mail-enabled, with a mail address); "
    "default: a security group.",
)
@tenant_option
@json_option
@click.pass_context
def create(
    ctx: click.Context,
    display_name: str,
    mail_nickname: str | None,
    description: str | None,
    unified: bool,
    tenant: str | None,
    as_json: bool,
) -> None:
    """Create a security group (or, with --microsoft-365, a Microsoft 365 group)."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    created = platform.directory.create_group(
        tenant=t.id,
        display_name=display_name,
        mail_nickname=mail_nickname or "".join(display_name.split()),
        description=description,
        group_types=["Unified"] if unified else [],
        mail_enabled=unified,
        security_enabled=not unified,
    )
    if as_json:
        print_json(group_json(created))
        return
    print_fields(
        f"Created {_kind(created).lower()} group {created.display_name}",
        [
            ("id", created.id),
            ("mailNickname", created.mail_nickname),
            ("mail", created.mail or "-"),
        ],
    )


@group.command("list")
@tenant_option
@json_option
@click.pass_context
def list_(ctx: click.Context, tenant: str | None, as_json: bool) -> None:
    """List the tenant's groups."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    groups = platform.directory.list_groups(tenant=t.id)
    if as_json:
        print_json({"value": [group_json(g) for g in groups]})
        return
    print_table(
        f"Groups of {t.display_name}",
        ["display name", "kind", "mailNickname", "id"],
        [(g.display_name, _kind(g), g.mail_nickname, g.id) for g in groups],
    )


@group.command("show")
@click.argument("group_key", metavar="GROUP")
@tenant_option
@json_option
@click.pass_context
def show(ctx: click.Context, group_key: str, tenant: str | None, as_json: bool) -> None:
    """A group's properties, its member count and the groups it is in."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_group(tenant=t.id, key=group_key)
    if as_json:
        print_json(group_json(found))
        return
    members = platform.directory.group_members(tenant=t.id, group=found.id)
    parents = platform.directory.member_of(tenant=t.id, key=found.id)
    print_fields(
        f"{_kind(found)} group {found.display_name}",
        [
            ("id", found.id),
            ("mailNickname", found.mail_nickname),
            ("mail", found.mail or "-"),
            ("description", found.description or "-"),
            ("members", str(len(members))),
            ("member of", ", ".join(g.display_name for g in parents) or "-"),
        ],
    )


@group.command("delete")
@click.argument("group_key", metavar="GROUP")
@tenant_option
@json_option_saying("{id, displayName, deleted}")
@click.pass_context
def delete(ctx: click.Context, group_key: str, tenant: str | None, as_json: bool) -> None:
    """Delete a group (its memberships go with it)."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_group(tenant=t.id, key=group_key)
    platform.directory.delete_group(tenant=t.id, key=found.id)
    if as_json:
        print_json({"id": found.id, "displayName": found.display_name, "deleted": True})
        return
    click.echo(f"Deleted group {found.display_name} ({found.id}).")


@member.command("add")
@click.argument("group_key", metavar="GROUP")
@click.argument("member_key", metavar="MEMBER")
@tenant_option
@json_option
@click.pass_context
def member_add(
    ctx: click.Context, group_key: str, member_key: str, tenant: str | None, as_json: bool
) -> None:
    """Add a user, service principal or group to a group."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_group(tenant=t.id, key=group_key)
    added = platform.directory.add_group_member(tenant=t.id, group=found.id, member=member_key)
    if as_json:
        print_json(directory_object_json(platform.directory, added, None))
        return
    click.echo(f"Added {added.kind} {added.display_name} ({added.id}) to {found.display_name}.")


@member.command("remove")
@click.argument("group_key", metavar="GROUP")
@click.argument("member_key", metavar="MEMBER")
@tenant_option
@json_option_saying("{groupId, memberId, removed}")
@click.pass_context
def member_remove(
    ctx: click.Context, group_key: str, member_key: str, tenant: str | None, as_json: bool
) -> None:
    """Remove a member from a group."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_group(tenant=t.id, key=group_key)
    obj = platform.directory.get_directory_object(tenant=t.id, key=member_key)
    platform.directory.remove_group_member(tenant=t.id, group=found.id, member=obj.id)
    if as_json:
        print_json({"groupId": found.id, "memberId": obj.id, "removed": True})
        return
    click.echo(f"Removed {obj.kind} {obj.display_name} ({obj.id}) from {found.display_name}.")


@member.command("list")
@click.argument("group_key", metavar="GROUP")
@click.option("--transitive", is_flag=True, help="Include members of nested groups.")
@tenant_option
@json_option
@click.pass_context
def member_list(
    ctx: click.Context, group_key: str, transitive: bool, tenant: str | None, as_json: bool
) -> None:
    """A group's members (direct, or with --transitive through nested groups)."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_group(tenant=t.id, key=group_key)
    read = (
        platform.directory.transitive_group_members
        if transitive
        else platform.directory.group_members
    )
    members = read(tenant=t.id, group=found.id)
    if as_json:
        print_json({"value": [directory_object_json(platform.directory, m) for m in members]})
        return
    print_table(
        f"{'Transitive members' if transitive else 'Members'} of {found.display_name}",
        ["type", "display name", "id"],
        [(m.kind, m.display_name, m.id) for m in members],
    )


@group.command("role")
@click.argument("group_key", metavar="GROUP")
@click.argument("resource")
@click.argument("role")
@tenant_option
@json_option
@click.pass_context
def role(
    ctx: click.Context, group_key: str, resource: str, role: str, tenant: str | None, as_json: bool
) -> None:
    """Assign RESOURCE's app role ROLE (value or id, allowed for users) to a group: its direct
    members' delegated tokens for RESOURCE (appId or identifierUri) carry it."""
    platform = platform_from(ctx)
    t = resolve_tenant(platform, tenant)
    found = platform.directory.get_group(tenant=t.id, key=group_key)
    assignment = platform.directory.assign_app_role_to_group(
        tenant=t.id, group=found.id, resource=resource, role=role
    )
    if as_json:
        from tenantlab.graph.shapes.permissions import app_role_assignment_json

        sp = platform.directory.get_service_principal(tenant=t.id, key=assignment.resource_id)
        print_json(app_role_assignment_json(assignment, principal=found, resource=sp))
        return
    click.echo(f"Assigned {role} of {resource} to group {found.display_name} ({assignment.id}).")
