// The interactive shell in a real terminal (tmux): a 20-line paste of the
// seed's commands runs every line, in order, each at its own prompt, with a
// bracketed paste and as a plain burst; a burst with Ctrl+A runs the line as
// drawn; the history file keeps no secrets (0600, one per server) while the
// session history keeps them; Ctrl+C at Get-Credential's User prompt stops
// the command and at the continuation prompt abandons the statement; Tab cycles through commands and completes enumeration values
// and object names; Ctrl+R finds earlier lines; exit, quit and Ctrl+D leave.

import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { BIN, gatehouse, scratchDir } from './harness/gatehouse.js';
import { seedCommands } from './harness/seed.js';
import { Terminal } from './harness/terminal.js';

const PROMPT = '[PS] EDGE01> ';
const PASSWORD = 'P@ss-word-1';

const seed = seedCommands().edge;
const seedLine = (start: string): string => {
  const line = seed.find((l) => l.startsWith(start));
  if (!line) throw new Error(`the seed has no line starting with ${start}`);
  return line;
};

/** 20 lines: the seed's Edge procedure (with the Get-Credential answers), then more work on its objects. */
const PASTE: { text: string; kind: 'statement' | 'continuation' | 'user' | 'password' }[] = [
  { text: seedLine('New-SendConnector -Name "To Internet"'), kind: 'statement' },
  { text: seedLine('$MailboxCredentials = Get-Credential'), kind: 'statement' },
  { text: 'mbxrelay', kind: 'user' },
  { text: PASSWORD, kind: 'password' },
  { text: seedLine('New-SendConnector -Name "To Internal Org"'), kind: 'statement' },
  { text: seedLine('Set-ReceiveConnector'), kind: 'statement' },
  { text: seedLine('New-ReceiveConnector'), kind: 'statement' },
  { text: seedLine('Get-SendConnector | Format-List'), kind: 'statement' },
  { text: seedLine('Get-ReceiveConnector | Format-List'), kind: 'statement' },
  { text: 'Set-SendConnector "To Internet" -MaxMessageSize 20MB', kind: 'statement' },
  { text: 'Set-ReceiveConnector "From Internet" -MaxMessageSize 25MB', kind: 'statement' },
  { text: 'Set-ReceiveConnector "From Internet" `', kind: 'statement' },
  { text: '  -Banner "220 edge01.contoso.net ready"', kind: 'continuation' },
  { text: 'Get-SendConnector "To Internet" | Format-List Name,MaxMessageSize', kind: 'statement' },
  { text: 'Get-ReceiveConnector "From Internet" | Format-List Name,MaxMessageSize,Banner', kind: 'statement' },
  { text: '$n = (Get-SendConnector | Measure-Object).Count', kind: 'statement' },
  { text: '"send connectors: $n"', kind: 'statement' },
  { text: 'Get-SendConnector | Format-Table Name,Enabled', kind: 'statement' },
  { text: 'Get-Queue', kind: 'statement' },
  { text: '"pasted line 20 ran"', kind: 'statement' },
];

/** What the terminal shows for each pasted line. */
function drawn(line: (typeof PASTE)[number]): string {
  switch (line.kind) {
    case 'statement':
      return PROMPT + line.text;
    case 'continuation':
      return '>> ' + line.text;
    case 'user':
      return 'User: ' + line.text;
    case 'password':
      return `Password for user mbxrelay: ${'*'.repeat(line.text.length)}`;
  }
}

/** The commands Get-History lists after the paste (a continued command is one entry). */
function historyLines(): string[] {
  const out: string[] = [];
  for (const l of PASTE) {
    if (l.kind === 'statement') out.push('H:' + l.text);
    else if (l.kind === 'continuation') out.push(l.text);
  }
  return out;
}

/** Finds each text after the previous one; the index past the last. */
function assertInOrder(screen: string, texts: string[], from = 0): number {
  let at = from;
  for (const text of texts) {
    const i = screen.indexOf(text, at);
    assert.ok(i >= 0, `expected, in order, ${JSON.stringify(text)} after offset ${at}; the terminal shows:\n${screen.slice(from)}`);
    at = i + text.length;
  }
  return at;
}

function lastLine(screen: string): string {
  const lines = screen.split('\n').filter((l) => l.trim() !== '');
  return lines[lines.length - 1] ?? '';
}

function count(screen: string, text: string): number {
  return screen.split(text).length - 1;
}

describe('the shell in a real terminal', () => {
  const dir = scratchDir('terminal');
  const terminals: Terminal[] = [];
  after(() => {
    for (const t of terminals) t.close();
    dir.remove();
  });

  async function edge(folder: string): Promise<string> {
    const data = join(dir.path, folder);
    const s = await gatehouse(['setup', '--role', 'EdgeTransport', '--name', 'EDGE01', '--fqdn', 'edge01.contoso.net', '--data', data]);
    assert.equal(s.code, 0, s.stderr);
    return data;
  }

  function shell(name: string, data: string, home: string): Terminal {
    const t = Terminal.start(dir.path, name, [process.execPath, BIN, 'shell', '--data', data], { HOME: home, TERM: 'xterm' });
    terminals.push(t);
    return t;
  }

  for (const bracketed of [true, false]) {
    it(`runs all 20 lines of a paste in order, each as drawn (${bracketed ? 'bracketed paste' : 'plain burst'})`, async () => {
      const name = bracketed ? 'paste-bracketed' : 'paste-burst';
      const t = shell(name, await edge(name), join(dir.path, `home-${name}`));
      await t.waitForText(PROMPT.trimEnd());
      t.paste(PASTE.map((l) => l.text).join('\n') + '\n', bracketed);
      let screen = await t.waitFor("the prompt after the 20th line's output", (s) => s.includes('\npasted line 20 ran\n' + PROMPT.trimEnd()));
      assert.equal(PASTE.length, 20);
      const end = assertInOrder(screen, PASTE.map(drawn));
      assert.ok(!screen.includes(PASSWORD), 'the pasted password was shown');
      // each command's own output, in order
      assertInOrder(screen, [
        'SmartHosts             : {mbxserver01.contoso.com, mbxserver02.contoso.com}',
        'Bindings       : {10.1.1.2:25}',
        'MaxMessageSize : 20 MB (20,971,520 bytes)',
        'Banner         : 220 edge01.contoso.net ready',
        'send connectors: 2',
        'To Internal Org    True',
        'EDGE01\\Submission',
        'pasted line 20 ran',
      ]);
      assert.ok(end > 0);

      // the session ran the commands in this order (a command is recorded once it has run)
      t.type('Get-History | ForEach-Object { "H:" + $_.CommandLine }');
      t.keys('Enter');
      screen = await t.waitFor('the history listing', (s) => s.includes('H:"pasted line 20 ran"\n'));
      const listing = screen.slice(screen.lastIndexOf('Get-History | ForEach-Object'));
      const listed = listing.split('\n').filter((l) => l.startsWith('H:') || l.startsWith('  -Banner'));
      assert.deepEqual(listed, historyLines());

      if (!bracketed) {
        // keys in one burst: what runs is what the line shows after Ctrl+A
        t.keys('et-Queue', 'C-a', 'G', 'Enter');
        screen = await t.waitFor('Get-Queue run from the burst', (s) => count(s, 'EDGE01\\Submission') === 2);
        assertInOrder(screen, [PROMPT + 'Get-Queue\n', 'Identity', 'EDGE01\\Submission'], screen.lastIndexOf('"pasted line 20 ran"\n'));
        assert.ok(!screen.includes('et-QueueG'));
      }
      t.keys('C-d');
      assert.equal(await t.waitForExit(), 0, 'Ctrl+D leaves the shell');
    });
  }

  it('keeps secrets out of the history file, stops Get-Credential on Ctrl+C, cycles with Tab, completes values, searches with Ctrl+R and leaves on exit', async () => {
    const data = await edge('history');
    const home = join(dir.path, 'home-history');
    const t = shell('history', data, home);
    await t.waitForText(PROMPT.trimEnd());

    t.type('Get-Queue');
    t.keys('Enter');
    await t.waitForText('EDGE01\\Submission');
    t.type('$p = ConvertTo-SecureString "Xyzzy-Plain-1" -AsPlainText -Force');
    t.keys('Enter');
    t.type('$apiKey = "k-98765"');
    t.keys('Enter');
    t.type('Write-Output "ordinary line"');
    t.keys('Enter');
    await t.waitForText('\nordinary line\n');

    // Ctrl+C at the User prompt stops Get-Credential; the shell goes on
    t.type('$c = Get-Credential');
    t.keys('Enter');
    await t.waitForText('User:');
    t.type('someone');
    t.keys('C-c');
    await t.waitFor('a new prompt after ^C', (s) => lastLine(s) === PROMPT.trimEnd());
    t.type('"c is null: $($null -eq $c)"');
    t.keys('Enter');
    await t.waitForText('\nc is null: True\n');

    // Ctrl+C at the continuation prompt abandons the whole statement
    t.type('Write-Output "abandoned" `');
    t.keys('Enter');
    await t.waitFor('the continuation prompt', (s) => lastLine(s) === '>>');
    t.keys('C-c');
    await t.waitFor('a new prompt after ^C', (s) => lastLine(s) === PROMPT.trimEnd());

    // Tab cycles through the candidates, Shift+Tab goes back
    t.type('Get-Rec');
    t.keys('Tab');
    await t.waitFor('the first candidate', (s) => lastLine(s) === PROMPT + 'Get-ReceiveConnector');
    t.keys('Tab');
    await t.waitFor('the second candidate', (s) => lastLine(s) === PROMPT + 'Get-Recipient');
    t.keys('BTab');
    await t.waitFor('the first candidate again', (s) => lastLine(s) === PROMPT + 'Get-ReceiveConnector');
    // an object name, in the quotes the admin opened
    t.type(' "Def');
    t.keys('Tab');
    await t.waitFor('the connector name', (s) => lastLine(s) === PROMPT + 'Get-ReceiveConnector "Default internal Receive connector EDGE01"');
    t.keys('C-u');
    // enumeration values, also after a comma
    t.type('Set-ReceiveConnector "Default internal Receive connector EDGE01" -PermissionGroups Anon');
    t.keys('Tab');
    await t.waitFor('AnonymousUsers', (s) => lastLine(s).endsWith('-PermissionGroups AnonymousUsers'));
    t.type(',ExchangeS');
    t.keys('Tab');
    await t.waitFor('ExchangeServers', (s) => lastLine(s).endsWith('-PermissionGroups AnonymousUsers,ExchangeServers'));
    t.keys('Enter');
    t.type('Get-ReceiveConnector | Format-List Name,PermissionGroups');
    t.keys('Enter');
    await t.waitForText('PermissionGroups : AnonymousUsers, ExchangeServers');

    // the session history has every command, the secret one too
    t.type('Get-History | ForEach-Object { "H:" + $_.CommandLine }');
    t.keys('Enter');
    let screen = await t.waitFor('the history listing', (s) => s.includes('H:Get-ReceiveConnector | Format-List Name,PermissionGroups\n'));
    assertInOrder(
      screen,
      ['H:Get-Queue\n', 'H:$p = ConvertTo-SecureString "Xyzzy-Plain-1" -AsPlainText -Force\n', 'H:$apiKey = "k-98765"\n', 'H:Write-Output "ordinary line"\n', 'H:$c = Get-Credential\n'],
      screen.lastIndexOf('Get-History | ForEach-Object'),
    );

    // Ctrl+R finds the line, Enter runs it
    t.keys('C-r');
    t.type('ordinary');
    await t.waitFor('the search', (s) => s.includes('bck-i-search: ordinary_'));
    screen = await t.waitFor('the found line', (s) => s.split('\n').includes(PROMPT + 'Write-Output "ordinary line"') && count(s, PROMPT + 'Write-Output "ordinary line"') === 2);
    t.keys('Enter');
    await t.waitFor('the line run again', (s) => count(s, '\nordinary line\n') === 2);

    assert.ok(!t.screen().includes('\nabandoned\n'), 'the abandoned statement ran');
    t.type('exit');
    t.keys('Enter');
    assert.equal(await t.waitForExit(), 0, 'exit leaves the shell');

    // the file: one per server, 0600 in a 0700 folder, without the sensitive lines
    const folder = join(home, '.gatehouse', 'history');
    const file = join(folder, 'EDGE01.txt');
    assert.equal(statSync(folder).mode & 0o777, 0o700);
    assert.equal(statSync(file).mode & 0o777, 0o600);
    const saved = readFileSync(file, 'utf8');
    for (const line of ['Get-Queue', 'Write-Output "ordinary line"', '$c = Get-Credential', 'Get-ReceiveConnector | Format-List Name,PermissionGroups', 'exit']) {
      assert.ok(saved.split('\n').includes(line), `${line} is missing from the history file:\n${saved}`);
    }
    for (const secret of ['Xyzzy', 'k-98765', 'apiKey', 'someone']) assert.ok(!saved.includes(secret), `the history file holds ${secret}:\n${saved}`);

    // a new session recalls the saved lines, not the secret ones; quit leaves. It warns about
    // the single history file of earlier versions.
    writeFileSync(join(home, '.gatehouse_history'), '$p = ConvertTo-SecureString "old" -AsPlainText -Force\n', { mode: 0o600 });
    const again = shell('history-again', data, home);
    await again.waitForText(PROMPT.trimEnd());
    assert.ok(again.screen().includes(`WARNING: ${join(home, '.gatehouse_history')} was written by an earlier version of gatehouse`), again.screen());
    again.keys('C-r');
    again.type('Xyzzy');
    await again.waitFor('a failed search', (s) => s.includes('failing bck-i-search: Xyzzy_'));
    again.keys('Escape', 'C-r');
    again.type('ordinary');
    await again.waitFor('the saved line', (s) => lastLine(s) === 'bck-i-search: ordinary_' && s.includes(PROMPT + 'Write-Output "ordinary line"'));
    again.keys('Escape');
    again.type('quit');
    again.keys('Enter');
    assert.equal(await again.waitForExit(), 0, 'quit leaves the shell');
  });
});
