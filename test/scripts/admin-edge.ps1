# A routine Edge admin script: report on connectors and queues, fix what is off,
# and keep the reports as files (run with: gatehouse shell --data DIR -f admin-edge.ps1).
param([string]$ReportDir = 'reports')

function Get-Size {
    param([Parameter(Mandatory)][string]$Name)
    $c = Get-ReceiveConnector $Name -ErrorAction Stop
    return $c.MaxMessageSize.ToMB()
}

function Test-Connector([string]$Name) {
    try {
        Get-SendConnector $Name -ErrorAction Stop | Out-Null
        return $true
    } catch {
        Write-Host ("missing: {0} ({1})" -f $Name, $_.CategoryInfo.Reason)
        return $false
    } finally {
        $script:checked++
    }
}

$checked = 0
New-Item -ItemType Directory -Path $ReportDir -Force | Out-Null

# Queues through the pipeline, first (a configuration change makes the service route waiting mail
# again): every message of the smart host's queue
$queue = Get-TransportService | Get-Queue | Where-Object { $_.DeliveryType -eq 'SmartHostConnectorDelivery' }
"queue to $($queue.NextHopDomain): $($queue.Status), $($queue.MessageCount) messages"
$messages = Get-Queue $queue.Identity | Get-Message | Sort-Object Subject
$messages | ForEach-Object { "message: $($_.Subject)" }
$messages | Select-Object Subject, FromAddress, Status | Export-Csv -Path "$ReportDir/messages.csv" -NoTypeInformation

# New-* write the object they made
$fabrikam = New-SendConnector -Name "To Fabrikam" -Usage Partner -AddressSpaces fabrikam.example -DNSRoutingEnabled $true
"created: $($fabrikam.Name) ($($fabrikam.Usage), {0})" -f $fabrikam.AddressSpaces[0].Domain

foreach ($name in 'To Internet', 'To Fabrikam', 'To Nowhere') {
    $found = Test-Connector $name
    if ($found -eq $true) { "present: $name" }
}
"checked $checked connectors"

# Values behave as Exchange's types do
$size = Get-Size "From Internet"
"From Internet takes up to $size MB"
$rc = Get-ReceiveConnector "From Internet"
"inactivity timeout: {0} minutes" -f $rc.ConnectionInactivityTimeout.TotalMinutes
$rc.RemoteIPRanges | ForEach-Object { "range {0} to {1}" -f $_.LowerBound, $_.UpperBound }

# Classify the Send connectors
$counts = @{ Internet = 0; Other = 0 }
foreach ($s in Get-SendConnector | Sort-Object Name) {
    switch -Wildcard ($s.Name) {
        'To Internet*' { $counts.Internet += 1 }
        default { $counts.Other++ }
    }
}
"internet: {0}, other: {1}" -f $counts.Internet, $counts.Other

# A loop with break and continue
$n = 0
while ($true) {
    $n++
    if ($n -eq 2) { continue }
    if ($n -gt 4) { break }
    "pass $n"
}

# Reports as files
Get-SendConnector | Sort-Object Name | Select-Object Name, Usage, DNSRoutingEnabled | Export-Csv "$ReportDir/send-connectors.csv" -NoTypeInformation
"report written" > "$ReportDir/summary.txt"
"connectors: $((Get-SendConnector).Count)" >> "$ReportDir/summary.txt"
Get-SendConnector "No Such Connector" 2>&1 >> "$ReportDir/errors.txt"
$lines = Get-Content "$ReportDir/summary.txt"
"summary has $($lines.Count) lines; errors file exists: $(Test-Path "$ReportDir/errors.txt")"

# A maintenance window, as dates and spans
$start = [datetime]"2026-12-12 22:00"
$window = [timespan]"02:30:00"
"window: {0:yyyy-MM-dd HH:mm} to {1:HH:mm} ({2} minutes)" -f $start, $start.Add($window), $window.TotalMinutes
for ($i = 3; $i -ge 1; $i--) { "countdown $i" }
$note = @"
Edge $((Get-TransportService).Name): $((Get-SendConnector).Count) Send connectors
"@
$note.Trim()

# Clean up, without asking
Remove-SendConnector "To Fabrikam" -Confirm:$false
"left: " + ((Get-SendConnector | Sort-Object Name | ForEach-Object { $_.Name }) -join ', ')
"errors recorded: $($Error.Count), last: $($Error[0].CategoryInfo.Reason)"
exit 0
