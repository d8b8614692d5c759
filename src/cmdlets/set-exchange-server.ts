// Set-ExchangeServer: the settings of a server record that mean something
// here. MonitoringGroup is published on the metrics endpoint; error reporting
// and customer feedback can only be off (Gatehouse sends nothing to anyone);
// Exchange's licensing, web proxy and Active Directory parameters are refused
// with the reason.

import { serverSchema } from '../config/model/server.js';
import type { CommandSpec, ParameterSpec } from '../shell/command.js';
import { PSObject } from '../shell/values.js';
import { invalidOperation, notFound } from './errors.js';
import { updateObject } from './object-commands.js';
import { applyParameters, schemaParameters } from './object-parameters.js';
import { defaultContext, type ServerContext } from './server-context.js';

const REFUSED: Record<string, string> = {
  ProductKey: 'Gatehouse is open-source software with no product keys or editions to unlock.',
  InternetWebProxy: 'Gatehouse makes no web requests to the Internet (no online services, no updates through a proxy).',
  InternetWebProxyBypassList: 'Gatehouse makes no web requests to the Internet.',
  StaticDomainControllers: 'Gatehouse has no Active Directory domain controllers: the directory is in the configuration store.',
  StaticGlobalCatalogs: 'Gatehouse has no Active Directory global catalogs: the directory is in the configuration store.',
  StaticConfigDomainController: 'Gatehouse has no Active Directory domain controllers: the configuration is in the configuration store.',
  StaticExcludedDomainControllers: 'Gatehouse has no Active Directory domain controllers.',
  WorkloadManagementPolicy: 'Gatehouse has no workload management policies; the transport limits are on Set-TransportService and Set-TransportConfig.',
  DomainController: 'Gatehouse has no domain controllers; the server record is in the configuration store.',
};

export function setExchangeServerCommands(ctx: ServerContext): CommandSpec[] {
  const refused: ParameterSpec[] = Object.entries(REFUSED).map(([name, why]) => ({
    name,
    typeName: name === 'ProductKey' ? 'ProductKey' : name === 'InternetWebProxy' ? 'Uri' : name === 'WorkloadManagementPolicy' ? 'WorkloadManagementPolicyIdParameter' : 'MultiValuedProperty',
    description: `Not available: ${why}`,
  }));
  return [
    {
      name: 'Set-ExchangeServer',
      synopsis: 'Changes a server record: its MonitoringGroup (a label on the metrics endpoint).',
      supportsShouldProcess: true,
      confirmImpact: 'Medium',
      parameters: [
        {
          name: 'Identity',
          typeName: 'ServerIdParameter',
          position: 0,
          mandatory: true,
          valueFromPipeline: true,
          valueFromPipelineByPropertyName: true,
          description: 'The server: its name or FQDN.',
          convert: (v) => (v instanceof PSObject ? String(v.get('Name') ?? v.get('Identity')) : String(v)),
        },
        ...schemaParameters(serverSchema, 'set', [], defaultContext(ctx)),
        ...refused,
      ],
      examples: [{ code: 'Set-ExchangeServer EDGE01 -MonitoringGroup "Perimeter"', remarks: 'Monitoring sees EDGE01 in the group Perimeter (gatehouse_server_info{monitoring_group="Perimeter"}).' }],
      async invoke(args, inv) {
        for (const [name, why] of Object.entries(REFUSED)) {
          if (args.has(name)) throw invalidOperation(`The parameter -${name} is not available in Gatehouse: ${why}`, name);
        }
        const id = String(args.get('Identity')).toLowerCase();
        const server = ctx.repo.list(serverSchema).find((s) => String(s.values.Name).toLowerCase() === id || String(s.values.Fqdn).toLowerCase() === id || s.guid === id);
        if (!server) throw notFound(String(args.get('Identity')), ctx.fqdn);
        const values = { ...server.values };
        applyParameters(serverSchema, values, args, 'set', ctx, defaultContext(ctx));
        if (!(await inv.shouldProcess(String(server.values.Name), 'Setting Exchange server'))) return [];
        ctx.repo.transaction(() => {
          const current = ctx.repo.get(serverSchema, server.guid) ?? server;
          const merged = { ...current.values };
          for (const def of serverSchema.properties) if (args.has(def.name)) merged[def.name] = values[def.name];
          current.values = merged;
          updateObject(ctx, current);
        });
        return [];
      },
    },
  ];
}
