# Connector report: what an admin runs on an Edge server before a change
# window. Writes connectors.csv, connectors.json, summary.txt and mail.txt in
# the current directory.

$reportName = 'connectors'

function Get-ConnectorKind {
    param(
        [Parameter(Mandatory = $true)][string]$AddressSpace,
        [switch]$Short
    )
    $kind = switch -Regex ($AddressSpace) {
        '^SMTP:\*;' { 'Internet'; break }
        '\.contoso\.com;' { 'Internal'; break }
        default { 'Partner' }
    }
    if ($Short) { return $kind.Substring(0, 1) }
    return $kind
}

$rows = foreach ($c in Get-SendConnector) {
    $space = [string]($c.AddressSpaces | Select-Object -First 1)
    [pscustomobject]@{
        Name    = $c.Name
        Kind    = Get-ConnectorKind -AddressSpace $space
        Short   = Get-ConnectorKind $space -Short
        Enabled = $c.Enabled
    }
}

$rows | Sort-Object Name | Export-Csv -Path .\connectors.csv -NoTypeInformation
$rows | Select-Object Name, Kind | ConvertTo-Json | Set-Content .\connectors.json
'{0,-13}{1,-10}{2}' -f 'Name', 'Kind', 'Enabled' > .\summary.txt
foreach ($r in $rows) {
    '{0,-13}{1,-10}{2}' -f $r.Name, $r.Kind, $r.Enabled >> .\summary.txt
}

try {
    Get-SendConnector 'No Such Connector' -ErrorAction Stop
    'not reached'
}
catch {
    "Missing connector: $($_.CategoryInfo.Reason)"
}
finally {
    'Lookup done'
}
Get-SendConnector 'Also Missing' -ea 0
"Errors so far: $($Error.Count)"
$Error.Clear()

$sum = 0
$i = 0
while ($true) {
    $i++
    if ($i -gt 10) { break }
    if ($i % 2) { continue }
    $sum += $i
}
"Even sum: $sum"

foreach ($g in ($rows | Group-Object Kind | Sort-Object Name)) {
    '{0}: {1}' -f $g.Name, $g.Count
}

$when = [datetime]'2026-03-01 08:00'
$window = [timespan]'02:30:00'
'Window ends {0:yyyy-MM-dd HH:mm} ({1} minutes)' -f ($when + $window), $window.TotalMinutes

$body = @"
Report $reportName
Connectors: $($rows.Count)
"@
$body | Out-File .\mail.txt

Get-ReceiveConnector 'Nope' 2>&1 | ForEach-Object { "Captured: $($_.CategoryInfo.Category)" }
$enabled = 0
Get-SendConnector | ForEach-Object { if ($_.Enabled) { $enabled++ } }
"Enabled: $enabled"

Write-Error 'Queue check skipped: no service running'
exit 2
'never printed'
