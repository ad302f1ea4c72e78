"""Errors the stand-in answers with, shaped like a Databricks workspace's: ``{"error_code", "message"}``.

The HTTP status and ``error_code`` pairs are the ones the databricks-sdk maps to its exception classes
(``databricks.sdk.errors.platform``): 400 ``INVALID_PARAMETER_VALUE`` -> ``InvalidParameterValue``, 404
``RESOURCE_DOES_NOT_EXIST`` -> ``ResourceDoesNotExist`` (a ``NotFound``), 409 ``RESOURCE_ALREADY_EXISTS`` ->
``ResourceAlreadyExists``, 401 -> ``Unauthenticated``.
"""

from __future__ import annotations

from typing import Any

from lakealerts.errors import LakeAlertsError


class ApiError(LakeAlertsError):
    """Raised inside the stand-in to answer a request with a Databricks error body and HTTP status."""

    def __init__(self, status: int, error_code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_code = error_code

    def body(self) -> dict[str, Any]:
        """The JSON body a workspace sends for this error."""
        return {"error_code": self.error_code, "message": self.message}


def invalid(message: str) -> ApiError:
    """400 ``INVALID_PARAMETER_VALUE``: the payload or a parameter is wrong."""
    return ApiError(400, "INVALID_PARAMETER_VALUE", message)


def malformed(message: str) -> ApiError:
    """400 ``MALFORMED_REQUEST``: the body is not a JSON object at all."""
    return ApiError(400, "MALFORMED_REQUEST", message)


def not_found(message: str) -> ApiError:
    """404 ``RESOURCE_DOES_NOT_EXIST``: an unknown id or folder."""
    return ApiError(404, "RESOURCE_DOES_NOT_EXIST", message)


def already_exists(message: str) -> ApiError:
    """409 ``RESOURCE_ALREADY_EXISTS``: e.g. a second alert with the same display name in one folder."""
    return ApiError(409, "RESOURCE_ALREADY_EXISTS", message)


def unauthenticated(message: str) -> ApiError:
    """401 ``UNAUTHENTICATED``: no bearer token, or not the one the stand-in was started with."""
    return ApiError(401, "UNAUTHENTICATED", message)


def endpoint_not_found(method: str, path: str) -> ApiError:
    """404 ``ENDPOINT_NOT_FOUND``: a path (or method) the stand-in does not serve."""
    return ApiError(404, "ENDPOINT_NOT_FOUND", f"No API found for '{method} {path}'")
