// `gatehouse shell`: opens a server folder and runs the Exchange Management
// Shell on it: a script (-c / -f), piped standard input statement by statement
// (prompts such as Get-Credential read the following lines), or an interactive
// terminal with line editing, history and tab completion.

import { homedir, userInfo } from 'node:os';
import { join } from 'node:path';
import { serverCommands, serverViews } from '../cmdlets/index.js';
import { adminAuditRecorder } from '../cmdlets/admin-audit-log.js';
import { ensureBuiltInRoleGroups } from '../cmdlets/role-group.js';
import { builtinCommands } from '../shell/builtins/index.js';
import { StreamHost, TerminalHost } from '../shell/host-console.js';
import { ShellSession, type ShellEnvironment } from '../shell/session.js';
import { openServer, organizationStoreOf } from '../setup/server-folder.js';
import { askOrganizationPassword } from '../setup/organization-password.js';

export async function runShell(dir: string, script?: { text: string; source?: string }, options: { echo?: boolean } = {}): Promise<number> {
  const orgPassword = await askOrganizationPassword(organizationStoreOf(dir));
  const server = openServer(dir, { ...(orgPassword !== undefined && { orgPassword }) });
  try {
    ensureBuiltInRoleGroups(server); // a store set up before role groups existed gets them now
    // The local shell runs with its operating-system user's rights; its changes are audited under that name.
    const env: ShellEnvironment = {
      commands: [...builtinCommands, ...serverCommands(server)], views: serverViews, computerName: server.fqdn,
      commandObserver: adminAuditRecorder(server, { caller: userInfo().username, origin: 'local' }),
    };
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
    return ok ? 0 : 1;
  } finally {
    server.close();
  }
}
