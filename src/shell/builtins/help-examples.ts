// Get-Help examples of the commands whose definition has none: the shell's
// own commands (below), and the catalogs the command sets register. A command
// that declares its own examples keeps them.

import type { CommandSpec } from '../command.js';

export type Example = { code: string; remarks: string };

const registered = new Map<string, Example[]>();

/** Adds examples by command name (case-insensitive); a later catalog replaces an earlier one's entry. */
export function registerExamples(catalog: Record<string, Example[]>): void {
  for (const [name, examples] of Object.entries(catalog)) registered.set(name.toLowerCase(), examples);
}

/** The examples Get-Help shows for a command. */
export function examplesOf(spec: CommandSpec): Example[] {
  if (spec.examples?.length) return spec.examples;
  return registered.get(spec.name.toLowerCase()) ?? BUILTIN_EXAMPLES[spec.name.toLowerCase()] ?? [];
}

export const BUILTIN_EXAMPLES: Record<string, Example[]> = Object.fromEntries(
  Object.entries({
    'Clear-Host': [{ code: 'Clear-Host', remarks: 'Clears the screen (alias cls).' }],
    'ConvertTo-SecureString': [
      { code: '$password = ConvertTo-SecureString "P@ssw0rd!" -AsPlainText -Force', remarks: 'Makes a SecureString from text, for -Password parameters (the text stays in the history only if typed at the prompt).' },
    ],
    'ForEach-Object': [
      { code: 'Get-Queue | ForEach-Object { "$($_.Identity): $($_.MessageCount)" }', remarks: 'Writes one line per queue.' },
      { code: 'Get-SendConnector | ForEach-Object { $_.MaxMessageSize.Value.ToMB() }', remarks: 'The size limit of each Send connector in megabytes (alias %).' },
    ],
    'Format-List': [
      { code: 'Get-SendConnector "To Internet" | Format-List', remarks: 'Shows every property of the connector, one per line.' },
      { code: 'Get-Queue | Format-List Identity,Status,MessageCount,LastError', remarks: 'Shows only these properties (alias fl).' },
    ],
    'Format-Table': [
      { code: 'Get-ReceiveConnector | Format-Table Identity,Bindings,Enabled -AutoSize', remarks: 'A table with these columns, sized to their contents (alias ft).' },
      { code: 'Get-Queue | Format-Table Identity,@{Name="Messages";Expression={$_.MessageCount}}', remarks: 'A calculated column.' },
    ],
    'Get-Command': [
      { code: 'Get-Command *Connector*', remarks: 'Lists the commands whose name contains Connector.' },
      { code: 'Get-Command -Verb Get', remarks: 'Lists the Get commands.' },
    ],
    'Get-Credential': [{ code: '$cred = Get-Credential', remarks: 'Asks for a user name and a password and keeps them in $cred (for -AuthenticationCredential).' }],
    'Get-Date': [{ code: 'Get-MessageTrackingLog -Start (Get-Date).AddHours(-1)', remarks: 'The tracking events of the last hour.' }],
    'Get-Help': [
      { code: 'Get-Help Get-Queue -Examples', remarks: 'The examples of a command.' },
      { code: 'Get-Help Set-ReceiveConnector -Parameter RemoteIPRanges', remarks: 'What one parameter takes.' },
    ],
    'Get-Member': [{ code: 'Get-SendConnector | Get-Member', remarks: 'The type and the properties of the objects Get-SendConnector writes (alias gm).' }],
    'Measure-Object': [
      { code: 'Get-Message -Queue EDGE01\\contoso.com | Measure-Object', remarks: 'Counts the messages of the queue.' },
      { code: 'Get-Queue | Measure-Object MessageCount -Sum', remarks: 'The number of messages in all queues.' },
    ],
    'New-Object': [{ code: '$cred = New-Object System.Management.Automation.PSCredential("mbxrelay", (Read-Host "Password" -AsSecureString))', remarks: 'Builds a credential without the Get-Credential dialog.' }],
    'Out-Host': [{ code: 'Get-Queue | Out-Host', remarks: 'Writes the queues to the screen.' }],
    'Out-Null': [{ code: 'New-AcceptedDomain Fabrikam -DomainName fabrikam.com | Out-Null', remarks: 'Discards the output of a command.' }],
    'Out-String': [{ code: '$text = Get-Queue | Out-String', remarks: 'The table as text, in a variable.' }],
    'Read-Host': [
      { code: '$name = Read-Host "Connector name"', remarks: 'Asks for a line of text.' },
      { code: '$secret = Read-Host "Password" -AsSecureString', remarks: 'Asks for a password without showing it.' },
    ],
    'Select-Object': [
      { code: 'Get-Queue | Select-Object Identity,MessageCount', remarks: 'Objects with only these properties (alias select).' },
      { code: 'Get-MessageTrackingLog -EventId FAIL | Select-Object -First 10', remarks: 'The first ten failures.' },
    ],
    'Sort-Object': [{ code: 'Get-Queue | Sort-Object MessageCount -Descending', remarks: 'The fullest queues first (alias sort).' }],
    'Where-Object': [
      { code: 'Get-Queue | Where-Object { $_.MessageCount -gt 0 }', remarks: 'Only the queues holding messages (alias ? or where).' },
      { code: 'Get-ReceiveConnector | Where-Object Enabled -eq $false', remarks: 'Only the disabled connectors.' },
    ],
    'Write-Host': [{ code: 'Write-Host "Queues checked"', remarks: 'Writes a line to the screen.' }],
    'Write-Output': [{ code: 'Write-Output "EDGE01"', remarks: 'Writes an object to the pipeline (alias echo).' }],
    'Write-Verbose': [{ code: 'Write-Verbose "Checking queues" -Verbose', remarks: 'Writes a VERBOSE: line when -Verbose is given.' }],
    'Write-Warning': [{ code: 'Write-Warning "The queue is growing"', remarks: 'Writes a WARNING: line.' }],
    'Write-Error': [{ code: 'Write-Error "The smart host is down"', remarks: 'Reports an error and goes on.' }],
    'Export-Csv': [{ code: 'Get-Queue | Export-Csv queues.csv -NoTypeInformation', remarks: 'Writes the queues to a CSV file.' }],
    'Import-Csv': [{ code: 'Import-Csv domains.csv | ForEach-Object { New-AcceptedDomain $_.Name -DomainName $_.Domain }', remarks: 'Creates an accepted domain per line of a CSV file.' }],
    'ConvertTo-Csv': [{ code: 'Get-Queue | Select-Object Identity,MessageCount | ConvertTo-Csv -NoTypeInformation', remarks: 'The queues as CSV lines.' }],
    'ConvertFrom-Csv': [{ code: '"Name,Domain`nFabrikam,fabrikam.com" | ConvertFrom-Csv', remarks: 'Objects from CSV text.' }],
    'ConvertTo-Json': [{ code: 'Get-Queue | Select-Object Identity,MessageCount | ConvertTo-Json', remarks: 'The queues as JSON.' }],
    'ConvertFrom-Json': [{ code: '\'{"Name":"Fabrikam"}\' | ConvertFrom-Json', remarks: 'An object from JSON text.' }],
    'ConvertTo-Html': [{ code: 'Get-Queue | Select-Object Identity,Status,MessageCount | ConvertTo-Html | Out-File queues.html', remarks: 'The queues as an HTML table in a file.' }],
    'Group-Object': [{ code: 'Get-MessageTrackingLog -Start (Get-Date).AddDays(-1) | Group-Object EventId', remarks: 'Counts the tracking events of the last day by event.' }],
    'Tee-Object': [{ code: 'Get-Queue | Tee-Object -FilePath queues.txt', remarks: 'Shows the queues and writes them to a file.' }],
    'Start-Sleep': [{ code: 'Start-Sleep -Seconds 30', remarks: 'Waits 30 seconds.' }],
    'Get-History': [{ code: 'Get-History', remarks: 'Lists the commands typed in this session (alias h).' }],
    'Invoke-History': [{ code: 'Invoke-History 3', remarks: 'Runs command 3 of the history again (alias r).' }],
    'Clear-History': [{ code: 'Clear-History', remarks: 'Empties the history of this session.' }],
    'Out-File': [{ code: 'Get-Queue | Out-File queues.txt', remarks: 'Writes the table to a file.' }],
    'Set-Content': [{ code: 'Set-Content notes.txt "Maintenance on MBX01"', remarks: 'Writes a file.' }],
    'Add-Content': [{ code: 'Add-Content notes.txt "Done"', remarks: 'Adds a line to a file.' }],
    'Get-Content': [{ code: 'Get-Content notes.txt', remarks: 'The lines of a file (alias cat, type).' }],
    'Test-Path': [{ code: 'Test-Path queues.csv', remarks: 'True when the file exists.' }],
    'Get-Alias': [{ code: 'Get-Alias', remarks: 'Lists the aliases (gm, ft, fl, ?, %...).' }],
  }).map(([k, v]) => [k.toLowerCase(), v]),
);
