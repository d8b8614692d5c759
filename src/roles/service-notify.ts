// systemd's readiness protocol (sd_notify) for `gatehouse start` under a
// `Type=notify` unit: READY=1 once the Receive connectors are bound, STATUS=
// lines, WATCHDOG=1 every half of WATCHDOG_USEC when the unit sets
// WatchdogSec, STOPPING=1 at shutdown. Messages are datagrams on the unix
// socket named by NOTIFY_SOCKET (a path, or "@name" in the abstract namespace).
//
// Node.js cannot send unix datagrams (dgram knows only UDP, net only streams),
// and a native addon for one sendmsg() is a build burden. `systemd-notify` is
// no good either: it exits right after sending, and systemd attributes a
// datagram to a unit by the sender's pid, which is gone by then, so the
// message is often dropped (unless the sender is privileged enough to pass the
// service's pid in its credentials, which the unprivileged service user is not).
// So one long-lived python3 child (python3 is already needed to build the
// native addons) sends every message: it stays in the service's cgroup for the
// whole run, which the unit allows with NotifyAccess=all. The child only relays
// lines it reads; the watchdog timer runs on this process's event loop, so a
// stuck service stops the pings and systemd restarts it.

import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from '../observability/logger.js';

/** Reads one message per line (\n inside a message written as \\n) and sends it as one datagram. */
const RELAY = [
  'import os, socket, sys',
  'a = os.environ["NOTIFY_SOCKET"]',
  'a = "\\0" + a[1:] if a.startswith("@") else a',
  's = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)',
  'for line in sys.stdin:',
  '    m = line.rstrip("\\n").replace("\\\\n", "\\n")',
  '    try:',
  '        s.sendto(m.encode(), a)',
  '        print("sent", flush=True)',
  '    except OSError as e:',
  '        print("failed " + str(e), flush=True)',
].join('\n');

export class ServiceNotifier {
  private relay?: ChildProcess;
  private watchdog?: NodeJS.Timeout;
  private failedOnce = false;

  private constructor(
    private readonly socket: string,
    private readonly log: Logger,
  ) {}

  /** A notifier when the service runs under a notify unit (NOTIFY_SOCKET is set), else undefined. */
  static fromEnvironment(log: Logger, env: NodeJS.ProcessEnv = process.env): ServiceNotifier | undefined {
    const socket = env.NOTIFY_SOCKET;
    if (!socket) return undefined;
    return new ServiceNotifier(socket, log);
  }

  /** Starts the relay; throws with the reason when python3 cannot run. */
  async open(): Promise<void> {
    const child = spawn('python3', ['-c', RELAY], { stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, NOTIFY_SOCKET: this.socket } });
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', () => resolve());
      child.once('error', (err) => reject(new Error(`cannot start python3 to talk to systemd (NOTIFY_SOCKET=${this.socket}): ${err.message}; install python3, or run the unit as Type=simple`)));
    });
    child.stdout!.setEncoding('utf8').on('data', (d: string) => {
      for (const line of d.split('\n')) {
        if (!line.startsWith('failed ') || this.failedOnce) continue;
        this.failedOnce = true;
        this.log.log('warn', 'service.notify.failed', { socket: this.socket, error: line.slice(7), action: 'systemd does not hear from the service; check NotifyAccess=all in the unit' });
      }
    });
    child.stderr!.setEncoding('utf8').on('data', (d: string) => this.log.log('warn', 'service.notify.relay', { text: d.trim() }));
    child.stdin!.on('error', () => undefined);
    child.on('exit', (code, signal) => {
      if (this.relay !== child) return;
      this.relay = undefined;
      this.log.log('error', 'service.notify.relay-exited', { code, signal, action: 'systemd no longer hears from the service; a unit with WatchdogSec will restart it' });
    });
    // The relay must not keep the process alive on its own.
    child.unref();
    (child.stdout as unknown as { unref?: () => void }).unref?.();
    (child.stderr as unknown as { unref?: () => void }).unref?.();
    this.relay = child;
  }

  send(...fields: string[]): void {
    const text = fields.map((f) => f.replace(/\n/g, ' ')).join('\\n');
    this.relay?.stdin?.write(text + '\n');
  }

  /** READY=1 with a status line, and the watchdog pings when WATCHDOG_USEC asks for them (for this pid). */
  ready(status: string, env: NodeJS.ProcessEnv = process.env): void {
    this.send('READY=1', `STATUS=${status}`, `MAINPID=${process.pid}`);
    const usec = Number(env.WATCHDOG_USEC);
    const forPid = env.WATCHDOG_PID === undefined || Number(env.WATCHDOG_PID) === process.pid;
    if (Number.isFinite(usec) && usec > 0 && forPid) {
      const every = Math.max(1, Math.floor(usec / 2000));
      this.watchdog = setInterval(() => this.send('WATCHDOG=1'), every);
      this.watchdog.unref();
    }
  }

  status(text: string): void {
    this.send(`STATUS=${text}`);
  }

  /** STOPPING=1, then the relay ends once it has sent everything written to it. */
  stopping(): void {
    clearInterval(this.watchdog);
    this.send('STOPPING=1');
  }

  close(): void {
    clearInterval(this.watchdog);
    const child = this.relay;
    this.relay = undefined;
    child?.stdin?.end();
  }
}
