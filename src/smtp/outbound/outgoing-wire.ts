// The bytes a message leaves with over a Send connector: organization headers
// removed unless the connector is Internal (the header firewall), then a DKIM
// signature (New-DkimSigningConfig) over the exact bytes sent, then an ARC
// seal for mail from the Internet that is forwarded out (RFC 8617). A key
// that cannot sign or seal is logged and the message goes without.

import type { DkimOutboundSigner } from '../../dkim/outbound.js';
import type { Logger } from '../../observability/logger.js';
import type { TransportConfig } from '../../config/transport-config.js';
import type { SendConnectorConfig } from '../../routing/send-connector-config.js';
import { firewallForSend } from '../message-headers.js';

export interface WireDeps {
  /** DKIM signing of mail leaving for the Internet; absent: nothing is signed or sealed. */
  dkim?: DkimOutboundSigner;
  log: Logger;
}

/** The message's bytes as they go to this connector. */
export async function outgoingWire(deps: WireDeps, messageId: number, body: Buffer, connector: SendConnectorConfig, config: TransportConfig): Promise<Buffer> {
  // Organization headers go only to Internal connectors (and other servers of the organization).
  let wire = connector.usage === 'Internal' ? body : firewallForSend(body, { organization: true, routing: connector.usage === 'Custom' });
  // DKIM: signed last, over the exact bytes sent. A key that cannot sign is logged and the message goes unsigned.
  const dkimRule = deps.dkim?.ruleFor(config.dkim ?? [], connector, wire);
  if (dkimRule) {
    try {
      wire = await deps.dkim!.sign(dkimRule, wire);
    } catch (err) {
      deps.log.log('error', 'delivery.dkim.failed', {
        internalId: messageId,
        domain: dkimRule.domain,
        selector: dkimRule.selector,
        error: (err as Error).message,
        action: `check the domain's key: Get-DkimSigningConfig ${dkimRule.domain} | Format-List; Rotate-DkimSigningConfig ${dkimRule.domain} makes a new one`,
      });
    }
  }
  // ARC (RFC 8617): mail from the Internet leaving again is sealed after the DKIM signature.
  const arc = deps.dkim?.arcFor(config.dkim ?? [], config.arcSealDomain ?? null, [config.fqdn, ...config.receiveConnectors.map((c) => c.fqdn)], connector, wire);
  if (arc) wire = await arcSeal(deps, messageId, arc, wire, config);
  return wire;
}

async function arcSeal(deps: WireDeps, messageId: number, arc: NonNullable<ReturnType<DkimOutboundSigner['arcFor']>>, wire: Buffer, config: TransportConfig): Promise<Buffer> {
  const { plan, rule } = arc;
  const domain = config.arcSealDomain ?? '(no default accepted domain)';
  if (!plan.seal) {
    deps.log.log('info', 'delivery.arc.not-sealed', { internalId: messageId, reason: plan.reason });
    return wire;
  }
  if (!rule) {
    deps.log.log('info', 'delivery.arc.no-key', {
      internalId: messageId,
      domain,
      action: `to ARC-seal mail from the Internet that is forwarded out: New-DkimSigningConfig -DomainName ${domain} -KeySize 2048 -Enabled $true (the default accepted domain's key seals)`,
    });
    return wire;
  }
  try {
    const sealed = await deps.dkim!.seal(rule, plan, wire);
    deps.log.log('info', 'delivery.arc.sealed', { internalId: messageId, domain: rule.domain, selector: rule.selector, instance: plan.instance, cv: plan.cv });
    return sealed;
  } catch (err) {
    deps.log.log('error', 'delivery.arc.failed', {
      internalId: messageId,
      domain: rule.domain,
      selector: rule.selector,
      error: (err as Error).message,
      action: `ARC needs an RSA key: Rotate-DkimSigningConfig ${rule.domain} -KeyType RSA -KeySize 2048, or check Get-DkimSigningConfig ${rule.domain} | Format-List`,
    });
    return wire;
  }
}
