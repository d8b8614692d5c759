# A routine Mailbox admin script: onboard users from a CSV, set quotas, check
# mail waiting for a partner, and keep a report (gatehouse shell --data DIR -f admin-mailbox.ps1).
param([string]$UserFile = 'new-users.csv', [string]$ReportDir = 'reports')

function New-Onboarded {
    param(
        [Parameter(Mandatory)][string]$Alias,
        [string]$Database = 'DB1',
        [switch]$Small
    )
    $password = ConvertTo-SecureString "Onboard-$Alias-2026!" -AsPlainText -Force
    $m = New-Mailbox -Name $Alias -Alias $Alias -UserPrincipalName "$Alias@contoso.com" -Database $Database -Password $password
    if ($Small) {
        Set-Mailbox $Alias -UseDatabaseQuotaDefaults $false -IssueWarningQuota 40MB -ProhibitSendQuota 45MB -ProhibitSendReceiveQuota 50MB
    }
    return $m
}

New-Item -ItemType Directory -Path $ReportDir -Force | Out-Null

# Mail held for the partner, first (a configuration change makes the service route waiting mail
# again): every message, through the pipeline
$held = Get-ExchangeServer | Get-Queue | Where-Object { $_.DeliveryType -eq 'SmartHostConnectorDelivery' }
$held | ForEach-Object { "queue to {0}: {1} messages ({2})" -f $_.NextHopDomain, $_.MessageCount, $_.Status }
$subjects = @()
Get-Queue $held.Identity | Get-Message | ForEach-Object { $subjects += $_.Subject }
"held: " + (($subjects | Sort-Object) -join '; ')

$users = Import-Csv $UserFile
"read $($users.Count) users from $UserFile"

$made = 0
foreach ($u in $users) {
    try {
        $m = New-Onboarded -Alias $u.Alias -Small:($u.Plan -eq 'small') -ErrorAction Stop
        $made++
        "created $($m.PrimarySmtpAddress) in $($m.Database)"
    } catch {
        Write-Host ("skipped {0}: {1}" -f $u.Alias, $_.CategoryInfo.Reason)
    }
}
"onboarded $made of $($users.Count)"

# Quotas are sizes with their own methods
$carol = Get-Mailbox carol
"carol: warning at {0} MB, send stops at {1} MB, defaults: {2}" -f $carol.IssueWarningQuota.Value.ToMB(), $carol.ProhibitSendQuota.Value.ToMB(), $carol.UseDatabaseQuotaDefaults

# OPATH filters, and a report per plan
$small = Get-Mailbox -Filter "UseDatabaseQuotaDefaults -eq `$false" | Sort-Object Alias
"on a small plan: " + (($small | ForEach-Object { $_.Alias }) -join ', ')
switch -Regex (($users | ForEach-Object { $_.Plan }) -join ' ') {
    'small' { "some users are on the small plan" }
    'large' { "some users are on the large plan" }
    default { "no known plan" }
}
Get-Mailbox -ResultSize Unlimited | Sort-Object Alias | Select-Object Alias, Database, UseDatabaseQuotaDefaults | Export-Csv "$ReportDir/mailboxes.csv" -NoTypeInformation

# New-* give back what they made
$db = New-MailboxDatabase -Name DB3 -Server MBX01
"database $($db.Name) on $($db.Server)"

# A do/until retry loop and a counter
$tries = 0
do {
    $tries++
    $mb = Get-Mailbox "nobody$tries" -ErrorAction SilentlyContinue
} until ($tries -ge 3 -or $mb)
"looked $tries times; found: $([bool]$mb)"

# Timing of the retry schedule
$ts = Get-TransportService MBX01
"retry every {0} minutes, give up after {1} hours" -f $ts.MessageRetryInterval.TotalMinutes, $ts.MessageExpirationTimeout.TotalHours

# Files
"onboarded: $made" | Out-File "$ReportDir/summary.txt"
Get-Mailbox dave 2>> "$ReportDir/errors.txt"
Add-Content -Path "$ReportDir/summary.txt" -Value "databases: $((Get-MailboxDatabase).Count)"
(Get-Content "$ReportDir/summary.txt") -join ' | '
"errors file written: $(Test-Path "$ReportDir/errors.txt")"

Remove-MailboxDatabase DB3 -Confirm:$false
"databases left: " + ((Get-MailboxDatabase | Sort-Object Name | ForEach-Object { $_.Name }) -join ', ')
exit 0
