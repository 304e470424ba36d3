"""`microsoft.graph.group`, and directory objects of any kind (a group's members, memberOf).

A collection of directory objects mixes types: each item carries `@odata.type` and its own
type's properties. A `$select` over such a collection names properties of any of the types
(`displayName,userPrincipalName`); each item gets the ones its type declares, and a name no type
declares is Graph's 400.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from operator import attrgetter
from typing import TYPE_CHECKING, Any

from tenantlab.clock import iso_z
from tenantlab.graph.errors import InvalidRequest
from tenantlab.graph.shapes._shape import Selection, Shape, empty, null
from tenantlab.graph.shapes.service_principals import (
    SERVICE_PRINCIPAL,
    service_principal_document,
)
from tenantlab.graph.shapes.users import USER
from tenantlab.storage.schema import Group

if TYPE_CHECKING:
    from tenantlab.directory import DirectoryObject
    from tenantlab.directory.service import Directory


def security_identifier(object_id: str) -> str:
    """The SID Entra gives a cloud object: S-1-12-1 and the GUID's bytes as four uint32s."""
    raw = uuid.UUID(object_id).bytes_le
    parts = [int.from_bytes(raw[i : i + 4], "little") for i in range(0, 16, 4)]
    return "S-1-12-1-" + "-".join(str(p) for p in parts)


def _proxy_addresses(group: Group) -> list[str]:
    return [f"SMTP:{group.mail}"] if group.mail else []


GROUP: Shape[Group] = Shape(
    "microsoft.graph.group",
    {
        "id": attrgetter("id"),
        "deletedDateTime": null,
        "classification": null,
        "createdDateTime": lambda g: iso_z(g.created_at),
        "creationOptions": empty,
        "description": attrgetter("description"),
        "displayName": attrgetter("display_name"),
        "expirationDateTime": null,
        "groupTypes": lambda g: list(g.group_types or ()),
        "isAssignableToRole": null,
        "mail": attrgetter("mail"),
        "mailEnabled": attrgetter("mail_enabled"),
        "mailNickname": attrgetter("mail_nickname"),
        "membershipRule": null,
        "membershipRuleProcessingState": null,
        "onPremisesDomainName": null,
        "onPremisesLastSyncDateTime": null,
        "onPremisesNetBiosName": null,
        "onPremisesSamAccountName": null,
        "onPremisesSecurityIdentifier": null,
        "onPremisesSyncEnabled": null,
        "preferredDataLocation": null,
        "preferredLanguage": null,
        "proxyAddresses": _proxy_addresses,
        "renewedDateTime": lambda g: iso_z(g.created_at),
        "resourceBehaviorOptions": empty,
        "resourceProvisioningOptions": empty,
        "securityEnabled": attrgetter("security_enabled"),
        "securityIdentifier": lambda g: security_identifier(g.id),
        "theme": null,
        "uniqueName": null,
        "visibility": attrgetter("visibility"),
        "onPremisesProvisioningErrors": empty,
        "serviceProvisioningErrors": empty,
        # Declared, returned only when selected (Exchange and licensing facts tenantlab lacks).
        "allowExternalSenders": null,
        "assignedLabels": empty,
        "assignedLicenses": empty,
        "autoSubscribeNewMembers": null,
        "hasMembersWithLicenseErrors": null,
        "hideFromAddressLists": null,
        "hideFromOutlookClients": null,
        "isArchived": null,
        "isManagementRestricted": null,
        "isSubscribedByMail": null,
        "licenseProcessingState": null,
        "unseenCount": null,
    },
    default=(
        "id", "deletedDateTime", "classification", "createdDateTime", "creationOptions",
        "description", "displayName", "expirationDateTime", "groupTypes", "isAssignableToRole",
        "mail", "mailEnabled", "mailNickname", "membershipRule", "membershipRuleProcessingState",
        "onPremisesDomainName", "onPremisesLastSyncDateTime", "onPremisesNetBiosName",
        "onPremisesSamAccountName", "onPremisesSecurityIdentifier", "onPremisesSyncEnabled",
        "preferredDataLocation", "preferredLanguage", "proxyAddresses", "renewedDateTime",
        "resourceBehaviorOptions", "resourceProvisioningOptions", "securityEnabled",
        "securityIdentifier", "theme", "uniqueName", "visibility",
        "onPremisesProvisioningErrors", "serviceProvisioningErrors",
    ),
)  # fmt: skip

_SHAPES: dict[str, Shape[Any]] = {
    "user": USER,
    "servicePrincipal": SERVICE_PRINCIPAL,
    "group": GROUP,
}
ODATA_TYPES = {kind: f"#microsoft.graph.{kind}" for kind in _SHAPES}

# A validated $select over directory objects: the selection per type (None: each type's default).
ObjectSelection = dict[str, Selection] | None


def choose_objects(select: Sequence[str] | None) -> ObjectSelection:
    """Check a `$select` over mixed directory objects: each name must be declared by one type."""
    if not select:
        return None
    chosen: dict[str, list[str]] = {kind: [] for kind in _SHAPES}
    for wanted in select:
        known = False
        for kind, shape in _SHAPES.items():
            name = next((n for n in shape.names if n.lower() == wanted.strip().lower()), None)
            if name is not None:
                chosen[kind].append(name)
                known = True
        if not known:
            raise InvalidRequest(
                f"Could not find a property named '{wanted.strip()}' on type "
                "'microsoft.graph.directoryObject'."
            )
    return {kind: tuple(dict.fromkeys([*names, "id"])) for kind, names in chosen.items()}


def directory_object_json(
    directory: Directory, obj: DirectoryObject, selection: ObjectSelection = None
) -> dict[str, Any]:
    """One member (or memberOf entry) as Graph lists it: `@odata.type`, then its properties."""
    chosen = None if selection is None else selection[obj.kind]
    body: dict[str, Any] = {"@odata.type": ODATA_TYPES[obj.kind]}
    if obj.kind == "servicePrincipal":
        body.update(service_principal_document(directory, obj.row, chosen))  # type: ignore[arg-type]
    else:
        body.update(_SHAPES[obj.kind].render(obj.row, chosen))
    return body


def group_json(group: Group, select: Sequence[str] | None = None) -> dict[str, Any]:
    return GROUP.render(group, GROUP.choose(select))
