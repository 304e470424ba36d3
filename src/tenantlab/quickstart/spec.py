"""What the quickstart document has a person click through, as one declarative tenant file.

Two tenants, as the document's two pivots:

- **Contoso** (workforce, `contoso.onmicrosoft.com`): `daemon-console-app` with a client secret
  and admin-consented Graph `User.Read.All` + `Application.Read.All` — the Python, Node, Java and
  .NET console daemons that list users and read their own registration.
- **Woodgrove** (external, `woodgrove.onmicrosoft.com`, authority `…/woodgrove.onmicrosoft.com`
  as MSAL expands `https://woodgrove.ciamlogin.com/`): the ToDo API registration and
  `ciam-daemon-app` with a client secret, a certificate, and admin consent to the API's two app
  roles and to the same Graph permissions.

Applied with `tenantlab.seed` (matching by domain, display name, role value, UPN), so a second
run changes nothing and reuses every id.
"""

from __future__ import annotations

from typing import Any

from tenantlab.seed import SeedSpec, parse_seed

WORKFORCE_DOMAIN = "contoso.onmicrosoft.com"
EXTERNAL_SUBDOMAIN = "woodgrove"
EXTERNAL_DOMAIN = f"{EXTERNAL_SUBDOMAIN}.onmicrosoft.com"
WORKFORCE_DAEMON = "daemon-console-app"
CIAM_DAEMON = "ciam-daemon-app"
TODO_API = "ciam-ToDoList-api"
SECRET_NAME = "quickstart"
SECRET_DAYS = 180
GRAPH = "https://graph.microsoft.com"
GRAPH_ROLES = ["User.Read.All", "Application.Read.All"]
TODO_ROLES = ["ToDoList.Read.All", "ToDoList.ReadWrite.All"]
TODO_SCOPES = ["ToDoList.Read", "ToDoList.ReadWrite"]

_WORKFORCE_USERS = [
    ("adele", "Adele", "Vance", "Retail Manager"),
    ("alex", "Alex", "Wilber", "Marketing Assistant"),
    ("megan", "Megan", "Bowen", "Auditor"),
    ("lee", "Lee", "Gu", "Director"),
    ("nestor", "Nestor", "Wilke", "Director of Operations"),
]
_CUSTOMERS = [
    ("ana", "Ana", "Bowman"),
    ("kai", "Kai", "Carter"),
    ("noor", "Noor", "Haddad"),
]


def _secret() -> dict[str, Any]:
    return {"displayName": SECRET_NAME, "days": SECRET_DAYS}


def _todo_api() -> dict[str, Any]:
    return {
        "displayName": TODO_API,
        "identifierUris": ["api://{appId}"],
        "requestedAccessTokenVersion": 2,
        "optionalClaims": {"accessToken": [{"name": "idtyp"}]},
        "roles": [
            {
                "value": "ToDoList.Read.All",
                "displayName": "Read all to-do lists",
                "description": "Allows the app to read every to-do list without a signed-in user.",
            },
            {
                "value": "ToDoList.ReadWrite.All",
                "displayName": "Read and write all to-do lists",
                "description": "Allows the app to read and write every to-do list.",
            },
        ],
        "scopes": [
            {"value": "ToDoList.Read", "displayName": "Read your to-do list"},
            {"value": "ToDoList.ReadWrite", "displayName": "Read and write your to-do list"},
        ],
    }


def quickstart_document() -> dict[str, Any]:
    graph_grant = {"resource": GRAPH, "roles": list(GRAPH_ROLES)}
    return {
        "tenants": [
            {
                "displayName": "Contoso",
                "domain": WORKFORCE_DOMAIN,
                "type": "workforce",
                "apps": [
                    {
                        "displayName": WORKFORCE_DAEMON,
                        "secrets": [_secret()],
                        "grants": [graph_grant],
                    }
                ],
                "users": [
                    {
                        "userPrincipalName": f"{alias}@{WORKFORCE_DOMAIN}",
                        "displayName": f"{given} {surname}",
                        "givenName": given,
                        "surname": surname,
                        "jobTitle": title,
                        "mail": f"{alias}@{WORKFORCE_DOMAIN}",
                    }
                    for alias, given, surname, title in _WORKFORCE_USERS
                ],
            },
            {
                "displayName": "Woodgrove",
                "domain": EXTERNAL_DOMAIN,
                "type": "external",
                "apps": [
                    _todo_api(),
                    {
                        "displayName": CIAM_DAEMON,
                        "secrets": [_secret()],
                        "grants": [
                            {"resource": TODO_API, "roles": list(TODO_ROLES)},
                            graph_grant,
                        ],
                    },
                ],
                "users": [
                    {
                        "userPrincipalName": f"{alias}@{EXTERNAL_DOMAIN}",
                        "displayName": f"{given} {surname}",
                        "givenName": given,
                        "surname": surname,
                        "mail": f"{alias}@{EXTERNAL_DOMAIN}",
                    }
                    for alias, given, surname in _CUSTOMERS
                ],
            },
        ]
    }


def quickstart_spec() -> SeedSpec:
    return parse_seed(quickstart_document(), "the quickstart's tenants")
