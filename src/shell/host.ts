// The console a shell session talks to: output, error and prompts.
//
// One implementation serves a terminal (line editing, masked passwords), a
// script file and piped standard input (where prompts such as Get-Credential
// read the next lines of the same stream); tests use an in-memory host.

import { ScriptHalted } from './runtime.js';

/**
 * Ctrl+C at a prompt inside a command (Get-Credential's `User:`, a
 * confirmation, Read-Host): the command and the rest of the line stop
 * without an error record, as PowerShell's pipeline stop does. At the
 * shell's own prompt it abandons the statement being typed.
 */
export class PipelineStopped extends ScriptHalted {
  override name = 'PipelineStopped';
}

export interface ShellHost {
  /** True when a person is at a terminal: prompts for missing mandatory parameters and confirmations. */
  readonly interactive: boolean;
  /** Width used by Format-List/Format-Table (console width - 1; 119 when not a terminal). */
  readonly width: number;
  /** Standard output. */
  write(text: string): void;
  /** Error stream (error records, warnings go to write()). */
  writeError(text: string): void;
  /** Read one line after showing the prompt; null at end of input. Throws PipelineStopped when the person cancels a command's prompt. */
  readLine(prompt: string): Promise<string | null>;
  /** Read one line without echoing it (a terminal shows '*' per character); null at end of input. */
  readSecret(prompt: string): Promise<string | null>;
  /** Puts a line read by a prompt back in front of the input (a script line that was not an answer). */
  unreadLine?(line: string): void;
}
