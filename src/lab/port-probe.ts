// Whether something listens on host:port, for the programs that start servers
// and wait for them (the lab's peers, the bench, the torture): one TCP connect,
// closed at once.

import { connect } from 'node:net';

export function answers(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** Resolves once host:port answers; rejects after `ms`. */
export async function waitForPort(host: string, port: number, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await answers(host, port))) {
    if (Date.now() > deadline) throw new Error(`nothing listens on ${host}:${port}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
