"""`microsoft.graph.directoryAudit` (auditLogs/directoryAudits): one change to the tenant."""

from __future__ import annotations

from operator import attrgetter

from tenantlab.clock import iso_z
from tenantlab.directory.audits import LOGGED_BY
from tenantlab.graph.shapes._shape import Shape
from tenantlab.storage.schema import DirectoryAudit

DIRECTORY_AUDIT: Shape[DirectoryAudit] = Shape(
    "microsoft.graph.directoryAudit",
    {
        "id": attrgetter("id"),
        "category": attrgetter("category"),
        "correlationId": attrgetter("correlation_id"),
        "result": attrgetter("result"),
        "resultReason": attrgetter("result_reason"),
        "activityDisplayName": attrgetter("activity_display_name"),
        "activityDateTime": lambda a: iso_z(a.activity_at),
        "loggedByService": lambda a: LOGGED_BY,
        "operationType": attrgetter("operation_type"),
        "initiatedBy": attrgetter("initiated_by"),
        "targetResources": attrgetter("target_resources"),
        "additionalDetails": attrgetter("additional_details"),
    },
)
