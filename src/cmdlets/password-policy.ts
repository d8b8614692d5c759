// Get-ADDefaultDomainPasswordPolicy and Set-ADDefaultDomainPasswordPolicy on
// Mailbox servers (spec exchange-management.md): the domain's account lockout
// policy, kept in the organization store so that every Mailbox server applies
// the same one to SMTP AUTH, live. Only the lockout settings are implemented;
// the password settings of the same cmdlet (length, age, history, complexity)
// are refused by name rather than accepted and ignored. On an Edge these
// commands point to `net accounts`, the local account policy.

import { lockoutPolicySchema } from '../config/model/lockout-policy.js';
import type { ModelObject } from '../store/repository.js';
import type { BoundArguments, CommandSpec, InvocationContext, ParameterSpec } from '../shell/command.js';
import { ConversionError } from '../shell/command.js';
import { CmdletError, PSObject } from '../shell/values.js';
import { checkLockoutPolicy, lockoutPolicyObject, saveLockoutPolicy } from './lockout-support.js';
import { convertForProperty } from './object-parameters.js';
import type { ServerContext } from './server-context.js';
import { typeNamesFor } from './object-output.js';

const policyProp = (name: string) => lockoutPolicySchema.properties.find((p) => p.name === name)!;

function domainDn(ctx: ServerContext): string {
  return ctx.directory.dnsDomain
    .split('.')
    .map((l) => `DC=${l}`)
    .join(',');
}

/** The domain named by -Identity: its distinguished name, DNS name, NetBIOS name or SID. */
function requireDomain(ctx: ServerContext, identity: unknown): void {
  const given = identity instanceof PSObject ? String(identity.get('DistinguishedName') ?? '') : String(identity);
  const id = given
    .trim()
    .toLowerCase()
    .replace(/\s*,\s*/g, ',');
  const names = [domainDn(ctx), ctx.directory.dnsDomain, ctx.directory.netbiosName, ctx.directory.domainSid].map((n) => n.toLowerCase());
  if (!names.includes(id)) {
    throw new CmdletError(`Cannot find an object with identity: '${given}' under: '${domainDn(ctx)}'. This organization's directory is the domain ${ctx.directory.dnsDomain} (${ctx.directory.netbiosName}).`, {
      category: 'ObjectNotFound',
      reason: 'ADIdentityNotFoundException',
      parameter: 'Identity',
    });
  }
}

function policyOutput(ctx: ServerContext, policy: ModelObject): PSObject {
  return new PSObject(typeNamesFor('ADDefaultDomainPasswordPolicy'), [
    ['DistinguishedName', domainDn(ctx)],
    ['LockoutDuration', policy.values.LockoutDuration],
    ['LockoutObservationWindow', policy.values.LockoutObservationWindow],
    ['LockoutThreshold', policy.values.LockoutThreshold],
    ['objectClass', ['domainDNS']],
  ]);
}

/** Parameters of the real cmdlet that Gatehouse does not implement, and why. */
const PASSWORD_RULES =
  'Gatehouse keeps account passwords only to check SMTP AUTH and applies no password length, age, history or complexity policy; of this policy it implements the lockout settings -LockoutThreshold, -LockoutDuration and -LockoutObservationWindow.';
const REFUSED: { name: string; typeName: string; why: string }[] = [
  { name: 'ComplexityEnabled', typeName: 'Boolean', why: PASSWORD_RULES },
  { name: 'MaxPasswordAge', typeName: 'TimeSpan', why: PASSWORD_RULES },
  { name: 'MinPasswordAge', typeName: 'TimeSpan', why: PASSWORD_RULES },
  { name: 'MinPasswordLength', typeName: 'Int32', why: PASSWORD_RULES },
  { name: 'PasswordHistoryCount', typeName: 'Int32', why: PASSWORD_RULES },
  { name: 'ReversibleEncryptionEnabled', typeName: 'Boolean', why: 'Gatehouse never stores passwords with reversible encryption (only scrypt hashes).' },
  { name: 'Server', typeName: 'String', why: 'the directory is the organization store this server uses; run the command in the shell of a Mailbox server of the organization, without -Server.' },
  { name: 'Credential', typeName: 'PSCredential', why: 'the shell acts with the rights of whoever can open the server folder; omit -Credential.' },
  { name: 'AuthType', typeName: 'ADAuthType', why: 'the shell does not bind to a domain controller; omit -AuthType.' },
];

function refuseUnimplemented(args: BoundArguments): void {
  for (const r of REFUSED) {
    if (args.has(r.name)) throw new CmdletError(`Gatehouse does not implement -${r.name} of Set-ADDefaultDomainPasswordPolicy: ${r.why}`, { category: 'NotImplemented', reason: 'NotSupportedException', parameter: r.name });
  }
}

function requireMailbox(ctx: ServerContext, command: string): void {
  if (ctx.role !== 'Mailbox') {
    throw new CmdletError(
      `${command} manages the organization directory's password policy; an Edge Transport server (${ctx.name}) is not part of the directory. Its local accounts follow the local lockout policy: show it with "net accounts", set it with "net accounts /lockoutthreshold:N /lockoutduration:MINUTES /lockoutwindow:MINUTES".`,
      { category: 'InvalidOperation', reason: 'InvalidOperationException' },
    );
  }
}

const identityParam = (mandatory: boolean, extra: Partial<ParameterSpec> = {}): ParameterSpec => ({
  name: 'Identity',
  typeName: 'ADDefaultDomainPasswordPolicy',
  position: 0,
  mandatory,
  valueFromPipeline: true,
  description: 'The domain: its distinguished name (DC=contoso,DC=com), DNS name, NetBIOS name or SID.',
  ...extra,
});

export function passwordPolicyCommands(ctx: ServerContext): CommandSpec[] {
  const settable = ['LockoutDuration', 'LockoutObservationWindow', 'LockoutThreshold'];
  return [
    {
      name: 'Get-ADDefaultDomainPasswordPolicy',
      synopsis: "Shows the domain's account lockout policy (LockoutThreshold, LockoutDuration, LockoutObservationWindow) that SMTP AUTH applies.",
      parameters: [
        identityParam(false, { sets: ['Identity'], mandatory: ['Identity'] }),
        {
          name: 'Current',
          typeName: 'ADCurrentDomainType',
          sets: ['Current'],
          description: 'LoggedOnUser or LocalComputer: the domain of the user or of this server (the same one here).',
          convert: (v) => {
            const s = String(v).toLowerCase();
            if (s === 'loggedonuser') return 'LoggedOnUser';
            if (s === 'localcomputer') return 'LocalComputer';
            throw new ConversionError(`Cannot convert value "${String(v)}" to type "ADCurrentDomainType". Specify one of: LocalComputer, LoggedOnUser.`);
          },
        },
      ],
      defaultParameterSet: 'Current',
      examples: [{ code: 'Get-ADDefaultDomainPasswordPolicy', remarks: "The lockout policy of the organization's domain." }],
      invoke: (args) => {
        requireMailbox(ctx, 'Get-ADDefaultDomainPasswordPolicy');
        if (args.has('Identity')) requireDomain(ctx, args.get('Identity'));
        return [policyOutput(ctx, lockoutPolicyObject(ctx))];
      },
    },
    {
      name: 'Set-ADDefaultDomainPasswordPolicy',
      synopsis: "Changes the domain's account lockout policy; every Mailbox server applies it to SMTP AUTH within seconds.",
      supportsShouldProcess: true,
      confirmImpact: 'Medium',
      parameters: [
        identityParam(true),
        ...settable.map((n): ParameterSpec => ({ name: n, typeName: policyProp(n).typeName, description: policyProp(n).description, convert: convertForProperty(policyProp(n)) })),
        { name: 'PassThru', typeName: 'SwitchParameter', switch: true, description: 'Output the policy.' },
        ...REFUSED.map((r): ParameterSpec => ({ name: r.name, typeName: r.typeName, description: `Not implemented: ${r.why}` })),
      ],
      examples: [
        {
          code: 'Set-ADDefaultDomainPasswordPolicy contoso.com -LockoutThreshold 5 -LockoutDuration 00:30:00 -LockoutObservationWindow 00:30:00',
          remarks: 'Five bad passwords within 30 minutes lock an account for 30 minutes (Unlock-ADAccount ends it sooner).',
        },
      ],
      invoke: async (args: BoundArguments, inv: InvocationContext) => {
        requireMailbox(ctx, 'Set-ADDefaultDomainPasswordPolicy');
        refuseUnimplemented(args);
        requireDomain(ctx, args.get('Identity'));
        const policy = lockoutPolicyObject(ctx);
        const values = { ...policy.values };
        for (const n of settable) if (args.has(n)) values[n] = args.get(n);
        const parameter = settable.find((n) => args.has(n));
        if (parameter) {
          checkLockoutPolicy(values, parameter);
          if (!(await inv.shouldProcess(domainDn(ctx), 'Set'))) return [];
          saveLockoutPolicy(ctx, policy, values, parameter);
        }
        return args.get('PassThru') === true ? [policyOutput(ctx, policy)] : [];
      },
    },
  ];
}

export const passwordPolicyViews = [{ typeName: 'ADDefaultDomainPasswordPolicy', display: 'list' as const }];
