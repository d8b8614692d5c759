// A next hop that records exactly what it received: Python's aiosmtpd with
// SMTPUTF8, each message stored as its raw content (after dot-unstuffing, line
// ends as they came) beside its envelope. Where Postfix's smtp-sink rewrites
// line ends in its dumps, this shows the octets.

import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Peer, until } from './peers.js';

const RECORDER = `
import json, os, sys, signal
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP
folder, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
count = 0
class Handler:
    async def handle_DATA(self, server, session, envelope):
        global count
        count += 1
        base = os.path.join(folder, "%06d" % count)
        with open(base + ".eml.tmp", "wb") as f:
            f.write(envelope.original_content)
        with open(base + ".json", "w") as f:
            json.dump({"mailFrom": envelope.mail_from, "rcptTo": envelope.rcpt_tos}, f)
        os.rename(base + ".eml.tmp", base + ".eml")
        return "250 2.0.0 Ok: recorded"
class Recording(Controller):
    def factory(self):
        return SMTP(self.handler, enable_SMTPUTF8=True, data_size_limit=0, hostname="recorder.example")
c = Recording(Handler(), hostname=host, port=port)
c.start()
print("READY", flush=True)
signal.sigwait({signal.SIGTERM, signal.SIGINT})
c.stop()
`;

export interface RecordedMessage {
  mailFrom: string;
  rcptTo: string[];
  /** The content as received. */
  raw: Buffer;
}

export async function startRecorder(host: string, port: number, dir: string): Promise<Peer & { messages(): RecordedMessage[] }> {
  mkdirSync(dir, { recursive: true });
  const script = join(dir, '..', `recorder-${host}.py`);
  writeFileSync(script, RECORDER);
  const child = spawn('/usr/bin/python3', [script, dir, host, String(port)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr!.on('data', () => undefined);
  const peer = new Peer(child, `recorder ${host}:${port}`) as Peer & { messages(): RecordedMessage[] };
  peer.messages = () =>
    readdirSync(dir)
      .filter((f) => f.endsWith('.eml'))
      .sort()
      .map((f) => {
        const envelope = JSON.parse(readFileSync(join(dir, f.replace(/\.eml$/, '.json')), 'utf8')) as { mailFrom: string; rcptTo: string[] };
        return { ...envelope, raw: readFileSync(join(dir, f)) };
      });
  await until(() => out.includes('READY') || child.exitCode !== null, 10_000, `the recorder on ${host}:${port}`);
  if (child.exitCode !== null) throw new Error(`the recorder on ${host}:${port} exited with ${child.exitCode}`);
  return peer;
}
