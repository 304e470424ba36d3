"""`microsoft.graph.user`: its properties declared once, rendered from ORM objects or from rows.

Each property is a `Field`: the `users` column it is read from (None: tenantlab does not store it,
and Graph's null or empty collection stands in), and how a stored value becomes JSON. From that
one table come the `Shape` (`USER`, over ORM objects: single users, the CLI) and the row plans
(`row_plan`) a page is built from: a page selects exactly the columns its properties need and
builds each object straight from the row, with no ORM object and nothing formatted that is then
dropped (most of a page's cost was just that).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter, itemgetter
from typing import Any

from tenantlab.clock import iso_z
from tenantlab.graph.shapes._shape import Selection, Shape, empty, null
from tenantlab.storage.schema import User


def _optional_iso(value: float | None) -> str | None:
    return None if value is None else iso_z(value)


@dataclass(frozen=True)
class Field:
    column: str | None = None  # the `users` column; None: not stored (null, or [] if a collection)
    to_json: Callable[[Any], Any] | None = None  # for values that are not JSON as stored
    collection: bool = False


STORED = Field
LIST = Field(collection=True)
NOT_STORED = Field()

# Every property v1.0 declares on microsoft.graph.user, alphabetically after `id` (a `$select` of
# any of them is valid; one not listed here is Graph's 400). Stored ones name their column.
USER_FIELDS: dict[str, Field] = {
    "id": STORED("id"),
    "aboutMe": NOT_STORED,
    "accountEnabled": STORED("account_enabled"),
    "ageGroup": NOT_STORED,
    "assignedLicenses": LIST,
    "assignedPlans": LIST,
    "authorizationInfo": NOT_STORED,
    "birthday": NOT_STORED,
    "businessPhones": STORED("business_phones", collection=True),
    "city": STORED("city"),
    "companyName": STORED("company_name"),
    "consentProvidedForMinor": NOT_STORED,
    "country": STORED("country"),
    "createdDateTime": STORED("created_at", to_json=_optional_iso),
    "creationType": NOT_STORED,
    "customSecurityAttributes": NOT_STORED,
    "deletedDateTime": NOT_STORED,
    "department": STORED("department"),
    "displayName": STORED("display_name"),
    "employeeHireDate": NOT_STORED,
    "employeeId": STORED("employee_id"),
    "employeeLeaveDateTime": NOT_STORED,
    "employeeOrgData": NOT_STORED,
    "employeeType": STORED("employee_type"),
    "externalUserState": NOT_STORED,
    "externalUserStateChangeDateTime": NOT_STORED,
    "faxNumber": STORED("fax_number"),
    "givenName": STORED("given_name"),
    "hireDate": NOT_STORED,
    "identities": STORED("identities", collection=True),
    "imAddresses": LIST,
    "interests": LIST,
    "isManagementRestricted": NOT_STORED,
    "isResourceAccount": NOT_STORED,
    "jobTitle": STORED("job_title"),
    "lastPasswordChangeDateTime": NOT_STORED,
    "legalAgeGroupClassification": NOT_STORED,
    "licenseAssignmentStates": LIST,
    "mail": STORED("mail"),
    "mailboxSettings": NOT_STORED,
    "mailNickname": STORED("mail_nickname"),
    "mobilePhone": STORED("mobile_phone"),
    "mySite": NOT_STORED,
    "officeLocation": STORED("office_location"),
    "onPremisesDistinguishedName": NOT_STORED,
    "onPremisesDomainName": NOT_STORED,
    "onPremisesExtensionAttributes": NOT_STORED,
    "onPremisesImmutableId": STORED("on_premises_immutable_id"),
    "onPremisesLastSyncDateTime": NOT_STORED,
    "onPremisesProvisioningErrors": LIST,
    "onPremisesSamAccountName": NOT_STORED,
    "onPremisesSecurityIdentifier": NOT_STORED,
    "onPremisesSyncEnabled": STORED("on_premises_sync_enabled"),
    "onPremisesUserPrincipalName": NOT_STORED,
    "otherMails": STORED("other_mails", collection=True),
    "passwordPolicies": NOT_STORED,
    "passwordProfile": NOT_STORED,  # write-only: Graph never returns the password
    "pastProjects": LIST,
    "postalCode": STORED("postal_code"),
    "preferredDataLocation": NOT_STORED,
    "preferredLanguage": STORED("preferred_language"),
    "preferredName": NOT_STORED,
    "provisionedPlans": LIST,
    "proxyAddresses": STORED("proxy_addresses", collection=True),
    "responsibilities": LIST,
    "schools": LIST,
    "securityIdentifier": NOT_STORED,
    "serviceProvisioningErrors": LIST,
    "showInAddressList": NOT_STORED,
    "signInActivity": NOT_STORED,
    "signInSessionsValidFromDateTime": NOT_STORED,
    "skills": LIST,
    "state": STORED("state"),
    "streetAddress": STORED("street_address"),
    "surname": STORED("surname"),
    "usageLocation": STORED("usage_location"),
    "userPrincipalName": STORED("user_principal_name"),
    "userType": STORED("user_type"),
}

# `GET /users` without $select returns exactly these, in this order (Graph's default set).
USER_DEFAULT_PROPERTIES = (
    "businessPhones",
    "displayName",
    "givenName",
    "jobTitle",
    "mail",
    "mobilePhone",
    "officeLocation",
    "preferredLanguage",
    "surname",
    "userPrincipalName",
    "id",
)


def _getter(field: Field) -> Callable[[Any], Any]:
    if field.column is None:
        return empty if field.collection else null
    read = attrgetter(field.column)
    if field.to_json is not None:
        convert = field.to_json
        return lambda user: convert(read(user))
    if field.collection:
        return lambda user: list(read(user) or ())
    return read


USER: Shape[User] = Shape(
    "microsoft.graph.user",
    {name: _getter(field) for name, field in USER_FIELDS.items()},
    default=USER_DEFAULT_PROPERTIES,
)


@dataclass(frozen=True)
class RowPlan:
    """How to build the selected properties from a row of `columns` (in that order)."""

    names: tuple[str, ...]
    columns: tuple[str, ...]
    # (property, row index or None for not stored, converter); empty when rows map 1:1.
    steps: tuple[tuple[str, int | None, Callable[[Any], Any] | None], ...]

    def build(self, rows: Sequence[Sequence[Any]]) -> list[dict[str, Any]]:
        names = self.names
        if not self.steps:  # every property is a column as stored: zip is all it takes
            return [dict(zip(names, row, strict=False)) for row in rows]
        getters = [(name, _row_getter(index, convert)) for name, index, convert in self.steps]
        return [{name: get(row) for name, get in getters} for row in rows]


def _row_getter(
    index: int | None, convert: Callable[[Any], Any] | None
) -> Callable[[Sequence[Any]], Any]:
    if index is None:
        return convert or null
    item = itemgetter(index)
    if convert is None:
        return item
    return lambda row: convert(item(row))


_PLANS: dict[Selection, RowPlan] = {}


def row_plan(selection: Selection) -> RowPlan:
    """The plan for a validated selection (None: the default set); plans are reused."""
    plan = _PLANS.get(selection)
    if plan is not None:
        return plan
    names = selection or USER_DEFAULT_PROPERTIES
    columns: list[str] = []
    steps: list[tuple[str, int | None, Callable[[Any], Any] | None]] = []
    simple = True
    for name in names:
        field = USER_FIELDS[name]
        if field.column is None:
            simple = False
            steps.append((name, None, empty if field.collection else null))
            continue
        columns.append(field.column)
        if field.to_json is not None:
            simple = False
        steps.append((name, len(columns) - 1, field.to_json))
    plan = RowPlan(tuple(names), tuple(columns), () if simple else tuple(steps))
    if len(_PLANS) < 256:  # selections are few in practice; a flood of odd ones is not cached
        _PLANS[selection] = plan
    return plan


def user_json(user: User, select: Sequence[str] | None = None) -> dict[str, Any]:
    """A user with Graph's default property set, or the `$select`ed properties (`id` always)."""
    return USER.render(user, USER.choose(select))
