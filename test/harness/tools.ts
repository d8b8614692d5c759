// The one policy for tests that need a peer program: under CI=true a missing
// peer is a failure naming the Debian package that provides it (.ci/run
// installs them all, so a missing one means the CI setup is broken); on a
// developer's machine the tests that need it are skipped with that message.
//
//   describe('…', needs('aiosmtpd'), () => { … })      // whole suite
//   it('…', needs('postfix', 'dkimpy'), async () => { … })
//   it('…', (t) => { if (!haveTool(t, 'systemd-analyze')) return; … })
import { existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { test, type TestContext } from 'node:test';

interface Tool {
  /** The Debian package(s) that provide it. */
  packages: string;
  present(): boolean;
}

const files =
  (...paths: string[]) =>
  () =>
    paths.every((p) => existsSync(p));
const runs = (program: string, args: string[]) => () => spawnSync(program, args, { stdio: 'ignore', timeout: 10_000 }).status === 0;

const TOOLS = {
  aiosmtpd: { packages: 'python3-aiosmtpd', present: files('/usr/bin/python3', '/usr/lib/python3/dist-packages/aiosmtpd') },
  dkimpy: { packages: 'python3-dkim', present: files('/usr/lib/python3/dist-packages/dkim') },
  postfix: { packages: 'postfix', present: files('/usr/sbin/postfix', '/usr/lib/postfix/sbin/master') },
  'smtp-sink': { packages: 'postfix', present: files('/usr/sbin/smtp-sink') },
  rspamd: { packages: 'rspamd', present: files('/usr/bin/rspamd') },
  dnsmasq: { packages: 'dnsmasq-base', present: () => runs('/usr/sbin/dnsmasq', ['--version'])() || runs('/usr/bin/dnsmasq', ['--version'])() },
  'dnssec-tools': { packages: 'ldnsutils, nsd and unbound', present: files('/usr/bin/ldns-signzone', '/usr/bin/ldns-keygen', '/usr/sbin/nsd', '/usr/sbin/unbound') },
  'checkpassword-reply': { packages: 'dovecot-core', present: files('/usr/lib/dovecot/checkpassword-reply') },
  'systemd-analyze': { packages: 'systemd', present: runs('systemd-analyze', ['--version']) },
} satisfies Record<string, Tool>;

export type ToolName = keyof typeof TOOLS;

const inCi = (): boolean => process.env.CI === 'true';
const seen = new Map<ToolName, boolean>();

/** Whether the tool is installed (looked up once per file). */
export function hasTool(name: ToolName): boolean {
  let present = seen.get(name);
  if (present === undefined) seen.set(name, (present = TOOLS[name].present()));
  return present;
}

function missingMessage(missing: ToolName[]): string {
  return missing.map((n) => `${n} is not installed (Debian: apt-get install ${TOOLS[n].packages})`).join('; ');
}

/**
 * Options for a test or suite that needs these tools. When one is missing the
 * test is skipped with a message naming the package; under CI=true a failing
 * test naming it is registered in its place, so the run shows a failure.
 */
export function needs(...names: ToolName[]): { skip: string | false } {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return { skip: false };
  const message = missingMessage(missing);
  if (inCi())
    test(`required peer missing: ${missing.join(', ')}`, () => {
      throw new Error(`CI=true and ${message}`);
    });
  return { skip: message };
}

/**
 * Inside a running test: true when the tools are installed; otherwise under
 * CI=true the test fails naming the package, and locally it is skipped
 * (false: the test should return).
 */
export function haveTool(t: TestContext, ...names: ToolName[]): boolean {
  const missing = names.filter((n) => !hasTool(n));
  if (missing.length === 0) return true;
  const message = missingMessage(missing);
  if (inCi()) throw new Error(`CI=true and ${message}`);
  t.skip(message);
  return false;
}
