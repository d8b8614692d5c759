// Console prompts of the host UI: the credential prompt (`User: `,
// `Password for user x: `), the ShouldProcess confirmation with its
// Yes / Yes to All / No / No to All choices, and the ShouldProcess sentence.

import { LocalCommandError } from './errors.js';
import type { ShellHost } from './host.js';
import { PSCredential, SecureString } from './values.js';

/** Asks for a user name (again while empty) and a password; null when the input ends. */
export async function promptCredential(host: ShellHost, userName?: string): Promise<PSCredential | null> {
  let user = userName ?? '';
  for (let attempts = 0; user === '' && attempts < 1000; attempts++) {
    const line = await host.readLine('User: ');
    if (line === null) return null;
    user = line;
  }
  if (user === '') return null;
  const password = await host.readSecret(`Password for user ${user}: `);
  if (password === null) return null;
  host.write('\n');
  return new PSCredential(user, new SecureString(password));
}

/** The ShouldProcess sentence: `<action> "<target>".` (or `<action>.` without a target). */
export function shouldProcessSentence(action: string, target: string): string {
  const a = action.trim();
  if (target === '') return a.endsWith('.') ? a : a + '.';
  return `${a.replace(/\.$/, '')} "${target}".`;
}

export type ConfirmAnswer = 'yes' | 'yesToAll' | 'no' | 'noToAll';

const CHOICES = '[Y] Yes  [A] Yes to All  [N] No  [L] No to All  [?] Help (default is "Y"): ';
const HELP =
  [
    'Y - Continue with only the next step of the operation.',
    'A - Continue with all the steps of the operation.',
    'N - Skip this operation and proceed with the next operation.',
    'L - Skip this operation and all subsequent operations.',
  ].join('\n') + '\n';

function answerOf(line: string): ConfirmAnswer | 'help' | undefined {
  switch (line.trim().toLowerCase()) {
    case '':
    case 'y':
    case 'yes':
      return 'yes';
    case 'a':
    case 'yes to all':
      return 'yesToAll';
    case 'n':
    case 'no':
      return 'no';
    case 'l':
    case 'no to all':
      return 'noToAll';
    case '?':
      return 'help';
    default:
      return undefined;
  }
}

/** A script or piped input that does not answer a confirmation: the command fails and changes nothing. */
function unanswered(sentence: string, got: string | null): LocalCommandError {
  const what = got === null ? 'the input ended before the answer' : `the next input line, "${got.length > 60 ? got.slice(0, 57) + '...' : got}", is not an answer`;
  return new LocalCommandError(`Confirmation needed for: ${sentence} Nothing was changed: ${what}. Put the answer (Y, A, N or L) on the line after the command, or add -Confirm:$false to go ahead without asking.`, {
    errorId: 'ConfirmationAnswerMissing',
    category: 'InvalidOperation',
    reason: 'InvalidOperationException',
  });
}

/**
 * The Confirm prompt. At a terminal, an unknown answer asks again and the end
 * of input answers No. From a script or piped input the answer is the next
 * input line: when the input ends, or the line is not an answer (it is then
 * left for the shell to run), the command fails without doing anything.
 */
export async function confirm(host: ShellHost, sentence: string): Promise<ConfirmAnswer> {
  host.write(`\nConfirm\nAre you sure you want to perform this action?\n${sentence}\n`);
  for (let attempts = 0; attempts < 1000; attempts++) {
    const line = await host.readLine(CHOICES);
    if (line === null) {
      if (host.interactive) return 'no';
      throw unanswered(sentence, null);
    }
    const answer = answerOf(line);
    if (answer === 'help') host.write(HELP);
    else if (answer) return answer;
    else if (!host.interactive) {
      host.unreadLine?.(line);
      throw unanswered(sentence, line);
    }
  }
  return 'no';
}
