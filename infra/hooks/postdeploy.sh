#!/bin/sh
# azd postdeploy: build the Teams app package for the bot (its app id is the managed identity's client id) and
# publish it to the organization's app catalog through Microsoft Graph (POST /appCatalogs/teamsApps, or a new
# appDefinition when RootMail is already there; https://learn.microsoft.com/graph/api/teamsapp-publish). Publishing
# needs the deployer to be a Teams administrator; without that the package is left for upload in Teams admin center.
set -eu
make package MicrosoftAppId="$ROOTMAIL_BOT_APP_ID"
package=build/rootmail-teams.zip
graph=https://graph.microsoft.com/v1.0/appCatalogs/teamsApps
existing=$(az rest --method get --uri "$graph?\$filter=externalId eq '$ROOTMAIL_BOT_APP_ID'" --query "value[0].id" --output tsv 2>/dev/null || true)
if [ -n "$existing" ]; then
  target="$graph/$existing/appDefinitions"
else
  target="$graph"
fi
if az rest --method post --uri "$target" --headers "Content-Type=application/zip" --body "@$package" --output none; then
  echo "Teams app published to your organization's catalog; install it in the team that asks for addresses."
else
  echo "Could not publish the Teams app (Teams administrator needed): upload $package in Teams admin center."
fi
echo "Then check the deployment: make doctor"
