// `gatehouse shell`: opens a server folder and runs the Exchange Management
// Shell on it: a script (-c / -f), piped standard input statement by statement
// (prompts such as Get-Credential read the following lines), or an interactive
// terminal with line editing, history and tab completion.

import { homedir } from 'node:os';
import { join } from 'node:path';
import { serverCommands, serverViews } from '../cmdlets/index.js';
import { builtinCommands } from '../shell/builtins/index.js';
import { StreamHost, TerminalHost } from '../shell/host-console.js';
import { ShellSession, type ShellEnvironment } from '../shell/session.js';
import { openServer } from '../setup/server-folder.js';

export async function runShell(dir: string, script?: { text: string; source?: string }, options: { echo?: boolean } = {}): Promise<number> {
  const server = openServer(dir);
  try {
    const env: ShellEnvironment = { commands: [...builtinCommands, ...serverCommands(server)], views: serverViews, computerName: server.fqdn };
    if (process.stdin.isTTY && process.stdout.isTTY && !script) {
      const host = new TerminalHost({ historyFile: join(homedir(), '.gatehouse_history'), computerName: server.name });
      const session = new ShellSession(env, host);
      host.setCompleter((line) => session.completions(line));
      await session.runInteractiveLines();
      host.close();
      return 0;
    }
    const host = new StreamHost(process.stdin, process.stdout, process.stderr);
    const session = new ShellSession(env, host);
    const ok = script ? await session.runScript(script.text, script.source) : await session.runInteractiveLines(options);
    host.close();
    return session.exitCode ?? (ok ? 0 : 1);
  } finally {
    server.close();
  }
}
