// Get-Credential, ConvertTo-SecureString and Read-Host: the ways an admin
// produces a PSCredential or SecureString, with PowerShell's console prompts.
// Prompts read from the host, so piped standard input answers them in order.

import { ConversionError } from '../command.js';
import { isNull, toStr } from '../conversion.js';
import { LocalCommandError } from '../errors.js';
import { promptCredential } from '../prompts.js';
import { PSCredential, SecureString } from '../values.js';
import { arg, builtin, flag, objectParam, stringParam, switchParam } from './define.js';
import { shellContext } from './types.js';

/** A user name given where a credential is expected: the password is asked for. */
class CredentialRequest {
  constructor(readonly userName: string) {}
}

function credentialArgument(v: unknown): PSCredential | CredentialRequest | null {
  const one = Array.isArray(v) && v.length === 1 ? v[0] : v;
  if (isNull(one)) return null;
  if (one instanceof PSCredential) return one;
  if (typeof one === 'string') return new CredentialRequest(one);
  throw new ConversionError(`Cannot convert the "${toStr(one)}" value of type "${typeof one}" to type "System.Management.Automation.PSCredential".`);
}

function missingCredential(): LocalCommandError {
  return new LocalCommandError('Cannot process command because the user name or password is missing.', {
    errorId: 'CouldNotPromptForCredential',
    category: 'InvalidArgument',
    reason: 'ParameterBindingException',
  });
}

export const getCredential = builtin('Security', {
  name: 'Get-Credential',
  synopsis: 'Gets a credential object based on a user name and password.',
  description: 'The Get-Credential cmdlet creates a credential object for a specified user name and password. It prompts for the user name (when not given) and the password; the password is not echoed.',
  defaultParameterSet: 'CredentialSet',
  parameters: [
    { name: 'Credential', typeName: 'PSCredential', position: 0, sets: ['CredentialSet'], convert: credentialArgument },
    stringParam('Message', { sets: ['MessageSet'] }),
    stringParam('UserName', { position: 0, sets: ['MessageSet'] }),
  ],
  examples: [
    { code: '$c = Get-Credential', remarks: 'Asks for a user name and a password and keeps the credential in $c.' },
    { code: 'Set-SendConnector "To Edge" -AuthenticationCredential (Get-Credential EDGE01\\relay)', remarks: 'Asks for the password of a given user.' },
  ],
  async invoke(args, ctx) {
    const sh = shellContext(ctx);
    const host = ctx.host;
    const given = args.get('Credential') as PSCredential | CredentialRequest | null | undefined;
    if (given instanceof PSCredential) return [given];
    let cred: PSCredential | null;
    if (given instanceof CredentialRequest) {
      host.write('\nWindows PowerShell credential request\nEnter your credentials.\n');
      cred = await promptCredential(host, given.userName);
    } else if (args.has('Message') || args.has('UserName')) {
      const message = arg<string>(args, 'Message');
      host.write(message !== undefined ? `\nWindows PowerShell credential request.\n${message}\n` : '\nWindows PowerShell credential request\nEnter your credentials.\n');
      cred = await promptCredential(host, arg<string>(args, 'UserName') || undefined);
    } else {
      host.write(`\ncmdlet Get-Credential at command pipeline position ${sh.pipelinePosition}\nSupply values for the following parameters:\nCredential\n`);
      cred = await promptCredential(host);
    }
    if (!cred) throw missingCredential();
    return [cred];
  },
});

export const convertToSecureString = builtin('Security', {
  name: 'ConvertTo-SecureString',
  synopsis: 'Converts plain text or encrypted strings to secure strings.',
  description: 'With -AsPlainText and -Force, converts a plain text string to a SecureString (for New-Object PSCredential).',
  parameters: [stringParam('String', { position: 0, mandatory: true, valueFromPipeline: true }), switchParam('AsPlainText'), switchParam('Force')],
  examples: [{ code: "$p = ConvertTo-SecureString 'P@ssw0rd' -AsPlainText -Force", remarks: 'A SecureString from plain text.' }],
  invoke(args) {
    const text = arg<string>(args, 'String') ?? '';
    if (!flag(args, 'AsPlainText')) {
      throw new LocalCommandError('Key not valid for use in specified state.', {
        errorId: 'ImportSecureString_InvalidArgument_CryptographicError',
        category: 'InvalidArgument',
        reason: 'CryptographicException',
      });
    }
    if (!flag(args, 'Force')) {
      throw new LocalCommandError(
        'The system cannot protect plain text input. To suppress this warning and convert the plain text to a SecureString, reissue the command specifying the Force parameter. For more information ,type: get-help ConvertTo-SecureString.',
        {
          errorId: 'ImportSecureString_InvalidArgument',
          category: 'InvalidArgument',
          reason: 'ArgumentException',
        },
      );
    }
    return [new SecureString(text)];
  },
});

export const readHost = builtin('Utility', {
  name: 'Read-Host',
  synopsis: 'Reads a line of input from the console.',
  parameters: [objectParam('Prompt', { position: 0 }), switchParam('AsSecureString')],
  examples: [{ code: "$name = Read-Host 'Connector name'", remarks: 'Asks for a value.' }],
  async invoke(args, ctx) {
    const p = args.get('Prompt');
    const prompt = p === undefined || p === null ? '' : toStr(p) + ': ';
    if (flag(args, 'AsSecureString')) {
      const s = await ctx.host.readSecret(prompt);
      return s === null ? [] : [new SecureString(s)];
    }
    const line = await ctx.host.readLine(prompt);
    return line === null ? [] : [line];
  },
});
