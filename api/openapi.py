"""The OpenAPI 3.1 description of /api/v1, served at /api/v1/openapi.json and checked by schemathesis in the tests."""
from __future__ import annotations

from typing import Any

from api import root_openapi
from api.auth import READ, READ_WRITE, TRANSFER
from api.problems import TYPES
from core.addresses.rules import ACCOUNT_NAME_MAX, ENVIRONMENTS, PURPOSE_MAX
from core.addresses.tags import KEY_MAX, MAX_TAGS, VALUE_MAX

JSON, PROBLEM = "application/json", "application/problem+json"
_ACCOUNT_ID = {"type": "string", "pattern": "^[0-9]{12}$", "description": "12-digit AWS account id",
               "examples": ["123456789012"]}
_ACCOUNT_ID_IN = {"type": "string", "pattern": "^[0-9]{4}-?[0-9]{4}-?[0-9]{4}$",
                  "description": "12-digit AWS account id; dashes between the groups of four are allowed"}
_TAG_KEY = {"type": "string", "minLength": 1, "maxLength": KEY_MAX, "pattern": r"^[\w.:/=+@-]([\w .:/=+@-]*[\w.:/=+@-])?$"}
_TAG_VALUE = {"type": "string", "maxLength": VALUE_MAX, "pattern": r"^[\w .:/=+@-]*$"}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _ok(description: str, schema: str) -> dict[str, Any]:
    return {"description": description, "content": {JSON: {"schema": _ref(schema)}}}


_ETAG = {"ETag": {"description": "The address's current version; send it in If-Match to change only that version.",
                  "schema": {"type": "string"}}}


def _address(description: str) -> dict[str, Any]:
    return {**_ok(description, "Address"), "headers": _ETAG}


_IF_MATCH = {"name": "If-Match", "in": "header", "required": False, "schema": {"type": "string"},
             "description": "Change the address only if it is still this version (its ETag), or `*`. Without it, "
                            "the change applies to whatever version is current."}


def _problems(*statuses: int) -> dict[str, Any]:
    out = {}
    for status in statuses:
        kinds = sorted(slug for slug, kind in TYPES.items() if kind.status == status)
        out[str(status)] = {"description": "; ".join(TYPES[k].title for k in kinds) + f" (problem types: "
                            f"{', '.join(kinds)})", "content": {PROBLEM: {"schema": _ref("Problem")}}}
    return out


def _operation(op_id: str, summary: str, role: str | None, responses: dict[str, Any], **extra: Any) -> dict[str, Any]:
    operation = {"operationId": op_id, "summary": summary, "responses": responses, **extra}
    if role is None:
        operation["security"] = []
    else:
        operation["description"] = (extra.get("description", "") + f"\n\nNeeds the app role {role}"
                                    + (f" (or {READ_WRITE})." if role == READ else ".")).strip()
        operation["responses"] = {**responses, **_problems(401, 403, 503)}
    return operation


_ADDRESS_PARAM = {"name": "address", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1},
                  "description": "The root e-mail address (case does not matter).", "example": "aws-0001@example.com"}


def _paths() -> dict[str, Any]:
    return {
        "/api/v1/addresses": {
            "post": _operation(
                "allocateAddress", "Allocate a new root e-mail address", READ_WRITE,
                {"201": _address("Allocated."),
                 "200": _address("This Idempotency-Key already allocated this address (a retry)."),
                 **_problems(400, 409, 413, 415, 422)},
                description="The same rules as `/rootmail new` in Teams. The owner is a Teams conversation RootMail "
                            "knows (it was installed or @mentioned there). Send an `Idempotency-Key` so a retried "
                            "pipeline step gets the same address.",
                parameters=[{"name": "Idempotency-Key", "in": "header", "required": False,
                             "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": "^[!-~]+$"},
                             "description": "Any unique string per allocation, such as a UUID; kept per caller."}],
                requestBody={"required": True, "content": {JSON: {"schema": _ref("NewAddress")}}}),
            "get": _operation(
                "listAddresses", "List addresses, oldest first (optionally those one requester asked for)", READ,
                {"200": _ok("A page of addresses.", "AddressPage"), **_problems(422)},
                parameters=[
                    {"name": "requester", "in": "query", "schema": {"type": "string"},
                     "description": "Object id of the app or user that allocated them (`requester.object_id`)."},
                    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": 100,
                                                                "default": 50}},
                    {"name": "continuation", "in": "query", "schema": {"type": "string"},
                     "description": "The `continuation` of the previous page."}]),
        },
        "/api/v1/addresses/{address}": {
            "parameters": [_ADDRESS_PARAM],
            "get": _operation("getAddress", "Get an address", READ,
                              {"200": _address("The address."),
                               "304": {"description": "Not modified: If-None-Match named the current version.",
                                       "headers": _ETAG},
                               **_problems(404)},
                              parameters=[{"name": "If-None-Match", "in": "header", "required": False,
                                           "schema": {"type": "string"},
                                           "description": "The ETag you hold: 304 if it is still current."}]),
            "patch": _operation(
                "updateAddress", "Link an AWS account id, change the owner, or change tags", READ_WRITE,
                {"200": _address("The updated address."), **_problems(400, 404, 409, 412, 413, 415, 422)},
                parameters=[_IF_MATCH],
                description="A JSON merge patch: fields left out stay as they are; in `tags`, null removes a tag. "
                            "An address is linked to one AWS account for good. Changing `owner_conversation_id` "
                            f"to another conversation also needs the app role {TRANSFER}; both conversations "
                            "are told.",
                requestBody={"required": True, "content": {
                    JSON: {"schema": _ref("AddressPatch")},
                    "application/merge-patch+json": {"schema": _ref("AddressPatch")}}}),
        },
        "/api/v1/addresses/{address}/retire": {
            "parameters": [_ADDRESS_PARAM],
            "post": _operation("retireAddress", "Retire an address (kept forever, never given out again)",
                               READ_WRITE, {"200": _address("The retired address."), **_problems(404, 409, 412, 422)},
                               parameters=[_IF_MATCH]),
        },
        "/api/v1/accounts/{account_id}": {
            "parameters": [{"name": "account_id", "in": "path", "required": True, "schema": _ACCOUNT_ID}],
            "get": _operation("getAddressByAccount", "Get the address linked to an AWS account", READ,
                              {"200": _address("The address."), **_problems(404, 422)}),
        },
        "/api/v1/openapi.json": {
            "get": _operation("openapi", "This document", None,
                              {"200": {"description": "OpenAPI 3.1", "content": {JSON: {"schema": {"type": "object"}}}}}),
        },
        "/api/v1/problems/{slug}": {
            "parameters": [{"name": "slug", "in": "path", "required": True, "schema": {"type": "string",
                                                                                      "enum": sorted(TYPES)}}],
            "get": _operation("problemType", "What a problem type means", None,
                              {"200": _ok("The problem type.", "ProblemType"), **_problems(404)}),
        },
    }


def _schemas() -> dict[str, Any]:
    text = {"type": "string"}
    return {
        "Address": {"type": "object", "required": [
            "address", "mailbox", "state", "account_id", "account_name", "environment", "purpose", "tags", "owner",
            "requester", "created_at", "updated_at", "links"], "properties": {
            "address": {"type": "string", "format": "email", "minLength": 6, "maxLength": 64},
            "mailbox": text, "state": {"enum": ["reserved", "active", "retired"]},
            "account_id": {"oneOf": [_ACCOUNT_ID, {"type": "null"}]},
            "account_name": text, "environment": text, "purpose": text,
            "tags": {"type": "object", "additionalProperties": text},
            "owner": {"type": "object", "required": ["conversation_id", "name", "team_id", "team_name"],
                      "properties": {k: text for k in ("conversation_id", "name", "team_id", "team_name")}},
            "requester": {"type": "object", "required": ["id", "name", "object_id"],
                          "properties": {k: text for k in ("id", "name", "object_id")}},
            "created_at": {"type": "string", "format": "date-time"},
            "updated_at": {"type": "string", "format": "date-time"},
            "links": {"type": "object", "required": ["self"], "properties": {"self": text}}}},
        "AddressPage": {"type": "object", "required": ["items", "continuation"], "properties": {
            "items": {"type": "array", "items": _ref("Address")},
            "continuation": {"type": ["string", "null"], "description": "Pass as `continuation` for the next page; "
                                                                        "null on the last page."}}},
        "NewAddress": {"type": "object", "additionalProperties": False,
                       "required": ["account_name", "environment", "purpose", "owner_conversation_id"], "properties": {
            "account_name": {"type": "string", "minLength": 1, "maxLength": ACCOUNT_NAME_MAX,
                             "examples": ["Payments Prod"]},
            "environment": {"enum": list(ENVIRONMENTS)},
            "purpose": {"type": "string", "minLength": 1, "maxLength": PURPOSE_MAX},
            "owner_conversation_id": {"type": "string", "minLength": 1, "examples": ["19:abc@thread.tacv2"],
                                      "description": "A Teams conversation RootMail was installed or @mentioned in."},
            "account_id": {"oneOf": [_ACCOUNT_ID_IN, {"type": "null"}]},
            "tags": _ref("Tags")}},
        "AddressPatch": {"type": "object", "additionalProperties": False, "properties": {
            "account_id": _ACCOUNT_ID_IN,
            "owner_conversation_id": {"type": "string", "minLength": 1},
            "tags": {"type": "object", "propertyNames": _TAG_KEY, "maxProperties": MAX_TAGS,
                     "additionalProperties": {"oneOf": [_TAG_VALUE, {"type": "null"}]}}}},
        "Tags": {"type": "object", "propertyNames": _TAG_KEY, "maxProperties": MAX_TAGS,
                 "additionalProperties": _TAG_VALUE},
        "Problem": {"type": "object", "required": ["type", "title", "status", "detail"], "properties": {
            "type": {"type": "string", "format": "uri-reference"}, "title": text, "status": {"type": "integer"},
            "detail": text, "instance": text,
            "errors": {"type": "object", "additionalProperties": text,
                       "description": "For invalid-request: each field and what is wrong with it."},
            "reference": {"type": "string", "description": "For internal-error: quote it to the admins."},
            "address": {"type": "string", "description": "For idempotency-key-reused: what the key allocated."}}},
        "ProblemType": {"type": "object", "required": ["type", "title", "status", "description"],
                        "properties": {"type": text, "title": text, "status": {"type": "integer"}, "description": text}},
    }


def document() -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "RootMail automation API", "version": "1.0.0",
                 "description": "Root e-mail addresses for AWS accounts, for account-vending pipelines. "
                                "Authenticate with an Entra ID access token for RootMail's API app registration "
                                f"holding the app role {READ} or {READ_WRITE} ({TRANSFER} as well to move an "
                                "address to another owner). Errors are RFC 9457 problem details."},
        "paths": _paths() | root_openapi.paths(_operation, _problems, _ref),
        "components": {"schemas": _schemas() | root_openapi.schemas(), "securitySchemes": {"entra": {
            "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
            "description": "Entra ID access token (client credentials for pipelines); app roles "
                           f"{READ}, {READ_WRITE} and {TRANSFER}."}}},
        "security": [{"entra": []}],
    }
