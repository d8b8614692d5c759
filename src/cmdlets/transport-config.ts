// Get-TransportConfig and Set-TransportConfig: the organization's transport
// settings (an Edge's own on an Edge Transport server). There is one object,
// created with its defaults the first time it is read or set; the running
// services follow a change through the store's change counter.

import { TRANSPORT_CONFIG_NAME, transportConfigSchema } from '../config/model/transport-config.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import type { CommandSpec, ParameterSpec } from '../shell/command.js';
import { notFound } from './errors.js';
import { updateObject } from './object-commands.js';
import { missingDefaults, toPSObject } from './object-output.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultValues } from '../config/schema.js';
import { defaultContext, type ServerContext } from './server-context.js';

const schema = transportConfigSchema;

/** The stored object, or a new one with the defaults (not yet stored). */
export function transportConfigOf(ctx: ServerContext): ModelObject {
  const existing = ctx.repo.findByName(schema, '', TRANSPORT_CONFIG_NAME);
  if (existing) return existing;
  const values = defaultValues(schema, defaultContext(ctx));
  values.Name = TRANSPORT_CONFIG_NAME;
  return newModelObject(schema, '', values);
}

/** The organization (Mailbox) or this Edge: the only identity the object answers to. */
function identityParameter(): ParameterSpec {
  return {
    name: 'Identity',
    typeName: 'OrganizationIdParameter',
    position: 0,
    valueFromPipeline: true,
    valueFromPipelineByPropertyName: true,
    description: 'The organization (optional: there is one transport configuration).',
    convert: (v) => (v === null || v === undefined ? v : String((v as { get?: (k: string) => unknown }).get?.('Identity') ?? v)),
  };
}

function checkIdentity(ctx: ServerContext, identity: unknown): void {
  if (identity === undefined || identity === null) return;
  const id = String(identity).toLowerCase();
  const names = [TRANSPORT_CONFIG_NAME, ctx.directory.dnsDomain, ctx.directory.netbiosName, ctx.name, ctx.fqdn].map((n) => n.toLowerCase());
  const stored = ctx.repo.findByName(schema, '', TRANSPORT_CONFIG_NAME);
  if (!names.includes(id) && stored?.guid.toLowerCase() !== id) throw notFound(String(identity), ctx.fqdn);
}

function output(ctx: ServerContext, obj: ModelObject) {
  return toPSObject(obj, missingDefaults(obj, defaultContext(ctx)));
}

export function transportConfigCommands(ctx: ServerContext): CommandSpec[] {
  return [
    {
      name: 'Get-TransportConfig',
      synopsis: 'Shows the organization-wide transport settings (size and recipient limits, Domain Security lists, internal SMTP servers, NDR copies).',
      parameters: [identityParameter()],
      examples: [{ code: 'Get-TransportConfig | Format-List MaxSendSize,MaxReceiveSize,MaxRecipientEnvelopeLimit', remarks: "Shows the organization's message size and recipient limits." }],
      invoke: (args) => {
        checkIdentity(ctx, args.get('Identity'));
        return [output(ctx, transportConfigOf(ctx))];
      },
    },
    {
      name: 'Set-TransportConfig',
      synopsis: 'Changes the organization-wide transport settings; the running services apply the change without restart.',
      supportsShouldProcess: true,
      confirmImpact: 'Medium',
      parameters: [identityParameter(), ...schemaParameters(schema, 'set', [], defaultContext(ctx))],
      examples: [
        { code: 'Set-TransportConfig -MaxSendSize 25MB -MaxReceiveSize 25MB -MaxRecipientEnvelopeLimit 1000', remarks: "Raises the organization's size limits to 25 MB and lets a message have 1,000 recipients." },
        { code: 'Set-TransportConfig -TLSSendDomainSecureList fabrikam.com -TLSReceiveDomainSecureList fabrikam.com', remarks: 'Mail to and from fabrikam.com goes over mutual TLS on connectors with -DomainSecureEnabled $true.' },
        { code: 'Set-TransportConfig -InternalSMTPServers @{Add="10.1.1.5"}', remarks: 'Adds an SMTP server inside the perimeter.' },
      ],
      async invoke(args, inv) {
        checkIdentity(ctx, args.get('Identity'));
        const obj = transportConfigOf(ctx);
        const values = { ...obj.values };
        applyParameters(schema, values, args, 'set', ctx, defaultContext(ctx));
        if (!(await inv.shouldProcess(TRANSPORT_CONFIG_NAME, 'Setting transport configuration'))) return [];
        ctx.repo.transaction(() => {
          const stored = ctx.repo.findByName(schema, '', TRANSPORT_CONFIG_NAME);
          if (stored) {
            // Only the parameters given change: another session's change to other settings stays.
            const merged = { ...stored.values };
            for (const def of schema.properties) if (args.has(def.name)) merged[def.name] = values[def.name];
            stored.values = merged;
            updateObject(ctx, stored);
          } else {
            obj.values = values;
            ctx.repo.insert(obj);
          }
        });
        return [];
      },
    },
  ];
}

export const transportConfigViews = [{ typeName: 'TransportConfig', display: 'list' as const }];
