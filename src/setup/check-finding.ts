// One finding of `gatehouse check`: what is wrong, where, and the shell
// command that fixes it (a person pastes it as it is, or edits the one value
// in capitals it cannot know, such as a backup file).

import { shellPath } from './folder-privacy.js';

export interface Finding {
  /** files, certificates, receive-connectors, send-connectors, accepted-domains, dns, organization-store */
  area: string;
  problem: string;
  fix: string;
}

/** A `gatehouse shell` command line for the server folder `dir`, running `command`. */
export function shellFix(dir: string, command: string): string {
  return `gatehouse shell --data ${shellPath(dir)} -c ${shellQuote(command)}`;
}

/** Single-quoted for a POSIX shell. */
export function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** A name as the Exchange Management Shell takes it as an argument. */
export function psName(name: string): string {
  return `"${name.replace(/(["`$])/g, '`$1')}"`;
}
