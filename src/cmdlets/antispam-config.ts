// Get- and Set- for the settings of the Edge's anti-spam agents
// (Get-SenderFilterConfig, Set-RecipientFilterConfig, Set-IPBlockListConfig,
// ...; spec exchange-edge-agents.md §3): one object each, Exchange's defaults
// until an admin changes one, validated by the schema like every other
// object, and applied live by the running Edge.

import { ANTISPAM_CONFIGS } from '../config/model/antispam.js';
import { configValues } from '../agents/antispam-settings.js';
import type { CommandSpec } from '../shell/command.js';
import { CmdletError, type ObjectView } from '../shell/values.js';
import { newModelObject } from '../store/repository.js';
import { updateObject } from './object-commands.js';
import { toPSObject } from './object-output.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultContext, type ServerContext } from './server-context.js';
import { edgeOnly } from './transport-agent.js';

const EXAMPLES: Record<string, { code: string; remarks: string }[]> = {
  SenderFilterConfig: [
    {
      code: 'Set-SenderFilterConfig -BlockedSenders spammer@fabrikam.com -BlockedDomainsAndSubdomains spam.example -BlankSenderBlockingEnabled $true',
      remarks: 'Refuses a sender, a domain with its subdomains, and the blank sender, at MAIL FROM (554 5.1.0 Sender Denied).',
    },
  ],
  RecipientFilterConfig: [
    { code: 'Set-RecipientFilterConfig -BlockListEnabled $true -BlockedRecipients ceo@contoso.com', remarks: 'Refuses mail from the Internet to ceo@contoso.com at RCPT TO (550 5.1.1 User unknown).' },
    {
      code: 'Set-RecipientFilterConfig -RecipientValidationEnabled $true -RecipientValidationNegativeCacheLifetime 00:05:00',
      remarks:
        "Refuses mail to addresses of the authoritative domains that no mailbox or group has (550 5.1.10 RESOLVER.ADR.RecipientNotFound at RCPT TO). The Edge has no recipient list without EdgeSync: it asks the Mailbox servers through the Send connector to the inside (MAIL FROM:<>, RCPT TO, RSET; no message is sent), as Postfix's reject_unverified_recipient does, and keeps each answer for the cache lifetime (a day for addresses that exist, here five minutes for those that do not). When the inside cannot be asked, senders are told to try again later (451 4.4.3).",
    },
  ],
  IPBlockListConfig: [{ code: 'Set-IPBlockListConfig -StaticEntryRejectionResponse "Your address is blocked here; write to postmaster@contoso.com"', remarks: 'The reply a client on the IP Block list gets.' }],
  IPAllowListConfig: [{ code: 'Set-IPAllowListConfig -InternalMailEnabled $true', remarks: 'The IP Allow list also applies to authenticated sessions.' }],
  SenderIdConfig: [{ code: 'Set-SenderIdConfig -SpoofedDomainAction Reject -BypassedSenderDomains partner.example', remarks: "Refuses mail whose sender domain's SPF record says Fail, except from partner.example." }],
  DmarcConfig: [
    {
      code: 'Set-DmarcConfig -DmarcRejectAction Quarantine -QuarantineMailbox spam@contoso.com -BypassedSenderDomains lists.fabrikam.com',
      remarks: 'Mail that fails DMARC under a p=reject or p=quarantine policy goes to spam@contoso.com instead of being refused; the policy of lists.fabrikam.com is not applied (its verdict is still stamped in Authentication-Results).',
    },
    { code: 'Set-DmarcConfig -HonorDmarcPolicy $false', remarks: 'Report-only: DKIM, ARC and DMARC are still checked, stamped (dmarc=fail action=oreject) and scored by the content filter, and no policy is applied.' },
  ],
  ContentFilterConfig: [
    {
      code: 'Set-ContentFilterConfig -SCLRejectEnabled $true -SCLRejectThreshold 7 -SCLQuarantineEnabled $true -SCLQuarantineThreshold 5 -QuarantineMailbox spam@contoso.com',
      remarks: 'Refuses mail scored 7 or more, and sends mail scored 5 or 6 to spam@contoso.com.',
    },
    {
      code: 'Set-ContentFilterConfig -RspamdUrl http://127.0.0.1:11333 -RspamdTimeout 00:00:05',
      remarks:
        'A Gatehouse setting: each scored message is also posted to the rspamd normal worker on this machine, and its verdict counts (reject gives SCL 9, rewrite subject 7, add header 6, greylist or soft reject 4). When rspamd gives no answer within 5 seconds the message is scored without it and a warning is logged. -RspamdUrl $null stops asking it.',
    },
  ],
  AttachmentFilterListConfig: [{ code: 'Set-AttachmentFilterListConfig -Action SilentDelete -ExceptionConnectors "From Internal Org"', remarks: 'Drops filtered messages without a word, except those the Mailbox servers send.' }],
  SenderReputationConfig: [
    {
      code: 'Set-SenderReputationConfig -SrlBlockThreshold 6 -SenderBlockingPeriod 48',
      remarks: 'Blocks a source address for two days once its sender reputation level reaches 6 (after 20 messages: the share of its mail scored as spam, of its recipients refused, or of its messages with a forged HELO name).',
    },
  ],
  IPBlockListProvidersConfig: [{ code: 'Set-IPBlockListProvidersConfig -BypassedRecipients postmaster@contoso.com', remarks: 'postmaster@contoso.com still gets mail from clients a DNS block list names.' }],
};

/** An agent as a sentence names it: "the sender filter", "the DMARC agent". */
function agentName(agent: string): string {
  const base = agent.replace(/ Agent$/, '');
  return base === base.toUpperCase() ? `${base} agent` : base.toLowerCase();
}

export function antispamConfigCommands(ctx: ServerContext): CommandSpec[] {
  return ANTISPAM_CONFIGS.flatMap(({ schema, name, agent }): CommandSpec[] => [
    {
      name: `Get-${name}`,
      synopsis: `Shows the settings of the ${agentName(agent)} (${schema.label}).`,
      parameters: [],
      examples: [{ code: `Get-${name} | Format-List`, remarks: "Every setting, with Exchange's defaults until one is changed." }],
      invoke: () => {
        edgeOnly(ctx, `Get-${name}`);
        const stored = ctx.repo.findByName(schema, '', name);
        return [toPSObject(stored ?? newModelObject(schema, '', { Name: name, ...configValues(ctx.repo, schema, name, defaultContext(ctx)) }), { Identity: name })];
      },
    },
    {
      name: `Set-${name}`,
      synopsis: `Changes the settings of the ${agentName(agent)}; the running Edge applies them at once.`,
      parameters: schemaParameters(schema, 'set'),
      supportsShouldProcess: true,
      confirmImpact: 'Medium',
      examples: EXAMPLES[name],
      invoke: async (args, inv) => {
        edgeOnly(ctx, `Set-${name}`);
        const values: Record<string, unknown> = configValues(ctx.repo, schema, name, defaultContext(ctx));
        applyParameters(schema, values, args, 'set', ctx, defaultContext(ctx));
        if (name === 'ContentFilterConfig' && values.SCLQuarantineEnabled === true && !values.QuarantineMailbox) {
          throw new CmdletError('SCLQuarantineEnabled $true needs a QuarantineMailbox: give the address quarantined mail goes to (-QuarantineMailbox spam@contoso.com).', {
            category: 'InvalidArgument',
            reason: 'DataValidationException',
            parameter: 'QuarantineMailbox',
          });
        }
        if (!(await inv.shouldProcess(name, `Setting ${schema.label}`))) return [];
        ctx.repo.transaction(() => {
          const stored = ctx.repo.findByName(schema, '', name);
          if (stored) {
            stored.values = { ...values, Name: name };
            updateObject(ctx, stored);
          } else {
            ctx.repo.insert(newModelObject(schema, '', { ...values, Name: name }));
          }
        });
        return [];
      },
    },
  ]);
}

export const antispamConfigViews: ObjectView[] = ANTISPAM_CONFIGS.map(({ schema }) => ({ typeName: schema.typeName, display: 'list' as const, list: schema.properties.map((p) => p.name).filter((n) => n !== 'Name') }));
