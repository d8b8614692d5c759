// Cmdlets that work on one server's own data (its queues, its messages, its
// tracking log, its mailboxes) run on that server. When the server they name
// (-Server, or the Server\ part of an identity) is another server of the
// organization, the cmdlet is sent there through its management endpoint
// (ServerContext.peers), for this shell's caller and with the caller's
// rights there, and its objects come back deserialized. No server opens
// another's folder: on separate machines it couldn't.
//
// A server that can't be reached is a non-terminating error naming it and
// its endpoint, so a pipeline over several servers (Get-ExchangeServer |
// Get-Queue) still returns the others' objects.

import { serverSchema } from '../config/model/server.js';
import type { BoundArguments, CommandSpec, InvocationContext } from '../shell/command.js';
import { CmdletError, PSObject } from '../shell/values.js';
import type { ModelObject } from '../store/repository.js';
import type { ServerContext } from './server-context.js';

/** Which server a call names (a name or FQDN); undefined = this server. */
export type TargetOf = (args: BoundArguments) => string | undefined;

/** The cmdlets that work on one server's own data, and the server each call names. */
export const RUN_ON_ITS_SERVER: Record<string, TargetOf> = {
  'get-queue': (a) => named(a, 'Server') ?? serverOfIdentity(a.get('Identity'), 2),
  'suspend-queue': (a) => named(a, 'Server') ?? serverOfIdentity(a.get('Identity'), 2),
  'resume-queue': (a) => named(a, 'Server') ?? serverOfIdentity(a.get('Identity'), 2),
  'retry-queue': (a) => named(a, 'Server') ?? serverOfIdentity(a.get('Identity'), 2),
  'get-message': (a) => named(a, 'Server') ?? serverOfIdentity(a.get('Identity'), 3) ?? serverOfIdentity(a.get('Queue'), 2),
  'suspend-message': (a) => named(a, 'Server') ?? serverOfIdentity(a.get('Identity'), 3),
  'resume-message': (a) => named(a, 'Server') ?? serverOfIdentity(a.get('Identity'), 3),
  'remove-message': (a) => named(a, 'Server') ?? serverOfIdentity(a.get('Identity'), 3),
  'get-messagetrackinglog': (a) => named(a, 'Server'),
  'test-mailflow': (a) => named(a, 'Identity'),
};

function named(args: BoundArguments, parameter: string): string | undefined {
  const v = args.get(parameter);
  return v === undefined || v === null ? undefined : String(v);
}

/** True when this call of the cmdlet runs on another server (which then records it in the audit log). */
export function runsElsewhere(ctx: ServerContext, cmdlet: string, args: BoundArguments): boolean {
  const target = RUN_ON_ITS_SERVER[cmdlet.toLowerCase()];
  return target !== undefined && !isThisServer(ctx, target(args));
}

/** True when `name` is this server (its name, its FQDN, "." or localhost). */
export function isThisServer(ctx: ServerContext, name: string | undefined): boolean {
  if (name === undefined || name === '') return true;
  const s = name.toLowerCase();
  return s === ctx.name.toLowerCase() || s === ctx.fqdn.toLowerCase() || s === 'localhost' || s === '.';
}

/** The server part of an identity such as MBX02\3 (queue: 2 parts) or MBX02\3\12 (message: 3 parts). */
export function serverOfIdentity(value: unknown, parts: number): string | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value instanceof PSObject ? String(value.get('Identity')) : String(value);
  const split = text.split('\\');
  return split.length >= parts ? split.slice(0, split.length - parts + 1).join('\\') : undefined;
}

/** The server object a name or FQDN names, or a clear error. */
export function organizationServer(ctx: ServerContext, name: string): ModelObject {
  const id = name.toLowerCase();
  const found = ctx.repo.list(serverSchema).find((s) => String(s.values.Name).toLowerCase() === id || String(s.values.Fqdn).toLowerCase() === id);
  if (!found) {
    throw new CmdletError(`The server "${name}" isn't a server of this ${ctx.role === 'EdgeTransport' ? 'Edge Transport server (an Edge manages only itself)' : 'organization'}. Get-ExchangeServer lists them.`, {
      category: 'ObjectNotFound',
      reason: 'ManagementObjectNotFoundException',
      parameter: 'Server',
    });
  }
  return found;
}

/**
 * Runs `command` with these arguments on another server and returns its objects; an unreachable
 * server is written as an error and gives no objects.
 */
export async function runOnServer(ctx: ServerContext, server: ModelObject, spec: Pick<CommandSpec, 'name' | 'parameters'>, args: BoundArguments, inv: InvocationContext): Promise<unknown[]> {
  if (!ctx.peers) {
    throw new CmdletError(`${spec.name} for ${String(server.values.Name)} runs on that server, through its management endpoint, and this shell can't reach other servers (an Edge manages only itself).`, {
      category: 'InvalidOperation',
      reason: 'InvalidOperationException',
      parameter: 'Server',
    });
  }
  const switches = new Set(spec.parameters.filter((p) => p.switch).map((p) => p.name.toLowerCase()));
  try {
    return await ctx.peers.run(server, spec.name, args, switches, inv);
  } catch (err) {
    if (err instanceof CmdletError && err.reason === 'PSRemotingTransportException') {
      inv.writeError(err);
      return [];
    }
    throw err;
  }
}

/** The command, run on the server each call names (RUN_ON_ITS_SERVER). */
export function onItsServer(ctx: ServerContext, spec: CommandSpec): CommandSpec {
  const targetOf = RUN_ON_ITS_SERVER[spec.name.toLowerCase()];
  return {
    ...spec,
    invoke: async (args, inv) => {
      const target = targetOf(args);
      if (isThisServer(ctx, target)) return spec.invoke(args, inv);
      const server = organizationServer(ctx, target!);
      let forwarded: BoundArguments = args;
      if (spec.supportsShouldProcess) {
        // -WhatIf and -Confirm are answered here, where the admin is; the server then runs without asking.
        const what = args.has('Identity') ? String(args.get('Identity') instanceof PSObject ? (args.get('Identity') as PSObject).get('Identity') : args.get('Identity')) : String(server.values.Name);
        if (!(await inv.shouldProcess(what, `${spec.name} on ${String(server.values.Name)}`))) return [];
        forwarded = new Map([...args, ['Confirm', false]]);
      }
      return runOnServer(ctx, server, { ...spec, parameters: [...spec.parameters, { name: 'Confirm', typeName: 'SwitchParameter', switch: true }] }, forwarded, inv);
    },
  };
}
