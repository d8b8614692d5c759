// A small scriptable SMTP server for fault tests: what it does at each stage
// of a session (greeting, EHLO/HELO, STARTTLS, MAIL, RCPT, DATA, end of data)
// is set per test, and can be chosen per message from its envelope sender, so
// one session can fail different messages differently. A stage answers with a
// given reply line, stays silent (accepts and never answers), or drops the
// connection; STARTTLS can be offered properly, offered and then broken
// (plaintext instead of a handshake), or not offered at all; the connection
// can also be cut in the middle of the message data. It can also offer AUTH
// LOGIN/PLAIN inside TLS and accept any credential, recording what it was
// given: the impostor a credential must never reach.

import net from 'node:net';
import tls from 'node:tls';

export type Stage = 'greeting' | 'ehlo' | 'mail' | 'rcpt' | 'data' | 'eod';
/** A reply line such as `421 4.3.2 Service not available`, or 'silent' (never answer), or 'drop' (close the connection). */
export type Action = string;

export interface FaultScript {
  /** Faults for every session. */
  at?: Partial<Record<Stage, Action>>;
  /** Faults for one transaction, chosen from its MAIL FROM address (applied from MAIL on). */
  byEnvelope?: (mailFrom: string) => Partial<Record<'mail' | 'rcpt' | 'data' | 'eod', Action>> | undefined;
  /** Close the connection after this many bytes of message data. */
  dropAfterDataBytes?: number;
  /** STARTTLS: 'offer' needs a certificate; 'broken' answers 220 then sends plaintext; default 'none'. */
  startTls?: 'offer' | 'broken' | 'none';
  certificate?: { certificatePem: string; privateKeyPem: string };
  /** Offer AUTH LOGIN PLAIN after STARTTLS and accept whatever credential comes (recorded in `credentials`). */
  acceptAnyCredential?: boolean;
}

export interface PeerMessage {
  mailFrom: string;
  rcptTo: string[];
  data: string;
}

export class FaultPeer {
  script: FaultScript = {};
  /** Messages the peer accepted (answered 250 at end of data). */
  readonly accepted: PeerMessage[] = [];
  /** Every command line received, in order (across sessions); AUTH data lines as '<auth data>'. */
  readonly commands: string[] = [];
  /** Credentials received with AUTH (acceptAnyCredential). */
  readonly credentials: { user: string; password: string }[] = [];
  /** When each TCP connection was accepted (ms since the epoch). */
  readonly connectionTimes: number[] = [];
  private readonly mailCommands: { from: string; at: number }[] = [];
  private readonly server = net.createServer((socket) => this.session(socket));
  private readonly sockets = new Set<net.Socket>();

  private constructor() {}

  static async start(address: string, port: number, script: FaultScript = {}): Promise<FaultPeer> {
    const peer = new FaultPeer();
    peer.script = script;
    await new Promise<void>((resolve, reject) => {
      peer.server.once('error', reject);
      peer.server.listen(port, address, () => {
        peer.server.off('error', reject);
        resolve();
      });
    });
    return peer;
  }

  /** When each MAIL FROM with this sender arrived (ms since the epoch), in order. */
  mailTimes(from: string): number[] {
    return this.mailCommands.filter((m) => m.from.toLowerCase() === from.toLowerCase()).map((m) => m.at);
  }

  /** Stops listening and cuts every open session. */
  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private session(raw: net.Socket): void {
    this.connectionTimes.push(Date.now());
    this.sockets.add(raw);
    raw.on('close', () => this.sockets.delete(raw));
    raw.on('error', () => undefined);
    const script = this.script;
    let socket: net.Socket = raw;
    let buffer = '';
    let secure = false;
    let tx: { mailFrom: string; rcptTo: string[]; faults: NonNullable<ReturnType<NonNullable<FaultScript['byEnvelope']>>> } | null = null;
    let inData = false;
    let data = '';
    let dataBytes = 0;
    let login: null | { user?: string } = null;
    const decode = (b64: string) => Buffer.from(b64, 'base64').toString('utf8');
    const accept = (user: string, password: string) => {
      this.credentials.push({ user, password });
      write('235 2.7.0 Authentication successful');
    };

    const write = (line: string) => {
      if (!socket.destroyed) socket.write(line + '\r\n');
    };
    /** Carries out a fault; true when it replaced the normal reply. */
    const fault = (action: Action | undefined): boolean => {
      if (action === undefined) return false;
      if (action === 'silent') return true;
      if (action === 'drop') {
        socket.destroy();
        raw.destroy();
        return true;
      }
      write(action);
      if (/^421/.test(action)) socket.end();
      return true;
    };
    const stageFault = (stage: 'mail' | 'rcpt' | 'data' | 'eod') => tx?.faults[stage] ?? script.at?.[stage];

    const onLine = (line: string): void => {
      if (inData) {
        if (line !== '.') {
          data += (line.startsWith('.') ? line.slice(1) : line) + '\r\n';
          return;
        }
        inData = false;
        const done = tx;
        tx = null;
        if (done && fault(done.faults.eod ?? script.at?.eod)) return;
        if (done) this.accepted.push({ mailFrom: done.mailFrom, rcptTo: done.rcptTo, data });
        write('250 2.0.0 Ok: queued');
        return;
      }
      if (login) {
        this.commands.push('<auth data>');
        if (login.user === undefined) {
          login.user = decode(line);
          return write('334 UGFzc3dvcmQ6');
        }
        const user = login.user;
        login = null;
        return accept(user, decode(line));
      }
      this.commands.push(line);
      const verb = line.split(' ')[0].toUpperCase();
      switch (verb) {
        case 'EHLO':
        case 'HELO': {
          if (fault(script.at?.ehlo)) return;
          if (verb === 'HELO') return write('250 fault.peer.example');
          const offer = !secure && (script.startTls === 'offer' || script.startTls === 'broken');
          const lines = ['fault.peer.example', '8BITMIME', 'ENHANCEDSTATUSCODES', ...(offer ? ['STARTTLS'] : []), ...(secure && script.acceptAnyCredential ? ['AUTH LOGIN PLAIN'] : [])];
          lines.forEach((l, i) => write(`250${i === lines.length - 1 ? ' ' : '-'}${l}`));
          return;
        }
        case 'STARTTLS': {
          if (secure || !(script.startTls === 'offer' || script.startTls === 'broken')) return write('502 5.5.1 Not offered');
          write('220 2.0.0 Ready to start TLS');
          if (script.startTls === 'broken') {
            socket.end('this is not a TLS server hello\r\n');
            return;
          }
          if (!script.certificate) throw new Error('startTls offer needs a certificate');
          socket.removeListener('data', onData);
          const upgraded = new tls.TLSSocket(socket, { isServer: true, key: script.certificate.privateKeyPem, cert: script.certificate.certificatePem });
          upgraded.on('error', () => undefined);
          upgraded.on('secure', () => {
            secure = true;
          });
          socket = upgraded;
          buffer = '';
          upgraded.on('data', onData);
          return;
        }
        case 'MAIL': {
          const mailFrom = /<([^>]*)>/.exec(line)?.[1] ?? '';
          this.mailCommands.push({ from: mailFrom, at: Date.now() });
          tx = { mailFrom, rcptTo: [], faults: script.byEnvelope?.(mailFrom) ?? {} };
          if (fault(stageFault('mail'))) {
            tx = null;
            return;
          }
          return write('250 2.1.0 Ok');
        }
        case 'RCPT': {
          if (!tx) return write('503 5.5.1 Error: need MAIL command');
          if (fault(stageFault('rcpt'))) return;
          tx.rcptTo.push(/<([^>]*)>/.exec(line)?.[1] ?? '');
          return write('250 2.1.5 Ok');
        }
        case 'DATA': {
          if (!tx || tx.rcptTo.length === 0) return write('554 5.5.1 Error: no valid recipients');
          if (fault(stageFault('data'))) return;
          inData = true;
          data = '';
          dataBytes = 0;
          return write('354 End data with <CR><LF>.<CR><LF>');
        }
        case 'AUTH': {
          if (!secure || !script.acceptAnyCredential) return write('503 5.5.1 Error: authentication not enabled');
          const [, mechanism = '', initial] = line.split(' ');
          if (mechanism.toUpperCase() === 'PLAIN' && initial) {
            const [, user = '', password = ''] = decode(initial).split('\0');
            return accept(user, password);
          }
          if (mechanism.toUpperCase() === 'LOGIN') {
            login = {};
            return write('334 VXNlcm5hbWU6');
          }
          return write('504 5.5.4 Unrecognized authentication type');
        }
        case 'RSET':
          tx = null;
          return write('250 2.0.0 Ok');
        case 'NOOP':
          return write('250 2.0.0 Ok');
        case 'QUIT':
          write('221 2.0.0 Bye');
          socket.end();
          return;
        default:
          return write('502 5.5.2 Error: command not recognized');
      }
    };

    const onData = (chunk: Buffer): void => {
      if (inData && script.dropAfterDataBytes !== undefined) {
        dataBytes += chunk.length;
        if (dataBytes >= script.dropAfterDataBytes) {
          socket.destroy();
          raw.destroy();
          return;
        }
      }
      buffer += chunk.toString('latin1');
      let nl: number;
      while ((nl = buffer.indexOf('\r\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 2);
        const before = socket;
        onLine(line);
        if (socket !== before || socket.destroyed) return; // switched to TLS, or gone
      }
    };

    socket.on('data', onData);
    if (!fault(script.at?.greeting)) write('220 fault.peer.example ESMTP');
  }
}
