// What `gatehouse setup` stores comes from the config/model schemas: the
// TransportService object holds the schema's defaults for the role, each
// default Receive connector holds its usage's defaults apart from the
// settings Setup gives it, and the "Exchange Servers" group exists once.

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setupServer } from '../setup/setup.js';
import { openServer } from '../setup/server-folder.js';
import type { ModelObject } from '../store/repository.js';
import { adGroupSchema, EXCHANGE_SERVERS_GROUP, localGroupSchema } from './model/account.js';
import { receiveConnectorSchema, setupReceiveConnectors } from './model/receive-connector.js';
import type { ServerRoleName } from './model/server.js';
import { transportServiceSchema } from './model/transport-service.js';
import { defaultValues, type DefaultContext } from './schema.js';

/** Values as stored (JSON), to compare parsed values such as EnhancedTimeSpan and IPBinding. */
const plain = (v: unknown) => JSON.parse(JSON.stringify(v ?? null)) as unknown;

/** The settings Setup gives each default connector over its usage's defaults. */
const SET_BY_SETUP = ['Name', 'Usage', 'Bindings', 'RemoteIPRanges', 'AuthMechanism', 'PermissionGroups', 'MaxRecipientsPerMessage'];

describe('setup stores the schema defaults', () => {
  const dir = mkdtempSync(join(tmpdir(), 'gatehouse-setup-defaults-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  const servers: [ServerRoleName, string, string, string[]][] = [
    ['EdgeTransport', 'EDGE01', 'edge01.contoso.net', ['Default internal Receive connector EDGE01 (0.0.0.0:25)']],
    ['Mailbox', 'MBX01', 'mbx01.contoso.com', ['Default MBX01 (0.0.0.0:25, [::]:25)', 'Client MBX01 (0.0.0.0:587, [::]:587)']],
  ];
  for (const [role, name, fqdn, connectorLines] of servers) {
    it(`${role}: TransportService, Receive connectors and the Exchange Servers group`, async () => {
      const data = join(dir, name);
      const result = await setupServer({ role, name, fqdn, dataDir: data, ...(role === 'Mailbox' && { orgPath: join(dir, 'organization.db') }) });
      assert.ok(result.lines.includes(`Receive connectors: ${connectorLines.join('; ')}.`), result.lines.join('\n'));

      const server = openServer(data);
      try {
        const ctx: DefaultContext = { role, serverName: name, serverFqdn: fqdn };
        const ts = server.repo.findByName(transportServiceSchema, name, name);
        assert.ok(ts, 'setup stores a TransportService object');
        assert.deepEqual(plain(ts.values), plain({ ...defaultValues(transportServiceSchema, ctx), Name: name }));

        const stored = server.repo.list(receiveConnectorSchema, name);
        const made = setupReceiveConnectors(ctx);
        assert.deepEqual(stored.map((c) => c.values.Name).sort(), made.map((c) => c.Name).sort());
        for (const c of stored as ModelObject[]) {
          const usageDefaults = defaultValues(receiveConnectorSchema, { ...ctx, usage: String(c.values.Usage) });
          for (const [k, v] of Object.entries(usageDefaults)) {
            if (SET_BY_SETUP.includes(k)) continue;
            assert.deepEqual(plain(c.values[k]), plain(v), `${String(c.values.Name)}: ${k}`);
          }
          const given = made.find((m) => m.Name === c.values.Name)!;
          for (const k of SET_BY_SETUP) if (k in given) assert.deepEqual(plain(c.values[k]), plain(given[k]), `${String(c.values.Name)}: ${k}`);
        }

        const groups = server.repo.list(role === 'EdgeTransport' ? localGroupSchema : adGroupSchema).filter((g) => g.values.Name === EXCHANGE_SERVERS_GROUP);
        assert.equal(groups.length, 1);
        assert.match(String(groups[0].values.SID), /^S-1-5-21-\d+-\d+-\d+-\d+$/);
      } finally {
        await server.close();
      }
    });
  }
});
