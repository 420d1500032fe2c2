"""The automation API's audience, proved: Entra ID issues RootMail's own app identity a client-credentials token for
each configured audience, and RootMail's validator (signature, issuer, audience, tenant, version) accepts it. The app
roles are not checked: the doctor's identity need not hold one. Read-only: the doctor asks for tokens, creates nothing.
"""
from __future__ import annotations

import re
from typing import Any

import jwt

from api.auth import Jwks, KeysUnavailable, TokenRejected, TokenValidator, v1_metadata_url
from doctor.report import Finding, failed, passed, skipped
from settings import Settings
from settings.parse import GUID

PART = "api"
_AADSTS = re.compile(r"AADSTS(\d+)")
# Entra ID's refusals of a client-credentials token for the API (entra-docs identity-platform/reference-error-codes.md)
_REFUSALS = {
    "500011": "the API's registration has no service principal in this tenant, or ROOTMAIL_API_AUDIENCE names no "
              "registration: check the GUID is the API registration's Application (client) ID; expose the API "
              "(an Application ID URI and app roles) and create its service principal: "
              "az ad sp create --id <api client id>",
    "501051": "the API requires app role assignment: assign RootMail's Graph app a role of the API, or leave "
              "`Assignment required` off (the doctor's identity needs no role to prove the audience)",
}


async def check(context: Any, tenant: str, metadata_url: str) -> list[Finding]:
    """One finding per configured audience: the token Entra issues when a client names it, judged as RootMail would."""
    settings: Settings = context.settings
    credential, own = context.graph_credential, False
    if credential is None:
        why = _unusable(settings)
        if why:
            return [skipped(PART, "Entra ID issues tokens RootMail accepts", why)]
        from mail.graph.client import credential_from  # azure-identity loads only when a credential is built

        options = {"transport": context.entra_transport} if context.entra_transport else {}
        credential, own = credential_from(settings.graph_tenant_id, settings.graph_client_id,
                                          settings.graph_client_secret, settings.graph_certificate,
                                          settings.graph_authority, **options), True
    validator = TokenValidator(Jwks(context.http, metadata_url, tenant), settings.api_audiences, tenant,
                               v1=Jwks(context.http, v1_metadata_url(metadata_url), tenant))
    try:
        return [await _one(credential, validator, settings, tenant, audience) for audience in settings.api_audiences]
    finally:
        if own:
            await credential.close()


def _unusable(settings: Settings) -> str:
    """Why RootMail has no app credential the doctor may use for a client-credentials token ('' when it has one)."""
    if not (settings.graph_tenant_id and settings.graph_client_id):
        return ("no app credential to ask Entra ID with: set ROOTMAIL_GRAPH_TENANT_ID, ROOTMAIL_GRAPH_CLIENT_ID and "
                "a secret or certificate (or run with the Graph mail source's managed identity)")
    if not (settings.graph_client_secret or settings.graph_certificate or settings.mail_source.startswith("graph")):
        return "no app credential to ask Entra ID with: set ROOTMAIL_GRAPH_CLIENT_SECRET or ROOTMAIL_GRAPH_CERTIFICATE"
    return ""


async def _one(credential: Any, validator: TokenValidator, settings: Settings, tenant: str, audience: str) -> Finding:
    what = f"a token Entra ID issues for {audience}/.default is accepted"
    try:
        token = (await credential.get_token(f"{audience}/.default")).token
    except Exception as error:  # azure-identity raises several types; the AADSTS code in the message says which
        text = " ".join(str(error).split())[:300]
        code = _AADSTS.search(text)
        return failed(PART, what, f"Entra ID refused: {text or type(error).__name__}",
                      _REFUSALS.get(code.group(1) if code else "", "check the API registration and "
                                    "ROOTMAIL_API_AUDIENCE (its Application (client) ID)"))
    claims = _claims(token)
    seen = f"ver {claims.get('ver')}, aud {claims.get('aud')}, iss {claims.get('iss')}"
    try:
        await validator.caller(f"Bearer {token}")
    except KeysUnavailable:
        return failed(PART, what, f"Entra ID issued {seen}, but the tenant's signing keys could not be fetched",
                      "see the metadata and signing key checks above")
    except TokenRejected as rejected:
        return failed(PART, what, f"Entra ID issued {seen}; RootMail refuses it: {rejected}",
                      _fix(claims, settings, tenant))
    uri_too = any(not GUID.fullmatch(a) for a in settings.api_audiences)
    note = "" if claims.get("ver") == "2.0" or uri_too else (
        "; v1.0 tokens carry the resource the pipeline asks for: one asking for the Application ID URI needs it in "
        "ROOTMAIL_API_AUDIENCE too, or set accessTokenAcceptedVersion: 2 in the API registration's manifest")
    return passed(PART, what, f"v{claims.get('ver')} token, aud {claims.get('aud')}{note}")


def _claims(token: str) -> dict[str, Any]:
    """What Entra issued, read without verifying, only to say what it was (never the token itself)."""
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except jwt.PyJWTError:
        return {}
    return claims if isinstance(claims, dict) else {}


def _fix(claims: dict[str, Any], settings: Settings, tenant: str) -> str:
    """The one setting (or manifest property) that makes RootMail accept what Entra issues for its API."""
    ver, aud, tid = (str(claims.get(name, "")) for name in ("ver", "aud", "tid"))
    if tid and tid.lower() != tenant.lower():
        return f"the API's tokens come from tenant {tid}: set ROOTMAIL_API_TENANT_ID={tid}"
    if ver not in ("1.0", "2.0"):
        return "set accessTokenAcceptedVersion: 2 in the API registration's manifest"
    if aud not in settings.api_audiences:  # the client id Entra puts in aud, and the URIs pipelines may ask for
        uris = [a for a in settings.api_audiences if not GUID.fullmatch(a) and a != aud]
        return f"set ROOTMAIL_API_AUDIENCE={','.join((aud, *uris))} (the API registration's Application (client) ID)"
    return ("check ROOTMAIL_API_TENANT_ID and ROOTMAIL_API_METADATA_URL against the tenant that issues the API's "
            "tokens, or set accessTokenAcceptedVersion: 2 in the API registration's manifest")
