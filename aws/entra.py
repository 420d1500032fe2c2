"""Entra ID tokens for RootMail's managed identity, as the web identity AWS STS exchanges for a role's credentials.

The token is asked for the AWS federation application's App ID URI (ROOTMAIL_AWS_WEB_IDENTITY_AUDIENCE). That
application keeps Entra's default access token version 1.0 (requestedAccessTokenVersion null), so the token reads
iss https://sts.windows.net/<tenant>/, sub = oid = the identity's object (principal) id, appid = its client id, and
aud = the App ID URI used in the request or the application's client id: the claims table says a v1.0 `aud` "can be
the client ID or the resource URI used in the request", so the roles' trust accepts exactly those two, both ours
(https://learn.microsoft.com/entra/identity-platform/access-tokens, "Token formats", and the claims reference).
Why not v2.0: v2 tokens carry `azp`, and IAM documents that its `:aud` condition key then reads `azp` instead of
`aud` (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_iam-condition-keys.html, "aud"; written
for Google, silent for other OIDC providers). v1 tokens have no `azp`, so the question never arises.
"""
from __future__ import annotations

import logging
from typing import Any

import jwt
from botocore.exceptions import CredentialRetrievalError

logger = logging.getLogger(__name__)

PROVIDER = "entra-managed-identity"


class ManagedIdentityToken:
    """A TokenSource (aws.credentials). `credential` (an azure.core TokenCredential) may be injected; by default the
    managed identity, named by its client id: with a user-assigned identity azure-identity must be told which one.
    azure-identity keeps the token and asks for a new one before it expires."""

    def __init__(self, audience: str, client_id: str = "", credential: Any = None):
        if credential is None:
            from azure.identity import ManagedIdentityCredential

            credential = ManagedIdentityCredential(client_id=client_id or None)
        self.scope = audience.rstrip("/") + "/.default"
        self._credential = credential
        self._seen: tuple[str, str, str] | None = None

    def __call__(self) -> str:
        from azure.core.exceptions import AzureError

        try:
            token = self._credential.get_token(self.scope).token
        except AzureError as error:
            # the message names the identity and the resource, never a token
            raise CredentialRetrievalError(provider=PROVIDER, error_msg=f"no Entra ID token for {self.scope}: "
                                           f"{type(error).__name__}: {str(error)[:300]}") from None
        self._note(token)
        return token

    def _note(self, token: str) -> None:
        """Log once which issuer, audience and subject AWS will see: what the IAM OIDC provider and the roles' trust
        policies must name. Claims only, read without verifying (AWS verifies); the token itself is never logged."""
        try:
            claims = jwt.decode(token, options={"verify_signature": False})
        except jwt.PyJWTError:
            logger.warning("the managed identity's token is not a JWT; AWS will refuse it")
            return
        seen = (str(claims.get("iss", "")), str(claims.get("aud", "")), str(claims.get("sub", "")))
        if seen != self._seen:
            self._seen = seen
            logger.info("AWS web identity", extra={"iss": seen[0], "aud": seen[1], "sub": seen[2]})
            if "azp" in claims:
                logger.warning("the token is a v2.0 token (it has azp): IAM reads :aud from azp; keep the AWS "
                               "federation application on access token version 1", extra={"aud": seen[1]})
