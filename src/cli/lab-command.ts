// `gatehouse lab`: runs the lab (src/lab) in the foreground. --once (the
// default) exits 0 when both messages were delivered, 1 when not; with
// --keep-running the servers stay up until SIGINT/SIGTERM.

import { Lab, LabError } from '../lab/lab.js';

export async function runLab(options: { dir: string; portBase: number; keepRunning: boolean; dns: 'builtin' | 'dnsmasq'; orgStore: 'sqlite' | 'postgresql' }): Promise<number> {
  const lab = new Lab({ dir: options.dir, portBase: options.portBase, mode: options.keepRunning ? 'keep-running' : 'once', dns: options.dns, orgStore: options.orgStore, out: (t) => process.stdout.write(t) });
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    const onSignal = () => {
      if (stopping) return;
      stopping = true;
      process.stdout.write('\nStopping the lab...\n');
      resolve();
    };
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  });
  try {
    const ok = await Promise.race([lab.run(), stopped.then(() => false)]);
    if (stopping) return 130;
    process.stdout.write(ok ? '\nEvery message was delivered.\n' : "\nA message was not delivered: see the tracking above and the servers' logs.\n");
    if (!options.keepRunning && ok) process.stdout.write('To keep the lab up and try it yourself: npm run lab -- --keep-running\n');
    if (options.keepRunning) {
      process.stdout.write(lab.describe());
      await stopped;
      return 0;
    }
    return ok ? 0 : 1;
  } catch (err) {
    if (err instanceof LabError) {
      process.stderr.write(`gatehouse lab: ${err.message}\n`);
      return 2;
    }
    throw err;
  } finally {
    await lab.stop();
  }
}
