// `gatehouse check [--data DIR] [--offline] [--json]`: the whole configuration
// of a server, checked as `postfix check` checks Postfix's (setup/check.ts).
// Each finding is printed with the shell command that fixes it. Exit 0 when
// there is nothing to report, 1 with findings.

import { checkServer } from '../setup/check.js';
import { askOrganizationPassword } from '../setup/organization-password.js';
import { organizationStoreOf } from '../setup/server-folder.js';

export async function runCheck(dir: string, options: { offline: boolean; json: boolean }, out: (text: string) => void): Promise<number> {
  const orgPassword = await askOrganizationPassword(organizationStoreOf(dir));
  const result = await checkServer(dir, { offline: options.offline, ...(orgPassword !== undefined && { orgPassword }) });
  if (options.json) {
    out(JSON.stringify({ ...result, clean: result.findings.length === 0 }, null, 2) + '\n');
    return result.findings.length === 0 ? 0 : 1;
  }
  const who = result.server ? `${result.server.name} (${result.server.role}, ${result.server.fqdn})` : dir;
  const lines = result.findings.flatMap((f) => [`${f.area}: ${f.problem}`, `  fix: ${f.fix}`]);
  if (result.findings.length === 0) lines.push(`${who}: no findings${options.offline ? ' (DNS servers not probed: --offline)' : ''}`);
  else lines.push(`${who}: ${result.findings.length} finding${result.findings.length === 1 ? '' : 's'}`);
  out(lines.join('\n') + '\n');
  return result.findings.length === 0 ? 0 : 1;
}
