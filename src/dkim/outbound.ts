// Which outbound mail is DKIM-signed, and with which key: the running
// service's view of the DkimSigningConfig objects (the private key still
// sealed; it is opened when it first signs and kept in memory), and the rule
// for connectors: mail is signed when it leaves for the Internet, i.e. over a
// Send connector of Usage Internet or one that routes by DNS (MX), never over
// an Internal connector or between the organization's own servers.

import { activeSelector, dkimSigningConfigSchema } from '../config/model/dkim-signing-config.js';
import type { SendConnectorConfig } from '../routing/send-connector-config.js';
import type { Repository } from '../store/repository.js';
import { arcSealPlan, sealArc, type ArcSealPlan } from './arc-seal.js';
import { fromDomain, signMessage, type DkimSigningKey } from './sign.js';

export interface DkimRule {
  domain: string;
  enabled: boolean;
  selector: string;
  /** The sealed private key of the signing selector, and the purpose it was sealed with. */
  sealedKey: string;
  purpose: string;
  canonicalization: string;
}

/** The signing rules of the configuration store (one per domain). */
export function loadDkimRules(repo: Repository, now: Date = new Date()): DkimRule[] {
  return repo.list(dkimSigningConfigSchema).flatMap((o) => {
    const v = o.values;
    const selector = activeSelector(v, now);
    const property = selector === 'selector1' ? 'Selector1PrivateKey' : 'Selector2PrivateKey';
    const sealed = v[property];
    if (typeof sealed !== 'string' || sealed === '') return [];
    return [
      {
        domain: String(v.Domain).toLowerCase(),
        enabled: v.Enabled === true,
        selector,
        sealedKey: sealed,
        purpose: `${dkimSigningConfigSchema.typeName}/${o.guid}/${property}`,
        canonicalization: `${String(v.HeaderCanonicalization ?? 'Relaxed')}/${String(v.BodyCanonicalization ?? 'Relaxed')}`.toLowerCase(),
      },
    ];
  });
}

/** Whether mail over this connector leaves for the Internet (and so is signed). */
export function signsOver(connector: SendConnectorConfig): boolean {
  if (connector.guid.startsWith('intraorg:') || connector.usage === 'Internal') return false;
  return connector.usage === 'Internet' || connector.dnsRoutingEnabled;
}

/**
 * Signs outbound messages with the keys of the rules; opens each sealed key
 * once (keyed by its sealed form, so a rotated key is opened anew).
 */
export class DkimOutboundSigner {
  private readonly opened = new Map<string, string>();

  constructor(private readonly open: (sealed: string, purpose: string) => string) {}

  /** The rule that signs this message over this connector, if any. */
  ruleFor(rules: readonly DkimRule[], connector: SendConnectorConfig, message: Buffer): DkimRule | null {
    if (rules.length === 0 || !signsOver(connector)) return null;
    const domain = fromDomain(message);
    if (!domain) return null;
    const rule = rules.find((r) => r.domain === domain);
    return rule && rule.enabled ? rule : null;
  }

  async sign(rule: DkimRule, message: Buffer): Promise<Buffer> {
    const key: DkimSigningKey = { domain: rule.domain, selector: rule.selector, privateKeyPem: this.privateKey(rule), canonicalization: rule.canonicalization };
    return signMessage(message, key);
  }

  /**
   * ARC sealing (arc-seal.ts) of a message leaving for the Internet over this connector: null when
   * there is nothing to seal (not to the Internet, or no Authentication-Results of `ownIds`);
   * else the plan and the rule of `sealDomain` (the default accepted domain), null when that
   * domain has no enabled DkimSigningConfig.
   */
  arcFor(rules: readonly DkimRule[], sealDomain: string | null, ownIds: readonly string[], connector: SendConnectorConfig, message: Buffer): { plan: ArcSealPlan; rule: DkimRule | null } | null {
    if (!signsOver(connector)) return null;
    const plan = arcSealPlan(message, ownIds);
    if (!plan) return null;
    const rule = sealDomain ? (rules.find((r) => r.domain === sealDomain.toLowerCase() && r.enabled) ?? null) : null;
    return { plan, rule };
  }

  async seal(rule: DkimRule, plan: Extract<ArcSealPlan, { seal: true }>, message: Buffer): Promise<Buffer> {
    return sealArc(message, { domain: rule.domain, selector: rule.selector, privateKeyPem: this.privateKey(rule) }, plan);
  }

  private privateKey(rule: DkimRule): string {
    let pem = this.opened.get(rule.sealedKey);
    if (pem === undefined) {
      pem = this.open(rule.sealedKey, rule.purpose);
      if (this.opened.size > 1000) this.opened.clear();
      this.opened.set(rule.sealedKey, pem);
    }
    return pem;
  }
}
