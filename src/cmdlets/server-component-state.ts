// Get-ServerComponentState and Set-ServerComponentState: Exchange 2013's
// maintenance mode (spec exchange-management.md §5). Each requester's wish is
// kept; a component is Active only when no requester holds it Inactive or
// Draining. The running transport service follows HubTransport live:
// Draining refuses new mail with 421 4.3.2 and delivers what it holds.

import { COMPONENTS, DRAINABLE, REQUESTERS, STATES, componentName, effectiveState, serverComponentStateSchema, type ComponentStateValue, type RequesterState } from '../config/model/server-component-state.js';
import { serverSchema } from '../config/model/server.js';
import { newModelObject, type ModelObject } from '../store/repository.js';
import { ConversionError, type CommandSpec, type ParameterSpec } from '../shell/command.js';
import { PSObject } from '../shell/values.js';
import { invalidOperation, notFound } from './errors.js';
import { UtcDate } from './object-output.js';
import type { ServerContext } from './server-context.js';

const schema = serverComponentStateSchema;

function serverByIdentity(ctx: ServerContext, identity: unknown): ModelObject {
  const v = identity instanceof PSObject ? String(identity.get('Name') ?? identity.get('Identity')) : String(identity);
  const id = v.toLowerCase();
  const found = ctx.repo.list(serverSchema).find((s) => String(s.values.Name).toLowerCase() === id || String(s.values.Fqdn).toLowerCase() === id || s.guid === id);
  if (!found) throw notFound(v, ctx.fqdn);
  return found;
}

function statesOf(ctx: ServerContext, server: string): Map<string, { obj: ModelObject; requesters: RequesterState[] }> {
  const map = new Map<string, { obj: ModelObject; requesters: RequesterState[] }>();
  for (const o of ctx.repo.list(schema, server)) map.set(String(o.values.Name), { obj: o, requesters: (o.values.Requesters as RequesterState[] | undefined) ?? [] });
  return map;
}

/** One requester's entry as Exchange prints it inside LocalStates. */
class RequesterEntry {
  constructor(
    readonly Requester: string,
    readonly State: string,
    readonly Timestamp: Date,
  ) {}
  toString(): string {
    return `[Requester: ${this.Requester}] [State: ${this.State}] [Timestamp: ${new UtcDate(this.Timestamp)}]`;
  }
}

function output(server: ModelObject, component: string, states: Map<string, { requesters: RequesterState[] }>): PSObject {
  const byComponent = new Map([...states].map(([k, v]) => [k, v.requesters] as const));
  const requesters = (states.get(component)?.requesters ?? []).map((r) => new RequesterEntry(r.Requester, r.State, new Date(r.Timestamp)));
  const fqdn = String(server.values.Fqdn);
  return new PSObject('ServerComponentStatePresentationObject', [
    ['Server', fqdn],
    ['LocalStates', requesters],
    ['RemoteStates', requesters],
    ['Component', component],
    ['State', effectiveState(component, byComponent)],
    ['Identity', `${fqdn}\\${component}`],
    ['IsValid', true],
    ['ObjectState', 'Unchanged'],
  ]);
}

function choice(name: string, values: readonly string[], what: string): ParameterSpec['convert'] {
  return (v) => {
    const text = String(v).trim().toLowerCase();
    const hit = values.find((x) => x.toLowerCase() === text);
    if (!hit) throw new ConversionError(`"${String(v)}" is not a valid ${what}. Valid values for -${name}: ${values.join(', ')}.`);
    return hit;
  };
}

const NOT_AVAILABLE: Record<string, string> = {
  LocalOnly: 'Gatehouse keeps one copy of the component states, in the configuration store.',
  RemoteOnly: 'Gatehouse keeps one copy of the component states, in the configuration store.',
  TimeoutInSeconds: 'the change is written to the configuration store at once.',
  DomainController: 'Gatehouse has no domain controllers; the component states live in the configuration store.',
};

/** Exchange's parameters that have no meaning here: accepted by the binder, refused with the reason. */
function refused(name: string, isSwitch: boolean): ParameterSpec {
  return { name, typeName: isSwitch ? 'SwitchParameter' : name === 'DomainController' ? 'Fqdn' : 'Int32', switch: isSwitch || undefined, description: `Not available: ${NOT_AVAILABLE[name]}` };
}

function refuseUnavailable(args: Map<string, unknown>): void {
  for (const name of Object.keys(NOT_AVAILABLE)) {
    if (args.has(name)) throw invalidOperation(`The parameter -${name} is not available in Gatehouse: ${NOT_AVAILABLE[name]}`, name);
  }
}

export function serverComponentStateCommands(ctx: ServerContext): CommandSpec[] {
  const identity: ParameterSpec = { name: 'Identity', typeName: 'ServerIdParameter', position: 0, mandatory: true, valueFromPipeline: true, valueFromPipelineByPropertyName: true, description: 'The server: its name or FQDN.' };
  const component = (mandatory: boolean): ParameterSpec => ({
    name: 'Component',
    typeName: 'String',
    mandatory,
    description: `The component: ${COMPONENTS.join(', ')}.`,
    convert: (v) => {
      const c = componentName(String(v));
      if (!c) throw new ConversionError(`The component "${String(v)}" doesn't exist on this server. Valid components: ${COMPONENTS.join(', ')}. Run Get-ServerComponentState <server> to list them.`);
      return c;
    },
  });
  return [
    {
      name: 'Get-ServerComponentState',
      synopsis: "Shows the state of a server's components (maintenance mode): Active, Inactive or Draining, with each requester's setting.",
      parameters: [identity, component(false), refused('DomainController', false)],
      examples: [
        { code: 'Get-ServerComponentState MBX01', remarks: "Lists MBX01's components and their states." },
        { code: 'Get-ServerComponentState MBX01 -Component HubTransport | Format-List', remarks: "Shows HubTransport's state and every requester's setting." },
      ],
      invoke(args) {
        refuseUnavailable(args);
        const server = serverByIdentity(ctx, args.get('Identity'));
        const states = statesOf(ctx, String(server.values.Name));
        const wanted = args.has('Component') ? [String(args.get('Component'))] : [...COMPONENTS];
        return wanted.map((c) => output(server, c, states));
      },
    },
    {
      name: 'Set-ServerComponentState',
      synopsis: "Sets a requester's state of a server component: HubTransport Draining puts the transport service into maintenance (new mail refused with 421 4.3.2, queued mail delivered).",
      supportsShouldProcess: true,
      confirmImpact: 'Medium',
      parameters: [
        identity,
        component(true),
        {
          name: 'Requester',
          typeName: 'ServerComponentRequest',
          mandatory: true,
          description: `Who asks: ${REQUESTERS.join(', ')}. A component is Active only when no requester holds it Inactive or Draining.`,
          convert: choice('Requester', REQUESTERS, 'requester'),
        },
        {
          name: 'State',
          typeName: 'ServiceState',
          mandatory: true,
          description: 'Active, Inactive or Draining (Draining only for HubTransport). Inactive HubTransport refuses new mail like Draining and still delivers the queued messages.',
          convert: choice('State', STATES, 'state'),
        },
        refused('LocalOnly', true),
        refused('RemoteOnly', true),
        refused('TimeoutInSeconds', false),
        refused('DomainController', false),
      ],
      examples: [
        { code: 'Set-ServerComponentState MBX01 -Component HubTransport -State Draining -Requester Maintenance', remarks: 'MBX01 stops taking new mail and delivers what it holds (maintenance).' },
        { code: 'Set-ServerComponentState MBX01 -Component HubTransport -State Active -Requester Maintenance', remarks: 'MBX01 takes mail again once no other requester holds HubTransport.' },
      ],
      async invoke(args, inv) {
        refuseUnavailable(args);
        const server = serverByIdentity(ctx, args.get('Identity'));
        const name = String(server.values.Name);
        const comp = String(args.get('Component'));
        const state = String(args.get('State')) as ComponentStateValue;
        const requester = String(args.get('Requester'));
        if (state === 'Draining' && !DRAINABLE.has(comp)) {
          throw invalidOperation(`The state Draining applies only to ${[...DRAINABLE].join(', ')}; ${comp} can be Active or Inactive.`, 'State');
        }
        if (ctx.role === 'EdgeTransport' && name.toLowerCase() !== ctx.name.toLowerCase()) throw notFound(name, ctx.fqdn);
        if (!(await inv.shouldProcess(`${name}\\${comp}`, `Setting ${comp} to ${state} for ${requester}`))) return [];
        ctx.repo.transaction(() => {
          const existing = ctx.repo.findByName(schema, name, comp);
          const requesters = ((existing?.values.Requesters as RequesterState[] | undefined) ?? []).filter((r) => r.Requester.toLowerCase() !== requester.toLowerCase());
          // An Active wish is kept too (with its time), as Exchange lists every requester that spoke.
          requesters.push({ Requester: requester, State: state, Timestamp: new Date().toISOString() });
          if (existing) {
            existing.values = { ...existing.values, Requesters: requesters };
            ctx.repo.update(existing);
          } else {
            ctx.repo.insert(newModelObject(schema, name, { Name: comp, Requesters: requesters }));
          }
        });
        const now = statesOf(ctx, name);
        const byComponent = new Map([...now].map(([k, v]) => [k, v.requesters] as const));
        const effective = effectiveState(comp, byComponent);
        // Back in service: a Redirect-Message of this maintenance ends with it.
        const hub = now.get('HubTransport')?.obj;
        if (hub && effectiveState('HubTransport', byComponent) === 'Active' && Array.isArray(hub.values.RedirectTargets)) {
          const { RedirectTargets: _ended, ...rest } = hub.values;
          hub.values = rest;
          ctx.repo.update(hub);
        }
        if (effective !== state) {
          const holders = [...now].flatMap(([c, v]) => v.requesters.filter((r) => r.State !== 'Active' && (c === comp || c === 'ServerWideOffline')).map((r) => `${r.Requester} (${c} ${r.State})`));
          inv.warn(`${comp} on ${name} stays ${effective}: ${holders.join(', ')} still hold it. Each requester must set it Active.`);
        }
        return [];
      },
    },
  ];
}

export const serverComponentStateViews = [{ typeName: 'ServerComponentStatePresentationObject', display: 'table' as const, table: [{ property: 'Server' }, { property: 'Component' }, { property: 'State' }] }];
