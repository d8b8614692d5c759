// Exchange-style errors raised by cmdlets: what failed, on which object, and
// what to do. Rendered by the shell in the Exchange error-record layout.

import { CmdletError } from '../shell/values.js';
import type { Problem } from '../config/validate.js';

export function notFound(identity: string, where: string): CmdletError {
  return new CmdletError(`The operation couldn't be performed because object '${identity}' couldn't be found on '${where}'.`, {
    category: 'NotSpecified',
    reason: 'ManagementObjectNotFoundException',
  });
}

export function ambiguous(identity: string): CmdletError {
  return new CmdletError(`The operation couldn't be performed because '${identity}' matches multiple entries.`, {
    category: 'NotSpecified',
    reason: 'ManagementObjectAmbiguousException',
  });
}

export function alreadyExists(label: string, name: string, where: string): CmdletError {
  return new CmdletError(`The ${label} "${name}" already exists on '${where}'. Choose another name.`, {
    category: 'NotSpecified',
    reason: 'ADObjectAlreadyExistsException',
    parameter: 'Name',
  });
}

export function invalid(problems: Problem[]): CmdletError {
  const p = problems[0];
  return new CmdletError(problems.map((x) => x.message).join(' '), { category: 'NotSpecified', reason: 'DataValidationException', parameter: p?.property });
}

export function invalidOperation(message: string, parameter?: string): CmdletError {
  return new CmdletError(message, { category: 'NotSpecified', reason: 'InvalidOperationException', parameter });
}
