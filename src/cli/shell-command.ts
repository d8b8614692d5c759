// `gatehouse shell`: opens a server folder and runs the Exchange Management
// Shell on it: a script (-c / -f), piped standard input statement by statement
// (prompts such as Get-Credential read the following lines), or an interactive
// terminal with line editing, history (~/.gatehouse/history/<server>.txt)
// and tab completion.

import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { dirname, join } from 'node:path';
import { serverCommands, serverViews } from '../cmdlets/index.js';
import { adminAuditRecorder } from '../cmdlets/admin-audit-log.js';
import { ensureBuiltInRoleGroups } from '../cmdlets/role-group.js';
import { builtinCommands } from '../shell/builtins/index.js';
import type { CommandObserver } from '../shell/command.js';
import { historyFilePath } from '../shell/history.js';
import { StreamHost, TerminalHost } from '../shell/host-console.js';
import { ShellSession, type ShellEnvironment } from '../shell/session.js';
import { openServer, organizationStoreOf } from '../setup/server-folder.js';
import { askOrganizationPassword } from '../setup/organization-password.js';
import { OrganizationPeers } from '../remote/peer-servers.js';
import { Remoting, remotingViews } from '../remote/pssession-commands.js';
import type { Caller } from '../cmdlets/rbac.js';
import type { ServerContext } from '../cmdlets/server-context.js';
import { certificateSchema } from '../config/model/certificate.js';

export async function runShell(dir: string, script?: { text: string; source?: string }, options: { echo?: boolean } = {}): Promise<number> {
  const orgPassword = await askOrganizationPassword(organizationStoreOf(dir));
  const server = openServer(dir, { ...(orgPassword !== undefined && { orgPassword }) });
  try {
    ensureBuiltInRoleGroups(server); // a store set up before role groups existed gets them now
    // The local shell runs with its operating-system user's rights; its changes are audited under that name.
    // New-PSSession & co. reach other servers' endpoints; this server's certificates are trusted for them.
    const remoting = new Remoting({
      trusted: () =>
        server.repo
          .list(certificateSchema)
          .map((c) => String(c.values.CertificatePem ?? ''))
          .filter((p) => p.includes('BEGIN CERTIFICATE')),
    });
    // Cmdlets that name another server of the organization run there, through its endpoint, for this user.
    const caller: Caller = { kind: 'local', user: localUserName() };
    const ctx: ServerContext = { ...server, caller, ...(server.trust && { peers: new OrganizationPeers(server, server.trust, caller) }) };
    const env: ShellEnvironment = {
      commands: [...builtinCommands, ...serverCommands(ctx), ...remoting.commands()],
      views: [...serverViews, ...remotingViews],
      computerName: server.fqdn,
      commandObserver: localAudit(remoting, adminAuditRecorder(server, { caller: caller.user, origin: 'local' })),
    };
    if (process.stdin.isTTY && process.stdout.isTTY && !script) {
      const host = new TerminalHost({ historyFile: historyFilePath(homedir(), server.name), computerName: server.name });
      const oldHistory = join(homedir(), '.gatehouse_history');
      if (existsSync(oldHistory)) {
        host.write(
          `WARNING: ${oldHistory} was written by an earlier version of gatehouse, for every server, and may hold passwords typed in the shell. ` +
            `The history is now kept per server in ${dirname(historyFilePath(homedir(), server.name))}, without such lines: delete the old file (rm ${oldHistory}).\n`,
        );
      }
      const session = new ShellSession(env, host);
      remoting.attach(session.runtime);
      host.setCompleter((line, cursor) => session.complete(line, cursor));
      await session.runInteractiveLines();
      await remoting.closeAll();
      host.close();
      return 0;
    }
    const host = new StreamHost(process.stdin, process.stdout, process.stderr);
    const session = new ShellSession(env, host);
    remoting.attach(session.runtime);
    const ok = script ? await session.runScript(script.text, script.source) : await session.runInteractiveLines(options);
    await remoting.closeAll();
    host.close();
    return session.exitCode ?? (ok ? 0 : 1);
  } finally {
    server.close();
  }
}

/** Who runs this shell, for the audit log: the login name, or `uid N` for a user the system has no name for. */
function localUserName(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? '?'}`;
  }
}

/** The local audit log leaves out what runs elsewhere: remote servers record their own cmdlets. */
function localAudit(remoting: Remoting, recorder: CommandObserver): CommandObserver {
  return {
    completed: (spec, args, outcome) => {
      if (!remoting.isRemoting(spec)) recorder.completed(spec, args, outcome);
    },
  };
}
