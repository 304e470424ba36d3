"""Groups: the tenant's groups (security and Microsoft 365), and one group's members."""

from __future__ import annotations

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from tenantlab.portal import urls
from tenantlab.portal.views.tenants import tenant_context
from tenantlab.portal.web import (
    Portal,
    admin_page,
    flash,
    form_action,
    path_param,
    render,
    see_other,
    text_field,
)


def _groups_url(request: Request) -> str:
    return urls.tenant(path_param(request, "tenant_id"), "groups")


def _members_url(request: Request) -> str:
    group_id = path_param(request, "group_id")
    return urls.tenant(path_param(request, "tenant_id"), f"groups/{group_id}")


@admin_page
def groups_page(request: Request, portal: Portal) -> Response:
    context = tenant_context(portal, path_param(request, "tenant_id"))
    directory = portal.platform.directory
    groups = directory.list_groups(tenant=context["tenant"].id)
    counts = {g.id: len(directory.group_members(tenant=g.tenant_id, group=g.id)) for g in groups}
    return render(request, "groups.html", nav="groups", groups=groups, counts=counts, **context)


@form_action(back=_groups_url)
def create_group(request: Request, portal: Portal, form: FormData) -> Response:
    name = text_field(form, "display_name")
    unified = text_field(form, "kind", "security") == "microsoft365"
    group = portal.platform.directory.create_group(
        tenant=path_param(request, "tenant_id"),
        display_name=name,
        mail_nickname=text_field(form, "mail_nickname", "") or "".join(name.split()),
        description=text_field(form, "description", "") or None,
        group_types=["Unified"] if unified else [],
        mail_enabled=unified,
        security_enabled=not unified,
    )
    flash(request, "success", f"Created group {group.display_name}.")
    return see_other(urls.tenant(group.tenant_id, f"groups/{group.id}"))


@form_action(back=_groups_url)
def delete_group(request: Request, portal: Portal, form: FormData) -> Response:
    portal.platform.directory.delete_group(
        tenant=path_param(request, "tenant_id"), key=path_param(request, "group_id")
    )
    flash(request, "success", "Deleted the group.")
    return see_other(_groups_url(request))


@admin_page
def members_page(request: Request, portal: Portal) -> Response:
    context = tenant_context(portal, path_param(request, "tenant_id"))
    directory = portal.platform.directory
    tenant_id = context["tenant"].id
    group = directory.get_group(tenant=tenant_id, key=path_param(request, "group_id"))
    return render(
        request,
        "group_members.html",
        nav="groups",
        group=group,
        members=directory.group_members(tenant=tenant_id, group=group.id),
        owners=directory.group_owners(tenant=tenant_id, group=group.id),
        member_of=directory.member_of(tenant=tenant_id, key=group.id),
        **context,
    )


@form_action(back=_members_url)
def add_member(request: Request, portal: Portal, form: FormData) -> Response:
    added = portal.platform.directory.add_group_member(
        tenant=path_param(request, "tenant_id"),
        group=path_param(request, "group_id"),
        member=text_field(form, "member"),
    )
    flash(request, "success", f"Added {added.display_name}.")
    return see_other(_members_url(request))


@form_action(back=_members_url)
def remove_member(request: Request, portal: Portal, form: FormData) -> Response:
    portal.platform.directory.remove_group_member(
        tenant=path_param(request, "tenant_id"),
        group=path_param(request, "group_id"),
        member=path_param(request, "member_id"),
    )
    flash(request, "success", "Removed the member.")
    return see_other(_members_url(request))
