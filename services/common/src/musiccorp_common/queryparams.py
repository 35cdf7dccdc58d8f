"""Validated query parameters for list filters: malformed input is a 400 naming the parameter, never a 500."""

import uuid

from rest_framework.exceptions import ValidationError


def uuid_query_param(request, name: str) -> uuid.UUID | None:
    """The query parameter ``name`` as a UUID, None when absent or empty; 400 when it is not a UUID."""
    value = request.query_params.get(name)
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(value)
    except ValueError:
        raise ValidationError({name: [f"{value[:64]!r} is not a valid UUID."]}) from None
