// RootMail on Azure, keyless: one user-assigned managed identity is the bot, reads Cosmos DB and Key Vault, reads
// mail through Microsoft Graph and signs in to AWS. `azd up` deploys this file (azure.yaml); README "Deploy to Azure".
targetScope = 'subscription'

@minLength(1)
@maxLength(40)
@description('azd environment name; names the resource group and every resource in it.')
param environmentName string

@minLength(1)
@description('Azure region for everything but the bot (Azure Bot is a global resource).')
param location string

@description('Object id of the person running azd (azd sets it); may manage the Key Vault secrets.')
param principalId string = ''

@description('Image the container app runs; azd sets it on deploy. Empty on the first provision: a placeholder.')
param rootmailImageName string = ''

@minValue(1)
@description('Replicas always running: RootMail keeps change-notification subscriptions and leases, so at least one.')
param minReplicas int = 1

@minValue(1)
@maxValue(30)
param maxReplicas int = 3

@description('Cosmos DB capacity mode: serverless (pay per request) or provisioned (400 RU/s shared by the database).')
@allowed(['serverless', 'provisioned'])
param cosmosCapacity string = 'serverless'

@description('ROOTMAIL_POOL_FILE inside the image: the pool file you keep in config/.')
param poolFile string = 'config/pool.json'

@description('ROOTMAIL_ALLOWED_TENANTS; empty: the tenant of this deployment.')
param allowedTenants string = ''

@description('ROOTMAIL_ADMINS: comma-separated Entra object ids.')
param admins string = ''

@description('ROOTMAIL_ADMIN_GROUP: Entra group object id of RootMail admins.')
param adminGroup string = ''

@description('ROOTMAIL_ADMIN_CONVERSATION: set after installing the app (the admin chat or channel id).')
param adminConversation string = ''

@description('ROOTMAIL_ORG_ROLE_ARN from infra/aws/rootmail-roles.yaml (OrgReaderRoleArn); empty: no sync.')
param awsOrgRoleArn string = ''

@description('ROOTMAIL_ADOPT_ROLE_ARN from infra/aws/rootmail-roles.yaml (AdopterRoleArn); empty: no adopt.')
param awsAdoptRoleArn string = ''

@description('ROOTMAIL_ROOT_ROLE_ARN from infra/aws/rootmail-roles.yaml (RootAccessRoleArn); empty: no root status or root tasks.')
param awsRootRoleArn string = ''

@description('Grant the Graph application permissions with the Microsoft Graph Bicep extension (needs a deployer who may grant them: Privileged Role Administrator). false: infra/hooks prints the commands instead.')
param grantGraphPermissions bool = true

var token = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName, app: 'rootmail' }

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: 'rg-${environmentName}'
  location: location
  tags: tags
}

module resources 'modules/resources.bicep' = {
  name: 'rootmail-resources'
  scope: rg
  params: {
    location: location
    token: token
    tags: tags
    principalId: principalId
    rootmailImageName: rootmailImageName
    minReplicas: minReplicas
    maxReplicas: maxReplicas
    cosmosCapacity: cosmosCapacity
    poolFile: poolFile
    allowedTenants: allowedTenants
    admins: admins
    adminGroup: adminGroup
    adminConversation: adminConversation
    awsOrgRoleArn: awsOrgRoleArn
    awsAdoptRoleArn: awsAdoptRoleArn
    awsRootRoleArn: awsRootRoleArn
  }
}

module graph 'modules/graph.bicep' = if (grantGraphPermissions) {
  name: 'rootmail-graph'
  scope: rg
  params: {
    identityPrincipalId: resources.outputs.identityPrincipalId
    federationName: 'rootmail-aws-${token}'
  }
}

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = resources.outputs.registryLoginServer
output ROOTMAIL_URL string = resources.outputs.url
output ROOTMAIL_GRAPH_PUBLIC_URL string = resources.outputs.url
output ROOTMAIL_BOT_APP_ID string = resources.outputs.identityClientId
output MicrosoftAppId string = resources.outputs.identityClientId
output ROOTMAIL_IDENTITY_CLIENT_ID string = resources.outputs.identityClientId
output ROOTMAIL_IDENTITY_PRINCIPAL_ID string = resources.outputs.identityPrincipalId
output AWS_FEDERATION_AUDIENCE string = grantGraphPermissions ? graph.outputs.federationAudience : ''
output AWS_FEDERATION_APP_ID string = grantGraphPermissions ? graph.outputs.federationAppId : ''
output ROOTMAIL_KEY_VAULT string = resources.outputs.keyVaultName
