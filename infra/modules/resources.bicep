// Everything RootMail runs on inside its resource group. Sources for each property that matters are cited inline;
// what only a real deployment can prove is listed in the README ("Deploy to Azure").
param location string
param token string
param tags object
param principalId string
param rootmailImageName string
param minReplicas int
param maxReplicas int
param cosmosCapacity string
param poolFile string
param allowedTenants string
param admins string
param adminGroup string
param adminConversation string
param awsOrgRoleArn string
param awsAdoptRoleArn string
param awsRootRoleArn string

var port = 8080 // ROOTMAIL_PORT below and the Dockerfile's; ingress, probes and the image agree (tests/unit/infra)
var appName = 'ca-rootmail-${token}'
var sealingKeySecret = 'rootmail-secret-key'
var awsAudience = 'api://${tenant().tenantId}/rootmail-aws-${token}' // modules/graph.bicep creates it
var keyless = !empty(awsOrgRoleArn) || !empty(awsAdoptRoleArn) || !empty(awsRootRoleArn)
// built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles)
var acrPull = '7f951dda-4ed3-4680-a7ca-43fe172d538d'
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
// Cosmos DB Built-in Data Contributor, a data-plane role of the account itself
// (https://learn.microsoft.com/azure/cosmos-db/nosql/security/reference-data-plane-roles)
var cosmosDataContributor = '00000000-0000-0000-0000-000000000002'

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-rootmail-${token}'
  location: location
  tags: tags
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: 'log-rootmail-${token}'
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  // checkov:skip=CKV_AZURE_139: Container Apps without a VNet pulls over the public endpoint; a private registry needs Premium and a VNet-integrated environment. Pulls need the identity (AcrPull), anonymous pull is off.
  // checkov:skip=CKV_AZURE_163: Image scanning is Microsoft Defender for Containers, a subscription-level plan: enable it there, not per registry.
  // checkov:skip=CKV_AZURE_166: Quarantine needs Premium and a scanner that releases images; the image is built from this repository by azd (ACR Tasks) and scanned by Defender when enabled.
  name: 'crrootmail${token}'
  location: location
  tags: tags
  sku: { name: 'Basic' }
  properties: {
    adminUserEnabled: false // the app pulls as its managed identity (AcrPull below)
    anonymousPullEnabled: false
  }
}

resource pull 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(registry.id, identity.id, acrPull)
  scope: registry
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', acrPull)
  }
}

// --- Cosmos DB for NoSQL: serverless, Entra ID only --------------------------------------------------------------
// disableLocalAuth: keys cannot be used at all, only Entra ID with the data-plane role below
// (https://learn.microsoft.com/azure/cosmos-db/how-to-setup-rbac, "Disable key-based authentication").
resource cosmos 'Microsoft.DocumentDB/databaseAccounts@2024-11-15' = {
  // checkov:skip=CKV_AZURE_99: A Container Apps environment without a VNet has no fixed egress address to allow; every request needs an Entra ID token with the data-plane role (keys are disabled). Add a private endpoint with a VNet-integrated environment if policy requires.
  // checkov:skip=CKV_AZURE_101: Same reason as CKV_AZURE_99: public endpoint, Entra ID only (disableLocalAuth).
  name: 'cosmos-rootmail-${token}'
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    consistencyPolicy: { defaultConsistencyLevel: 'Session' } // storage/cosmos/client.py: "Consistency"
    locations: [{ locationName: location, failoverPriority: 0, isZoneRedundant: false }]
    capabilities: cosmosCapacity == 'serverless' ? [{ name: 'EnableServerless' }] : []
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    minimalTlsVersion: 'Tls12'
    backupPolicy: { type: 'Continuous', continuousModeProperties: { tier: 'Continuous7Days' } }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-11-15' = {
  parent: cosmos
  name: 'rootmail'
  properties: {
    resource: { id: 'rootmail' }
    options: cosmosCapacity == 'serverless' ? {} : { throughput: 400 }
  }
}

// partition keys and indexing exactly as storage/cosmos/docs.py builds them (tests/unit/infra keeps them equal)
resource containers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-11-15' = [
  for container in loadJsonContent('../cosmos-containers.json'): {
    parent: database
    name: container.name
    properties: {
      resource: {
        id: container.name
        partitionKey: container.partitionKey
        indexingPolicy: container.indexingPolicy
      }
    }
  }
]

resource dataContributor 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-11-15' = {
  parent: cosmos
  name: guid(cosmos.id, identity.id, cosmosDataContributor)
  properties: {
    principalId: identity.properties.principalId
    roleDefinitionId: '${cosmos.id}/sqlRoleDefinitions/${cosmosDataContributor}'
    scope: cosmos.id
  }
}

// --- Key Vault: the sealing key, read by the identity ---------------------------------------------------------------
resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  // checkov:skip=CKV_AZURE_109: Container Apps reads Key Vault references from the environment's changing egress addresses, and Container Apps is not a trusted service that could bypass a firewall; access is RBAC only (Secrets User for the app identity).
  // checkov:skip=CKV_AZURE_189: Same reason as CKV_AZURE_109.
  name: 'kv-rm-${token}'
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: 90
    enablePurgeProtection: true // a deleted sealing key would make every sealed code unreadable
    publicNetworkAccess: 'Enabled'
    networkAcls: { defaultAction: 'Allow', bypass: 'AzureServices' }
  }
}

resource secretsUser 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, identity.id, keyVaultSecretsUser)
  scope: vault
  properties: {
    principalId: identity.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
  }
}

// The key is made once, in Azure, by a deployment script with its own identity (the app's may only read): never in
// a parameter, an azd .env file or a log. Re-running the deployment keeps the existing key.
resource keyMaker 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: 'id-rootmail-keymaker-${token}'
  location: location
  tags: tags
}

resource keyMakerOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, keyMaker.id, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: keyMaker.properties.principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
  }
}

resource deployerOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(principalId)) {
  name: guid(vault.id, principalId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'User'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
  }
}

resource sealingKey 'Microsoft.Resources/deploymentScripts@2023-08-01' = {
  name: 'rootmail-sealing-key'
  location: location
  tags: tags
  kind: 'AzureCLI'
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${keyMaker.id}': {} } }
  properties: {
    azCliVersion: '2.61.0'
    retentionInterval: 'PT1H'
    cleanupPreference: 'Always'
    timeout: 'PT10M'
    environmentVariables: [
      { name: 'VAULT', value: vault.name }
      { name: 'SECRET', value: sealingKeySecret }
    ]
    // 32 random bytes, base64 (ROOTMAIL_SECRET_KEY); --output none: az would echo the value it stored
    scriptContent: 'az keyvault secret show --vault-name "$VAULT" --name "$SECRET" --query id --output none 2>/dev/null || az keyvault secret set --vault-name "$VAULT" --name "$SECRET" --output none --value "$(head -c 32 /dev/urandom | base64)"'
  }
  dependsOn: [keyMakerOfficer]
}

// --- Container Apps -------------------------------------------------------------------------------------------------
resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: 'cae-rootmail-${token}'
  location: location
  tags: tags
  properties: {
    appLogsConfiguration: {
      destination: 'log-analytics'
      logAnalyticsConfiguration: {
        customerId: logs.properties.customerId
        sharedKey: logs.listKeys().primarySharedKey
      }
    }
  }
}

var publicUrl = 'https://${appName}.${environment.properties.defaultDomain}'
var settings = [
  // the bot is the managed identity (https://learn.microsoft.com/azure/bot-service/abs-quickstart, "App type")
  { name: 'MicrosoftAppType', value: 'UserAssignedMSI' }
  { name: 'MicrosoftAppId', value: identity.properties.clientId }
  { name: 'MicrosoftAppTenantId', value: tenant().tenantId }
  { name: 'ROOTMAIL_MANAGED_IDENTITY_CLIENT_ID', value: identity.properties.clientId }
  { name: 'ROOTMAIL_HOST', value: '0.0.0.0' }
  { name: 'ROOTMAIL_PORT', value: string(port) }
  { name: 'ROOTMAIL_STORE', value: 'cosmos' }
  { name: 'ROOTMAIL_COSMOS_ENDPOINT', value: cosmos.properties.documentEndpoint }
  { name: 'ROOTMAIL_COSMOS_DATABASE', value: database.name }
  { name: 'ROOTMAIL_POOL_FILE', value: poolFile }
  { name: 'ROOTMAIL_MAIL_SOURCE', value: 'graph' }
  { name: 'ROOTMAIL_GRAPH_TENANT_ID', value: tenant().tenantId }
  { name: 'ROOTMAIL_GRAPH_CLIENT_ID', value: identity.properties.clientId }
  { name: 'ROOTMAIL_GRAPH_PUBLIC_URL', value: publicUrl }
  { name: 'ROOTMAIL_AUTHSERV_IDS', value: 'exchange-online' }
  { name: 'ROOTMAIL_SECRET_KEY', secretRef: sealingKeySecret }
  { name: 'ROOTMAIL_LOG_FORMAT', value: 'json' }
  { name: 'ROOTMAIL_ALLOWED_TENANTS', value: empty(allowedTenants) ? tenant().tenantId : allowedTenants }
  { name: 'ROOTMAIL_ADMINS', value: admins }
  { name: 'ROOTMAIL_ADMIN_GROUP', value: adminGroup }
  { name: 'ROOTMAIL_ADMIN_CONVERSATION', value: adminConversation }
  { name: 'ROOTMAIL_ORG_ROLE_ARN', value: awsOrgRoleArn }
  { name: 'ROOTMAIL_ADOPT_ROLE_ARN', value: awsAdoptRoleArn }
  { name: 'ROOTMAIL_ROOT_ROLE_ARN', value: awsRootRoleArn }
  { name: 'ROOTMAIL_AWS_WEB_IDENTITY_AUDIENCE', value: keyless ? awsAudience : '' }
  // Teams allows an app 50 posts per second per tenant: each replica takes its share
  { name: 'ROOTMAIL_TEAMS_APP_RPS', value: string(max(1, 50 / maxReplicas)) }
]

resource app 'Microsoft.App/containerApps@2024-03-01' = {
  name: appName
  location: location
  tags: union(tags, { 'azd-service-name': 'rootmail' })
  identity: { type: 'UserAssigned', userAssignedIdentities: { '${identity.id}': {} } }
  properties: {
    managedEnvironmentId: environment.id
    configuration: {
      activeRevisionsMode: 'Single'
      ingress: {
        external: true
        targetPort: port
        transport: 'http'
        allowInsecure: false // HTTP is redirected to HTTPS
      }
      registries: [{ server: registry.properties.loginServer, identity: identity.id }]
      // a Key Vault reference read with the identity (https://learn.microsoft.com/azure/container-apps/manage-secrets)
      secrets: [{ name: sealingKeySecret, keyVaultUrl: '${vault.properties.vaultUri}secrets/${sealingKeySecret}', identity: identity.id }]
    }
    template: {
      containers: [
        {
          name: 'rootmail'
          image: empty(rootmailImageName) ? 'mcr.microsoft.com/k8se/quickstart:latest' : rootmailImageName
          resources: { cpu: json('0.5'), memory: '1Gi' }
          env: settings
          // https://learn.microsoft.com/azure/container-apps/health-probes: httpGet on the container's port
          probes: [
            { type: 'Liveness', httpGet: { path: '/healthz', port: port }, periodSeconds: 10, failureThreshold: 3 }
            { type: 'Readiness', httpGet: { path: '/readyz', port: port }, periodSeconds: 10, failureThreshold: 3 }
            { type: 'Startup', httpGet: { path: '/healthz', port: port }, periodSeconds: 5, failureThreshold: 24 }
          ]
        }
      ]
      scale: { minReplicas: minReplicas, maxReplicas: maxReplicas }
    }
  }
  dependsOn: [pull, secretsUser, sealingKey, dataContributor, containers]
}

// --- Azure Bot: single tenant, the managed identity as its app, Teams on ------------------------------------------
// msaAppType UserAssignedMSI with the identity's client and resource ids
// (https://learn.microsoft.com/azure/templates/microsoft.botservice/botservices)
resource bot 'Microsoft.BotService/botServices@2022-09-15' = {
  name: 'bot-rootmail-${token}'
  location: 'global'
  tags: tags
  kind: 'azurebot'
  sku: { name: 'S1' }
  properties: {
    displayName: 'RootMail'
    endpoint: '${publicUrl}/api/messages'
    msaAppId: identity.properties.clientId
    msaAppType: 'UserAssignedMSI'
    msaAppMSIResourceId: identity.id
    msaAppTenantId: tenant().tenantId
    disableLocalAuth: true
    publicNetworkAccess: 'Enabled'
  }
}

resource teams 'Microsoft.BotService/botServices/channels@2022-09-15' = {
  parent: bot
  name: 'MsTeamsChannel'
  location: 'global'
  properties: {
    channelName: 'MsTeamsChannel'
    properties: { isEnabled: true }
  }
}

output url string = publicUrl
output identityClientId string = identity.properties.clientId
output identityPrincipalId string = identity.properties.principalId
output registryLoginServer string = registry.properties.loginServer
output keyVaultName string = vault.name
