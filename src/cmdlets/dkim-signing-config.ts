// New-, Get-, Set- and Rotate-DkimSigningConfig, as in Exchange Online: the
// DKIM signing of one domain's outbound mail. New- makes selector1's key pair
// and signs with it once Enabled; Get- shows, instead of Exchange Online's
// CNAMEs to its own zone, the DNS TXT records to publish (Selector1TxtRecord,
// Selector2TxtRecord); Rotate- gives the other selector a new key and signs
// with it at once, the old selector's record staying listed (and to be kept
// published) for RETIRED_KEY_PUBLISH_DAYS days. Gatehouse's own -KeyType
// Ed25519 makes an RFC 8463 key. The running service follows a change live
// (dkim/outbound.ts): mail from the domain leaving for the Internet is signed.

import {
  activeSelector,
  CanonicalizationType,
  DKIM_RSA_KEY_SIZES,
  dkimSigningConfigSchema,
  dkimTxtRecord,
  DkimKeyType,
  otherSelector,
  recordsToPublish,
  RETIRED_KEY_PUBLISH_DAYS,
  retiredPublishUntil,
  type DkimSelector,
} from '../config/model/dkim-signing-config.js';
import { findProperty } from '../config/schema.js';
import { SmtpDomainWithSubdomains } from '../config/types/index.js';
import { generateDkimKey } from '../dkim/keys.js';
import { ConversionError, type CommandSpec, type ParameterSpec } from '../shell/command.js';
import type { ObjectView } from '../shell/values.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { invalidOperation } from './errors.js';
import { assertUnchanged, checkAndWrite, insertObject, tableView, updateObject } from './object-commands.js';
import { findObject, findObjects, identityParameter, objectNames } from './object-identity.js';
import { toPSObject } from './object-output.js';
import { convertForProperty } from './object-parameters.js';
import type { ServerContext } from './server-context.js';

const schema = dkimSigningConfigSchema;

function propertyParameter(name: string, extra: Partial<ParameterSpec> = {}): ParameterSpec {
  const def = findProperty(schema, name)!;
  return { name: def.name, typeName: def.typeName, description: def.description, convert: convertForProperty(def), ...extra };
}

const keySizeParameter: ParameterSpec = {
  name: 'KeySize',
  typeName: 'UInt16',
  defaultValue: '2048',
  description: 'The size in bits of the new RSA key: 1024 or 2048 (the default). Not used with -KeyType Ed25519 (Ed25519 keys are 256 bits).',
  convert: (v) => {
    const n = Number(Array.isArray(v) && v.length === 1 ? v[0] : v);
    if (!DKIM_RSA_KEY_SIZES.includes(n as 1024 | 2048)) throw new ConversionError(`"${String(v)}" is not a valid KeySize. Valid values are ${DKIM_RSA_KEY_SIZES.join(' and ')}.`);
    return n;
  },
};

const keyTypeParameter: ParameterSpec = {
  name: 'KeyType',
  typeName: 'DkimKeyType',
  defaultValue: 'RSA',
  completions: () => [...DkimKeyType.values],
  description:
    "Gatehouse's own (Exchange Online signs with RSA only): RSA (rsa-sha256, the default) or Ed25519 (ed25519-sha256, RFC 8463). Receivers that do not know Ed25519 treat such a signature as absent, so sign with Ed25519 only where the receivers are known to verify it.",
  convert: (v) => {
    try {
      return DkimKeyType.parse(v);
    } catch (err) {
      throw new ConversionError((err as Error).message);
    }
  },
};

function keyChoice(args: { has(n: string): boolean; get(n: string): unknown }, current?: { keyType: string; bits: number }): { keyType: 'RSA' | 'Ed25519'; bits: number } {
  const keyType = (args.has('KeyType') ? String(args.get('KeyType')) : (current?.keyType ?? 'RSA')) as 'RSA' | 'Ed25519';
  if (keyType === 'Ed25519') {
    if (args.has('KeySize')) throw invalidOperation('KeySize applies to RSA keys only: an Ed25519 key is always 256 bits. Leave out -KeySize, or use -KeyType RSA.', 'KeySize');
    return { keyType, bits: 256 };
  }
  const bits = args.has('KeySize') ? Number(args.get('KeySize')) : current?.keyType === 'RSA' ? current.bits : 2048;
  return { keyType, bits };
}

function sel(n: DkimSelector): '1' | '2' {
  return n === 'selector1' ? '1' : '2';
}

/** What Get- adds to the stored properties: Status and the DNS records to publish. */
function computed(obj: ModelObject, now = new Date()): Record<string, unknown> {
  const v = obj.values;
  const publish = recordsToPublish(v, now);
  const record = (s: DkimSelector) => {
    const value = v[`Selector${sel(s)}PublicKey`];
    if (typeof value !== 'string' || value === '') return null;
    const line = dkimTxtRecord(String(v.Domain), s, value);
    return publish.includes(line) ? line : null;
  };
  const until = retiredPublishUntil(v);
  return {
    Status: v.Enabled === true ? 'Valid' : 'Disabled',
    Selector1TxtRecord: record('selector1'),
    Selector2TxtRecord: record('selector2'),
    RetiredSelectorPublishUntil: until && now.getTime() < until.getTime() ? until : null,
    IsDefault: false,
  };
}

function output(ctx: ServerContext, obj: ModelObject) {
  return toPSObject(ctx.repo.get(schema, obj.guid) ?? obj, computed(ctx.repo.get(schema, obj.guid) ?? obj));
}

export function dkimSigningConfigCommands(ctx: ServerContext): CommandSpec[] {
  const newConfig: CommandSpec = {
    name: 'New-DkimSigningConfig',
    synopsis:
      'Creates the DKIM signing configuration of a domain: a key pair for selector1 (selector2 gets one at the first rotation); once Enabled, mail from the domain leaving for the Internet is signed. Publish the TXT record that Get-DkimSigningConfig shows before enabling.',
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [
      {
        name: 'DomainName',
        typeName: 'SmtpDomainWithSubdomains',
        position: 0,
        mandatory: true,
        description: 'The domain to sign for (d=): mail whose From address is in it is signed. One configuration per domain.',
        convert: (v) => {
          try {
            const d = SmtpDomainWithSubdomains.parse(String(v));
            if (String(d).startsWith('*')) throw new Error('a wildcard domain cannot sign: give the domain itself (contoso.com)');
            return String(d).toLowerCase();
          } catch (err) {
            throw new ConversionError(`"${String(v)}" is not a valid domain for DKIM signing: ${(err as Error).message}`);
          }
        },
      },
      propertyParameter('Enabled', { position: 1, mandatory: true }),
      { name: 'AdminDisplayName', typeName: 'String', description: 'A description of the configuration.', convert: (v) => (v === null ? null : String(v)) },
      propertyParameter('BodyCanonicalization', { defaultValue: 'Relaxed', completions: () => [...CanonicalizationType.values] }),
      propertyParameter('HeaderCanonicalization', { defaultValue: 'Relaxed', completions: () => [...CanonicalizationType.values] }),
      keySizeParameter,
      keyTypeParameter,
    ],
    examples: [
      {
        code: 'New-DkimSigningConfig -DomainName contoso.com -KeySize 2048 -Enabled $true',
        remarks: "contoso.com's mail leaving for the Internet is signed with a new 2048-bit RSA key (selector1). Publish the record that Get-DkimSigningConfig contoso.com | Format-List shows in Selector1TxtRecord.",
      },
      { code: 'New-DkimSigningConfig -DomainName fabrikam.com -Enabled $false', remarks: "Makes fabrikam.com's key without signing yet: publish its TXT record, then Set-DkimSigningConfig fabrikam.com -Enabled $true." },
      { code: 'New-DkimSigningConfig -DomainName contoso.com -KeyType Ed25519 -Enabled $true', remarks: 'Signs with an Ed25519 key (RFC 8463), a Gatehouse extension.' },
    ],
    async invoke(args, inv) {
      const domain = String(args.get('DomainName'));
      const { keyType, bits } = keyChoice(args);
      const existing = () => ctx.repo.list(schema).find((o) => String(o.values.Domain).toLowerCase() === domain);
      const clash = () => (existing() ? [{ property: 'DomainName', message: `A DKIM signing configuration for ${domain} already exists. Change it with Set-DkimSigningConfig, or make a new key with Rotate-DkimSigningConfig.` }] : []);
      if (existing()) throw invalidOperation(clash()[0].message, 'DomainName');
      if (!(await inv.shouldProcess(domain, 'Creating DKIM signing configuration'))) return [];
      const key = generateDkimKey(keyType, bits);
      const now = new Date();
      const values: Record<string, unknown> = {
        Name: domain,
        Domain: domain,
        Enabled: args.get('Enabled') === true,
        AdminDisplayName: args.has('AdminDisplayName') ? args.get('AdminDisplayName') : null,
        BodyCanonicalization: args.has('BodyCanonicalization') ? args.get('BodyCanonicalization') : 'Relaxed',
        HeaderCanonicalization: args.has('HeaderCanonicalization') ? args.get('HeaderCanonicalization') : 'Relaxed',
        KeyType: keyType,
        Selector1KeySize: bits,
        Selector2KeySize: null,
        Selector1PublicKey: key.txtValue,
        Selector2PublicKey: null,
        Selector1PrivateKey: key.privateKeyPem,
        Selector2PrivateKey: null,
        SelectorBeforeRotateOnDate: 'selector1',
        SelectorAfterRotateOnDate: 'selector1',
        RotateOnDate: now,
        KeyCreationTime: now,
      };
      const obj = newModelObject(schema, '', values);
      checkAndWrite(ctx, clash, () => insertObject(ctx, obj));
      return [output(ctx, obj)];
    },
  };

  const get: CommandSpec = {
    name: 'Get-DkimSigningConfig',
    synopsis: 'Lists the DKIM signing configurations, with the DNS TXT records to publish for each (Format-List shows them).',
    parameters: [identityParameter('DkimSigningConfigIdParameter', false, objectNames(ctx, schema))],
    examples: [
      { code: 'Get-DkimSigningConfig', remarks: 'Lists the domains, whether they sign, and their status.' },
      { code: 'Get-DkimSigningConfig -Identity contoso.com | Format-List Domain,Enabled,Selector1TxtRecord,Selector2TxtRecord', remarks: 'Shows the DNS TXT records to publish for contoso.com.' },
    ],
    invoke(args) {
      const found = findObjects(ctx, schema, args.get('Identity') as string | null | undefined);
      found.sort((a, b) => String(a.values.Name).localeCompare(String(b.values.Name)));
      return found.map((o) => toPSObject(o, computed(o)));
    },
  };

  const set: CommandSpec = {
    name: 'Set-DkimSigningConfig',
    synopsis: "Changes a domain's DKIM signing: turns it on or off, its canonicalization or description.",
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [
      identityParameter('DkimSigningConfigIdParameter', true, objectNames(ctx, schema)),
      propertyParameter('Enabled'),
      { name: 'AdminDisplayName', typeName: 'String', description: 'A description of the configuration.', convert: (v) => (v === null ? null : String(v)) },
      propertyParameter('BodyCanonicalization', { completions: () => [...CanonicalizationType.values] }),
      propertyParameter('HeaderCanonicalization', { completions: () => [...CanonicalizationType.values] }),
      { name: 'PublishTxtRecords', typeName: 'SwitchParameter', switch: true, description: "Exchange Online only (it publishes records in its own DNS zone). Refused: publish the records Get-DkimSigningConfig shows in your domain's DNS." },
    ],
    examples: [
      { code: 'Set-DkimSigningConfig -Identity contoso.com -Enabled $false', remarks: "contoso.com's mail is no longer signed; its keys are kept." },
      { code: 'Set-DkimSigningConfig contoso.com -BodyCanonicalization Simple', remarks: 'Signs the body with simple canonicalization (c=relaxed/simple).' },
    ],
    async invoke(args, inv) {
      if (args.has('PublishTxtRecords'))
        throw invalidOperation(
          "PublishTxtRecords is only available in Exchange Online, which publishes the records in its own DNS. Publish the records in Get-DkimSigningConfig's Selector1TxtRecord and Selector2TxtRecord in your domain's DNS.",
          'PublishTxtRecords',
        );
      const obj = findObject(ctx, schema, String(args.get('Identity')));
      const values = { ...obj.values };
      for (const name of ['Enabled', 'AdminDisplayName', 'BodyCanonicalization', 'HeaderCanonicalization']) if (args.has(name)) values[name] = args.get(name);
      if (!(await inv.shouldProcess(String(obj.values.Name), 'Setting DKIM signing configuration'))) return [];
      checkAndWrite(
        ctx,
        () => [],
        () => {
          assertUnchanged(ctx, obj);
          obj.values = values;
          updateObject(ctx, obj);
        },
      );
      return [];
    },
  };

  const rotate: CommandSpec = {
    name: 'Rotate-DkimSigningConfig',
    synopsis: `Makes a new key for the selector not in use and signs with it from now on. The old selector's TXT record must stay published for ${RETIRED_KEY_PUBLISH_DAYS} more days (RetiredSelectorPublishUntil), for mail signed before the rotation; publish the new selector's record at once.`,
    supportsShouldProcess: true,
    confirmImpact: 'Medium',
    parameters: [
      identityParameter('DkimSigningConfigIdParameter', true, objectNames(ctx, schema)),
      { ...keySizeParameter, defaultValue: "the current key's size", description: 'The size in bits of the new RSA key: 1024 or 2048 (default: the size of the key in use).' },
      { ...keyTypeParameter, defaultValue: "the current key's type", description: "Gatehouse's own: the type of the new key, RSA or Ed25519 (default: the type of the key in use)." },
      {
        name: 'Force',
        typeName: 'SwitchParameter',
        switch: true,
        description: `Gatehouse's own: rotate although the selector to reuse still holds the key of the previous rotation (fewer than ${RETIRED_KEY_PUBLISH_DAYS} days old); mail signed with that key no longer verifies once its record is replaced. For a key that leaked.`,
      },
    ],
    examples: [
      { code: 'Rotate-DkimSigningConfig -Identity contoso.com', remarks: "contoso.com's mail is signed with a new key on the other selector; publish its TXT record and keep the old one published." },
      { code: 'Rotate-DkimSigningConfig -Identity contoso.com -KeySize 2048', remarks: 'The new key is 2048 bits (to move a domain from 1024-bit keys).' },
    ],
    async invoke(args, inv) {
      const obj = findObject(ctx, schema, String(args.get('Identity')));
      const v = obj.values;
      const now = new Date();
      const from = activeSelector(v, now);
      const to = otherSelector(from);
      const until = retiredPublishUntil(v);
      const otherHasKey = typeof v[`Selector${sel(to)}PublicKey`] === 'string';
      if (otherHasKey && until && now.getTime() < until.getTime() && !args.has('Force')) {
        throw invalidOperation(
          `${to} still holds the key that signed ${String(v.Domain)}'s mail until the rotation of ${(v.RotateOnDate as Date).toISOString()}: its TXT record must stay published until ${until.toISOString()} so that mail signed before the rotation still verifies. Rotate again after that date (or with -Force if the key leaked).`,
          'Identity',
        );
      }
      const current = { keyType: String(v.KeyType ?? 'RSA'), bits: Number(v[`Selector${sel(from)}KeySize`] ?? 2048) };
      const { keyType, bits } = keyChoice(args, current);
      if (!(await inv.shouldProcess(String(v.Name), `Rotating DKIM signing configuration to ${to}`))) return [];
      const key = generateDkimKey(keyType, bits);
      const values = {
        ...v,
        KeyType: keyType,
        [`Selector${sel(to)}KeySize`]: bits,
        [`Selector${sel(to)}PublicKey`]: key.txtValue,
        [`Selector${sel(to)}PrivateKey`]: key.privateKeyPem,
        SelectorBeforeRotateOnDate: from,
        SelectorAfterRotateOnDate: to,
        RotateOnDate: now,
        KeyCreationTime: now,
      };
      checkAndWrite(
        ctx,
        () => [],
        () => {
          assertUnchanged(ctx, obj);
          obj.values = values;
          updateObject(ctx, obj);
        },
      );
      inv.warn(
        `${String(v.Domain)} is signed with ${to} from now on: publish ${to}'s TXT record (Get-DkimSigningConfig ${String(v.Domain)} | Format-List Selector*TxtRecord) and keep ${from}'s published until ${new Date(now.getTime() + RETIRED_KEY_PUBLISH_DAYS * 86_400_000).toISOString()}.`,
      );
      return [];
    },
  };

  return [newConfig, get, set, rotate];
}

export const dkimSigningConfigViews: ObjectView[] = [tableView('DkimSigningConfig', ['Domain', 'Enabled', 'Status'])];
