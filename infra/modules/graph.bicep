// Entra ID through the Microsoft Graph Bicep extension (GA, types v1.0:1.0.0, Bicep >= 0.36.1;
// https://learn.microsoft.com/graph/templates/bicep/whats-new). It can declare applications, service principals
// and app role assignments (https://learn.microsoft.com/graph/templates/reference/overview), so it grants the
// directory permissions here. It cannot reach Exchange Online: Mail.ReadWrite is granted on the RootMail mailboxes
// only, by RBAC for Applications (the script scripts/exchange_setup.py writes), never tenant-wide here. The deployer
// needs an Entra role that may grant app roles (Privileged Role Administrator); public cloud only
// (https://learn.microsoft.com/graph/templates/limitations).
extension microsoftGraphV1

@description('Object (principal) id of RootMail\'s user-assigned managed identity.')
param identityPrincipalId string

@description('Unique name of the AWS federation application (its App ID URI ends with it).')
param federationName string

@description('Also grant GroupMember.Read.All (ROOTMAIL_ADMIN_GROUP / ROOTMAIL_REQUESTER_GROUP read from Graph).')
param readGroups bool = true

// Microsoft Graph's application permission ids (https://learn.microsoft.com/graph/permissions-reference)
var microsoftGraphAppId = '00000003-0000-0000-c000-000000000000'
var userReadAll = 'df021288-bdef-4463-88db-98f22de89214'
var groupMemberReadAll = '98830695-27a2-44f7-8c18-0c3ebc9698f6'

resource microsoftGraph 'Microsoft.Graph/servicePrincipals@v1.0' existing = {
  appId: microsoftGraphAppId
}

// proxyAddresses of the shared mailboxes are directory data: RBAC for Applications cannot scope it
resource userRead 'Microsoft.Graph/appRoleAssignedTo@v1.0' = {
  appRoleId: userReadAll
  principalId: identityPrincipalId
  resourceId: microsoftGraph.id
}

resource groupRead 'Microsoft.Graph/appRoleAssignedTo@v1.0' = if (readGroups) {
  appRoleId: groupMemberReadAll
  principalId: identityPrincipalId
  resourceId: microsoftGraph.id
}

// The audience of RootMail's tokens for AWS STS (aws/entra.py). Access token version left at its default (1): the
// issuer is then https://sts.windows.net/<tenant>/, what infra/aws/rootmail-roles.yaml trusts. The URI form
// api://<tenant id>/<name> is one Entra accepts without a verified domain.
resource federation 'Microsoft.Graph/applications@v1.0' = {
  displayName: 'RootMail AWS federation'
  uniqueName: federationName
  signInAudience: 'AzureADMyOrg'
  identifierUris: ['api://${tenant().tenantId}/${federationName}']
}

resource federationPrincipal 'Microsoft.Graph/servicePrincipals@v1.0' = {
  appId: federation.appId
}

output federationAudience string = 'api://${tenant().tenantId}/${federationName}'
output federationAppId string = federation.appId
