// Get-Help examples of the cmdlets whose own definition has none: the
// everyday commands of queues, tracking, connectors, recipients, accounts and
// certificates, written for this server's names (EDGE01, MBX01, contoso.com).
// A cmdlet that declares its own examples keeps them.

import { registerExamples, type Example } from '../shell/builtins/help-examples.js';

export const EXAMPLES: Record<string, Example[]> = {
  'Get-Queue': [
    { code: 'Get-Queue', remarks: 'Lists the queues of this server: Submission, Unreachable, Poison when it holds messages, and one delivery queue per next hop.' },
    { code: 'Get-Queue -Filter "MessageCount -gt 100"', remarks: 'Lists the queues holding more than 100 messages.' },
    { code: 'Get-Queue -Filter "Status -eq \'Retry\'" | Format-List Identity,NextHopDomain,LastError,NextRetryTime', remarks: 'Shows why each queue in Retry cannot deliver, and when it tries again.' },
    { code: 'Get-Queue EDGE01\\contoso.com | Format-List', remarks: 'Shows every property of the queue of contoso.com on EDGE01.' },
    { code: 'Get-Queue -Exclude Internal', remarks: 'Lists only the queues to external destinations.' },
    { code: 'Get-TransportService | Get-Queue', remarks: 'Lists the queues of the server: the server object binds to -Server.' },
  ],
  'Suspend-Queue': [
    { code: 'Suspend-Queue EDGE01\\contoso.com', remarks: 'Stops delivery from the queue of contoso.com; new messages still enter it.' },
    { code: 'Suspend-Queue -Filter "NextHopDomain -eq \'fabrikam.com\'"', remarks: 'Suspends every queue to fabrikam.com.' },
  ],
  'Resume-Queue': [
    { code: 'Resume-Queue EDGE01\\contoso.com', remarks: 'Lets the suspended queue of contoso.com deliver again.' },
    { code: 'Resume-Queue -Filter "Status -eq \'Suspended\'"', remarks: 'Resumes every suspended queue.' },
  ],
  'Retry-Queue': [
    { code: 'Retry-Queue EDGE01\\contoso.com', remarks: 'Tries the queue of contoso.com now instead of waiting for its NextRetryTime.' },
    { code: 'Retry-Queue EDGE01\\Unreachable -Resubmit $true', remarks: 'Sends the messages of the Unreachable queue back to routing, after a connector or accepted domain was fixed.' },
  ],
  'Get-Message': [
    { code: 'Get-Message -Queue EDGE01\\contoso.com', remarks: 'Lists the messages waiting in the queue of contoso.com.' },
    { code: 'Get-Queue EDGE01\\contoso.com | Get-Message | Format-List Identity,FromAddress,Subject,LastError', remarks: 'The same through the pipeline: the queue binds to -Queue.' },
    { code: 'Get-Message -Filter "FromAddress -like \'*@fabrikam.com\'" -IncludeRecipientInfo | Format-List Identity,Subject,Recipients', remarks: 'Lists the messages from fabrikam.com with their recipients.' },
  ],
  'Suspend-Message': [
    { code: 'Suspend-Message EDGE01\\contoso.com\\1234', remarks: 'Holds message 1234 of the queue of contoso.com until Resume-Message.' },
    { code: 'Get-Message -Filter "Subject -eq \'Weekly report\'" | Suspend-Message', remarks: 'Holds every message with that subject.' },
  ],
  'Resume-Message': [
    { code: 'Resume-Message EDGE01\\contoso.com\\1234', remarks: 'Releases the suspended message 1234.' },
    { code: 'Resume-Message -Filter "Status -eq \'Suspended\'"', remarks: 'Releases every suspended message.' },
  ],
  'Remove-Message': [
    { code: 'Remove-Message EDGE01\\contoso.com\\1234 -WithNDR $false', remarks: 'Deletes message 1234 without a non-delivery report to its sender.' },
    { code: 'Remove-Message -Filter "FromAddress -eq \'spammer@fabrikam.com\'" -WithNDR $false -Confirm:$false', remarks: 'Deletes every message from that sender, without asking and without NDRs.' },
  ],
  'Export-Message': [
    { code: 'Suspend-Message EDGE01\\contoso.com\\1234; Export-Message EDGE01\\contoso.com\\1234 | AssembleMessage -Path /tmp/1234.eml', remarks: 'Writes the stored bytes of message 1234 to a file (the message must be suspended).' },
  ],
  AssembleMessage: [{ code: 'Export-Message EDGE01\\contoso.com\\1234 | AssembleMessage -Path /tmp/1234.eml', remarks: 'Writes the exported message to /tmp/1234.eml.' }],
  'Get-MessageTrackingLog': [
    { code: 'Get-MessageTrackingLog -Sender kim@fabrikam.com -Start (Get-Date).AddHours(-2)', remarks: 'Every event of the messages kim@fabrikam.com sent in the last two hours.' },
    { code: 'Get-MessageTrackingLog -MessageId "<a1b2c3@fabrikam.com>" | Format-Table Timestamp,EventId,Source,Recipients,RecipientStatus -AutoSize', remarks: 'The trail of one message on this server.' },
    { code: 'Get-MessageTrackingLog -EventId FAIL -Start "11/27/2026 08:00" -End "11/27/2026 18:00"', remarks: 'The recipients that failed during one working day.' },
    { code: 'Get-TransportService | Get-MessageTrackingLog -Recipients alice@contoso.com -EventId DELIVER', remarks: 'The deliveries to alice on the server: the server object binds to -Server.' },
  ],
  'Get-SendConnector': [
    { code: 'Get-SendConnector', remarks: 'Lists the Send connectors with their address spaces.' },
    { code: 'Get-SendConnector "To Internet" | Format-List Name,AddressSpaces,DNSRoutingEnabled,SmartHosts,MaxMessageSize', remarks: 'Shows how the connector sends mail.' },
    { code: 'Get-SendConnector "EDGE01\\To Internet"', remarks: 'The same connector named in the ServerName\\ConnectorName form.' },
    { code: '(Get-SendConnector "To Internet").MaxMessageSize.Value.ToMB()', remarks: "The connector's message size limit in megabytes." },
  ],
  'Set-SendConnector': [
    { code: 'Set-SendConnector "To Internet" -MaxMessageSize 35MB', remarks: "Raises the connector's message size limit to 35 MB." },
    { code: 'Set-SendConnector "To Internal Org" -SmartHosts @{Add="mbxserver03.contoso.com"}', remarks: 'Adds a smart host and keeps the others.' },
  ],
  'Remove-SendConnector': [{ code: 'Remove-SendConnector "To Partner"', remarks: 'Deletes the connector (after confirmation).' }],
  'Get-ReceiveConnector': [
    { code: 'Get-ReceiveConnector', remarks: 'Lists the Receive connectors with their bindings.' },
    { code: 'Get-ReceiveConnector "EDGE01\\From Internet" | Format-List Bindings,RemoteIPRanges,PermissionGroups,AuthMechanism', remarks: 'Shows who may connect to the connector and what they may do.' },
    { code: '(Get-ReceiveConnector "EDGE01\\From Internal Org").RemoteIPRanges | Format-Table', remarks: 'Shows each remote range with its bounds, mask and format.' },
  ],
  'Set-ReceiveConnector': [
    { code: 'Set-ReceiveConnector "EDGE01\\From Internet" -MaxMessageSize 36MB -ConnectionTimeout 00:05:00', remarks: 'Changes the size limit and the connection timeout.' },
    { code: 'Set-ReceiveConnector "EDGE01\\From Internal Org" -RemoteIPRanges @{Add="192.168.5.30"}', remarks: "Adds a sending server to the connector's remote ranges." },
  ],
  'Remove-ReceiveConnector': [{ code: 'Remove-ReceiveConnector "EDGE01\\Old relay"', remarks: 'Deletes the connector (after confirmation).' }],
  'Get-AcceptedDomain': [
    { code: 'Get-AcceptedDomain', remarks: 'Lists the domains this organization accepts mail for.' },
    { code: 'Get-AcceptedDomain | Format-List Name,DomainName,DomainType,Default', remarks: "Shows each domain's type and which one is the default." },
  ],
  'Set-AcceptedDomain': [
    { code: 'Set-AcceptedDomain Contoso -MakeDefault $true', remarks: 'Makes contoso.com the default domain (postmaster and DSN addresses).' },
    { code: 'Set-AcceptedDomain Fabrikam -DomainType InternalRelay', remarks: 'Relays fabrikam.com mail that has no recipient here.' },
  ],
  'Remove-AcceptedDomain': [{ code: 'Remove-AcceptedDomain Fabrikam', remarks: 'Stops accepting mail for the domain (after confirmation).' }],
  'Get-Mailbox': [
    { code: 'Get-Mailbox', remarks: 'Lists the mailboxes.' },
    { code: 'Get-Mailbox -Database DB1 | Format-Table Name,Alias,PrimarySmtpAddress', remarks: 'Lists the mailboxes of database DB1 with their addresses.' },
    { code: 'Get-Mailbox alice | Format-List', remarks: "Shows every property of alice's mailbox." },
  ],
  'Set-Mailbox': [
    { code: 'Set-Mailbox alice -EmailAddresses @{Add="a.smith@contoso.com"}', remarks: 'Gives alice another address.' },
    { code: 'Set-Mailbox alice -MaxReceiveSize 50MB -MaxSendSize 25MB', remarks: "Sets alice's own message size limits." },
  ],
  'New-Mailbox': [{ code: 'New-Mailbox -Name "Alice Smith" -Alias alice -UserPrincipalName alice@contoso.com -Database DB1 -Password (Read-Host "Password" -AsSecureString)', remarks: 'Creates the mailbox and its directory user in DB1.' }],
  'Remove-Mailbox': [{ code: 'Remove-Mailbox alice', remarks: 'Deletes the mailbox and its directory user (after confirmation).' }],
  'Get-MailboxStatistics': [
    { code: 'Get-MailboxStatistics alice', remarks: "Shows how many items alice's mailbox holds and their size." },
    { code: 'Get-Mailbox | Get-MailboxStatistics | Sort-Object TotalItemSize -Descending | Select-Object -First 5', remarks: 'The five largest mailboxes.' },
  ],
  'Get-Recipient': [
    { code: 'Get-Recipient', remarks: 'Lists every recipient: mailboxes and distribution groups.' },
    { code: 'Get-Recipient -RecipientType MailUniversalDistributionGroup', remarks: 'Lists only the distribution groups.' },
  ],
  'Get-DistributionGroup': [
    { code: 'Get-DistributionGroup', remarks: 'Lists the distribution groups.' },
    { code: 'Get-DistributionGroup Sales | Format-List Name,PrimarySmtpAddress,ManagedBy', remarks: "Shows the group's address and owners." },
  ],
  'New-DistributionGroup': [{ code: 'New-DistributionGroup -Name Sales -Alias sales -PrimarySmtpAddress sales@contoso.com -Members alice,bob', remarks: 'Creates the group with two members.' }],
  'Set-DistributionGroup': [{ code: 'Set-DistributionGroup Sales -RequireSenderAuthenticationEnabled $false', remarks: 'Lets senders outside the organization write to the group.' }],
  'Remove-DistributionGroup': [{ code: 'Remove-DistributionGroup Sales', remarks: 'Deletes the group (after confirmation).' }],
  'Get-DistributionGroupMember': [{ code: 'Get-DistributionGroupMember Sales', remarks: 'Lists the members of the group.' }],
  'Add-DistributionGroupMember': [{ code: 'Add-DistributionGroupMember Sales -Member carol', remarks: 'Adds carol to the group.' }],
  'Remove-DistributionGroupMember': [{ code: 'Remove-DistributionGroupMember Sales -Member carol', remarks: 'Removes carol from the group.' }],
  'New-MailboxDatabase': [{ code: 'New-MailboxDatabase -Name DB2 -Server MBX01', remarks: 'Creates database DB2 on MBX01.' }],
  'Get-MailboxDatabase': [
    { code: 'Get-MailboxDatabase', remarks: 'Lists the mailbox databases and their servers.' },
    { code: 'Get-MailboxDatabase -Server MBX01 | Format-List Name,Server,EdbFilePath', remarks: 'Shows the databases of MBX01.' },
  ],
  'Remove-MailboxDatabase': [{ code: 'Remove-MailboxDatabase DB2', remarks: 'Deletes the empty database DB2 (after confirmation).' }],
  'Get-ExchangeCertificate': [
    { code: 'Get-ExchangeCertificate', remarks: 'Lists the certificates with their thumbprints, services and subjects.' },
    { code: 'Get-ExchangeCertificate | Format-List Thumbprint,Subject,CertificateDomains,Services,NotAfter', remarks: 'Shows the names each certificate carries and when it expires.' },
  ],
  'New-ExchangeCertificate': [{ code: 'New-ExchangeCertificate -SubjectName "CN=edge01.contoso.net" -DomainName edge01.contoso.net,mail.contoso.com -Services SMTP', remarks: 'Creates a self-signed certificate for SMTP with two names.' }],
  'Enable-ExchangeCertificate': [{ code: 'Enable-ExchangeCertificate -Thumbprint 5113AE0233A72FCCB75D1D5A7EC6A2F3A37A7D6E -Services SMTP', remarks: 'Makes the certificate the one STARTTLS presents.' }],
  'Import-ExchangeCertificate': [
    { code: 'Import-ExchangeCertificate -FileData ([System.IO.File]::ReadAllBytes(\'/tmp/edge01.pfx\')) -Password (Read-Host "PFX password" -AsSecureString)', remarks: 'Imports a certificate and its key from a PFX file.' },
  ],
  'Remove-ExchangeCertificate': [{ code: 'Remove-ExchangeCertificate -Thumbprint 5113AE0233A72FCCB75D1D5A7EC6A2F3A37A7D6E', remarks: 'Deletes the certificate (after confirmation).' }],
  'Get-ADUser': [
    { code: 'Get-ADUser edgeauth', remarks: 'Shows the directory user edgeauth.' },
    { code: 'Get-ADUser -Filter * | Format-Table SamAccountName,Enabled', remarks: 'Lists every directory user.' },
  ],
  'New-ADUser': [{ code: 'New-ADUser -Name edgeauth -AccountPassword (Read-Host "Password" -AsSecureString) -Enabled $true', remarks: 'Creates the account an Edge server logs in with.' }],
  'Remove-ADUser': [{ code: 'Remove-ADUser edgeauth', remarks: 'Deletes the directory user (after confirmation).' }],
  'Enable-ADAccount': [{ code: 'Enable-ADAccount edgeauth', remarks: 'Lets the user log in again.' }],
  'Disable-ADAccount': [{ code: 'Disable-ADAccount edgeauth', remarks: 'Stops the user from logging in.' }],
  'Unlock-ADAccount': [{ code: 'Unlock-ADAccount edgeauth', remarks: 'Unlocks a user locked out after too many bad passwords.' }],
  'Set-ADAccountPassword': [{ code: 'Set-ADAccountPassword edgeauth -Reset -NewPassword (Read-Host "New password" -AsSecureString)', remarks: 'Sets a new password for the user.' }],
  'Get-ADGroupMember': [{ code: 'Get-ADGroupMember "Exchange Servers"', remarks: 'Lists the members of the Exchange Servers group.' }],
  'Add-ADGroupMember': [{ code: 'Add-ADGroupMember "Exchange Servers" -Members edgeauth', remarks: 'Lets edgeauth send as an Exchange server.' }],
  'Remove-ADGroupMember': [{ code: 'Remove-ADGroupMember "Exchange Servers" -Members edgeauth', remarks: 'Removes edgeauth from the group.' }],
  'Get-ADDefaultDomainPasswordPolicy': [{ code: 'Get-ADDefaultDomainPasswordPolicy', remarks: 'Shows the lockout and password rules of the directory.' }],
  'Set-ADDefaultDomainPasswordPolicy': [
    { code: 'Set-ADDefaultDomainPasswordPolicy -Identity contoso.com -LockoutThreshold 5 -LockoutDuration 00:30:00 -LockoutObservationWindow 00:30:00', remarks: 'Locks an account for 30 minutes after 5 bad passwords.' },
  ],
  'Get-LocalUser': [{ code: 'Get-LocalUser', remarks: 'Lists the local accounts of this server.' }],
  'New-LocalUser': [{ code: 'New-LocalUser -Name mbxrelay -Password (Read-Host "Password" -AsSecureString) -Description "Mailbox servers relay through this Edge"', remarks: 'Creates the local account the Mailbox servers log in with.' }],
  'Set-LocalUser': [{ code: 'Set-LocalUser mbxrelay -Password (Read-Host "New password" -AsSecureString)', remarks: 'Sets a new password for the account.' }],
  'Remove-LocalUser': [{ code: 'Remove-LocalUser mbxrelay', remarks: 'Deletes the local account (after confirmation).' }],
  'Enable-LocalUser': [{ code: 'Enable-LocalUser mbxrelay', remarks: 'Lets the account log in again.' }],
  'Disable-LocalUser': [{ code: 'Disable-LocalUser mbxrelay', remarks: 'Stops the account from logging in.' }],
  'Get-LocalGroup': [{ code: 'Get-LocalGroup', remarks: 'Lists the local groups of this server.' }],
  'Get-LocalGroupMember': [{ code: 'Get-LocalGroupMember "Exchange Servers"', remarks: 'Lists the members of the local Exchange Servers group.' }],
  'Add-LocalGroupMember': [{ code: 'Add-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay', remarks: 'Lets mbxrelay send as an Exchange server.' }],
  'Remove-LocalGroupMember': [{ code: 'Remove-LocalGroupMember -Group "Exchange Servers" -Member mbxrelay', remarks: 'Removes mbxrelay from the group.' }],
  net: [
    { code: 'net user mbxrelay', remarks: 'Shows the local account mbxrelay.' },
    { code: 'net localgroup "Exchange Servers" mbxrelay /add', remarks: 'Adds mbxrelay to the local Exchange Servers group.' },
  ],
  'Test-Mailflow': [{ code: 'Test-Mailflow -TargetEmailAddress alice@contoso.com', remarks: 'Tests mail flow from this server to alice@contoso.com.' }],
  'Get-TransportConfig': [{ code: 'Get-TransportConfig | Format-List MaxSendSize,MaxReceiveSize,MaxRecipientEnvelopeLimit', remarks: "Shows the organization's message size and recipient limits." }],
  'Set-TransportConfig': [{ code: 'Set-TransportConfig -MaxSendSize 35MB -MaxReceiveSize 35MB', remarks: "Raises the organization's message size limits to 35 MB." }],
  'Get-ServerComponentState': [{ code: 'Get-ServerComponentState MBX01', remarks: 'Shows which components of MBX01 are active.' }],
  'Set-ServerComponentState': [
    { code: 'Set-ServerComponentState MBX01 -Component HubTransport -State Draining -Requester Maintenance', remarks: 'Starts maintenance: MBX01 refuses new mail and delivers what it holds.' },
    { code: 'Set-ServerComponentState MBX01 -Component HubTransport -State Active -Requester Maintenance', remarks: 'Ends maintenance.' },
  ],
  'Get-RemoteDomain': [{ code: 'Get-RemoteDomain | Format-List Name,DomainName,AutoReplyEnabled,NDREnabled,DeliveryReportEnabled', remarks: 'Shows what this organization sends to each remote domain.' }],
  'New-RemoteDomain': [{ code: 'New-RemoteDomain -Name Fabrikam -DomainName fabrikam.com', remarks: 'Adds settings of their own for mail to fabrikam.com.' }],
  'Set-RemoteDomain': [{ code: 'Set-RemoteDomain Default -AutoReplyEnabled $false', remarks: 'Sends no automatic replies to the Internet.' }],
  'Get-AdminAuditLogConfig': [
    { code: 'Get-AdminAuditLogConfig | Format-List AdminAuditLogEnabled,AdminAuditLogAgeLimit,AdminAuditLogCmdlets', remarks: 'Shows whether state-changing cmdlets are recorded, and for how long entries are kept.' },
  ],
  'Remove-RemoteDomain': [{ code: 'Remove-RemoteDomain Fabrikam -Confirm:$false', remarks: 'Removes the settings for fabrikam.com; its mail follows the Default remote domain again.' }],
  'Redirect-Message': [{ code: 'Redirect-Message -Server mbx01.contoso.com -Target mbx02.contoso.com', remarks: 'Moves the messages waiting on MBX01 to MBX02, before MBX01 goes into maintenance.' }],
};

/** Hands the catalog to Get-Help (for the cmdlets that declare no examples). */
export function registerHelpExamples(): void {
  registerExamples(EXAMPLES);
}
