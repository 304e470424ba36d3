"""`microsoft.graph.user`: the properties tenantlab models, with Graph's default set for lists."""

from __future__ import annotations

from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from tenantlab.clock import iso_z
from tenantlab.graph.shapes._shape import Shape, null
from tenantlab.storage.schema import User

USER: Shape[User] = Shape(
    "microsoft.graph.user",
    {
        "id": attrgetter("id"),
        "accountEnabled": attrgetter("account_enabled"),
        "businessPhones": lambda u: list(u.business_phones),
        "createdDateTime": lambda u: iso_z(u.created_at),
        "creationType": null,
        "deletedDateTime": null,
        "displayName": attrgetter("display_name"),
        "externalUserState": null,
        "givenName": attrgetter("given_name"),
        "jobTitle": attrgetter("job_title"),
        "mail": attrgetter("mail"),
        "mailNickname": attrgetter("mail_nickname"),
        "mobilePhone": attrgetter("mobile_phone"),
        "officeLocation": attrgetter("office_location"),
        "preferredLanguage": attrgetter("preferred_language"),
        "surname": attrgetter("surname"),
        "userPrincipalName": attrgetter("user_principal_name"),
        "userType": attrgetter("user_type"),
    },
    # `GET /users` without $select returns exactly these, in this order (Graph's default set).
    default=(
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
    ),
)
USER_DEFAULT_PROPERTIES = USER.default


def user_json(user: User, select: Sequence[str] | None = None) -> dict[str, Any]:
    """A user with Graph's default property set, or the `$select`ed properties (`id` always)."""
    return USER.render(user, USER.choose(select))
