// `gatehouse shell --connect https://<server>/PowerShell/`: a shell on this
// computer whose server cmdlets run on a remote server's management endpoint,
// with the rights of the account given (the password is asked for, or read
// from the next line of piped input, as Get-Credential does). Results are
// formatted here with the same default views; the prompt names the server.

import { homedir } from 'node:os';
import { serverViews } from '../cmdlets/index.js';
import { certificateSchema } from '../config/model/certificate.js';
import { Remoting, remotingViews } from '../remote/pssession-commands.js';
import { endpointUrl, RemoteConnectionError } from '../remote/client.js';
import { builtinCommands } from '../shell/builtins/index.js';
import { historyFilePath } from '../shell/history.js';
import { StreamHost, TerminalHost } from '../shell/host-console.js';
import type { ShellHost } from '../shell/host.js';
import { ShellSession } from '../shell/session.js';
import { askOrganizationPassword } from '../setup/organization-password.js';
import { openServer, organizationStoreOf } from '../setup/server-folder.js';

export interface RemoteShellOptions {
  url: string;
  user?: string;
  skipCaCheck: boolean;
  skipCnCheck: boolean;
  /** A local server folder whose certificates are trusted too. */
  dataDir?: string;
  echo?: boolean;
}

/** The certificates stored in a local server's configuration (imported ones and its own). */
export async function localTrustedCertificates(dir: string): Promise<string[]> {
  const orgPassword = await askOrganizationPassword(organizationStoreOf(dir));
  const server = openServer(dir, { ...(orgPassword !== undefined && { orgPassword }) });
  try {
    return server.repo
      .list(certificateSchema)
      .map((c) => String(c.values.CertificatePem ?? ''))
      .filter((p) => p.includes('BEGIN CERTIFICATE'));
  } finally {
    server.close();
  }
}

export async function runRemoteShell(options: RemoteShellOptions, script?: { text: string; source?: string }): Promise<number> {
  try {
    endpointUrl(options.url);
  } catch (err) {
    if (!(err instanceof RemoteConnectionError)) throw err;
    process.stderr.write(`${err.message}\n`);
    return 1;
  }
  const trusted = options.dataDir ? await localTrustedCertificates(options.dataDir) : [];
  const remoting = new Remoting({ trusted: () => trusted });
  const terminal = process.stdin.isTTY && process.stdout.isTTY && !script;
  let host: ShellHost & { close(): void } = terminal ? new TerminalHost({}) : new StreamHost(process.stdin, process.stdout, process.stderr);
  const user = options.user ?? (await host.readLine('User: '))?.trim();
  if (!user) {
    host.writeError('gatehouse shell --connect: no user name was given (--user CONTOSO\\admin, or on the first line of the input).\n');
    host.close();
    return 1;
  }
  const password = await host.readSecret(`Password for user ${user}: `);
  if (password === null) {
    host.writeError(`gatehouse shell --connect: no password was given for ${user} (type it at the prompt, or put it on the next line of the input).\n`);
    host.close();
    return 1;
  }
  let entry;
  try {
    entry = await remoting.open(options.url, user, password, { ca: options.skipCaCheck, cn: options.skipCnCheck }, (m) => host.write(`WARNING: ${m}\n`));
  } catch (err) {
    if (!(err instanceof RemoteConnectionError)) throw err;
    host.writeError(`${err.message}\n`);
    host.close();
    return 1;
  }
  const server = entry.connection;
  if (terminal) {
    // The first host read the credential; the shell's own terminal names the remote server in its prompt.
    host.close();
    host = new TerminalHost({ historyFile: historyFilePath(homedir(), server.server), computerName: server.fqdn });
  }
  const session = new ShellSession({ commands: [...builtinCommands, ...remoting.commands()], views: [...serverViews, ...remotingViews], computerName: server.fqdn }, host);
  remoting.attach(session.runtime);
  remoting.importSession(entry, undefined, false);
  try {
    if (terminal) {
      (host as TerminalHost).setCompleter((line, cursor) => session.complete(line, cursor));
      await session.runInteractiveLines();
      return 0;
    }
    const ok = script ? await session.runScript(script.text, script.source) : await session.runInteractiveLines({ echo: options.echo });
    return session.exitCode ?? (ok ? 0 : 1);
  } finally {
    await remoting.closeAll();
    host.close();
  }
}
