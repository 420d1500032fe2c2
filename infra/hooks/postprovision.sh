#!/bin/sh
# azd postprovision: what the templates cannot do, prepared from their outputs (azd exports them as variables).
# 1. the Exchange Online set-up for the pool file (RBAC for Applications), written for an Exchange admin to run;
# 2. the AWS side: the CloudFormation parameters for infra/aws/rootmail-roles.yaml.
set -eu
python3 -m scripts.exchange_setup --pool "${ROOTMAIL_POOL_FILE:-config/pool.json}" \
  --app-id "$ROOTMAIL_IDENTITY_CLIENT_ID" --object-id "$ROOTMAIL_IDENTITY_PRINCIPAL_ID" \
  --out build/exchange-setup.ps1
echo "Exchange Online: review build/exchange-setup.ps1, then run it in PowerShell with -Apply (it runs -WhatIf by default)."
if [ -n "${AWS_FEDERATION_AUDIENCE:-}" ]; then
  echo "AWS (management account): deploy infra/aws/rootmail-roles.yaml with"
  echo "  EntraTenantId=$AZURE_TENANT_ID FederationAudience=$AWS_FEDERATION_AUDIENCE"
  echo "  FederationAppId=$AWS_FEDERATION_APP_ID ManagedIdentityPrincipalId=$ROOTMAIL_IDENTITY_PRINCIPAL_ID"
  echo "then: azd env set ROOTMAIL_ORG_ROLE_ARN <OrgReaderRoleArn>; azd env set ROOTMAIL_ADOPT_ROLE_ARN <AdopterRoleArn>;"
  echo "  azd env set ROOTMAIL_ROOT_ROLE_ARN <RootAccessRoleArn> (centralized root access enabled first); azd provision"
fi
