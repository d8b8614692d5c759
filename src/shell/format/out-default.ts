// Out-Default: how a pipeline's output is shown when no Format-* command ends
// it. Strings and numbers print one per line; objects use the view registered
// for their type (table or list), else a table for up to 4 properties and a
// list for 5 or more. The first object chooses the view; objects of another
// type are shown out of band as lists. Format-* output passes through as is.

import { formatDate } from '../dotnet-format.js';
import { ErrorRecordValue } from '../errors.js';
import { getMember, propertyNames } from '../members.js';
import { Hashtable, PSCredential, PSObject, type ObjectView } from '../values.js';
import { renderErrorRecord } from './error-view.js';
import { renderList, type ListEntry } from './list.js';
import { renderTable, type TableColumn } from './table.js';
import { formatScalar, formatValue, isRightAligned, isScalarForOutput } from './value.js';

/** Text produced by Format-List / Format-Table (PowerShell's formatting records). */
export class FormattedText {
  constructor(readonly text: string) {}
  toString(): string {
    return this.text;
  }
}

export interface FormatEnvironment {
  views: ObjectView[];
  /** Line width (console width - 1). */
  width: number;
  enumerationLimit: number;
}

/** Maximum property count still shown as a table without a view. */
export const PROPERTY_COUNT_FOR_TABLE = 4;

export function typeNamesOf(obj: unknown): string[] {
  if (obj instanceof PSObject) return obj.typeNames;
  if (obj instanceof PSCredential) return ['System.Management.Automation.PSCredential'];
  if (obj instanceof Hashtable) return ['System.Collections.Hashtable'];
  if (obj !== null && typeof obj === 'object') return [(obj as object).constructor?.name ?? 'System.Object'];
  return [typeof obj];
}

export function findView(obj: unknown, views: ObjectView[]): ObjectView | undefined {
  for (const name of typeNamesOf(obj)) {
    const plain = name.startsWith('Deserialized.') ? name.slice('Deserialized.'.length) : name;
    const v = views.find((x) => x.typeName === name || x.typeName === plain);
    if (v) return v;
  }
  return undefined;
}

const CREDENTIAL_VIEW: ObjectView = {
  typeName: 'System.Management.Automation.PSCredential',
  display: 'table',
  table: [{ property: 'UserName' }, { property: 'Password' }],
};

/** The view used for an object: registered, built in, or derived from its property count. */
export function viewFor(obj: unknown, views: ObjectView[]): ObjectView {
  const v = findView(obj, views) ?? (obj instanceof PSCredential ? CREDENTIAL_VIEW : undefined);
  if (v) return v;
  const names = propertyNames(obj);
  if (names.length <= PROPERTY_COUNT_FOR_TABLE) {
    return { typeName: typeNamesOf(obj)[0], display: 'table', table: names.map((p) => ({ property: p })) };
  }
  return { typeName: typeNamesOf(obj)[0], display: 'list' };
}

/** Table of objects with given columns; alignment from the first object's values. */
export function tableFromObjects(
  objects: unknown[],
  columns: { property: string; label?: string; width?: number; align?: 'left' | 'right' }[],
  env: FormatEnvironment,
  options: { wrap?: boolean; autoSize?: boolean; hideHeaders?: boolean } = {},
): string {
  const first = objects[0];
  const cols: TableColumn[] = columns.map((c) => ({
    label: c.label ?? c.property,
    width: options.autoSize ? undefined : c.width,
    align: c.align ?? (isRightAligned(getMember(first, c.property)) ? 'right' : 'left'),
  }));
  const rows = objects.map((o) => columns.map((c) => formatValue(getMember(o, c.property), env.enumerationLimit)));
  return renderTable(cols, rows, { width: env.width, wrap: options.wrap, hideHeaders: options.hideHeaders });
}

export function listEntries(obj: unknown, properties: string[] | undefined, env: FormatEnvironment): ListEntry[] {
  const names = properties ?? propertyNames(obj);
  const out: ListEntry[] = [];
  for (const p of names) {
    const real = propertyNames(obj).find((n) => n.toLowerCase() === p.toLowerCase());
    if (real === undefined) continue;
    out.push({ name: real, value: formatValue(getMember(obj, real), env.enumerationLimit) });
  }
  return out;
}

function hashtableTable(h: Hashtable, env: FormatEnvironment): string {
  const rows = h.pairs().map(([k, v]) => [formatScalar(k), formatValue(v, env.enumerationLimit)]);
  return renderTable(
    [
      { label: 'Name', width: 30, align: 'left' },
      { label: 'Value', align: 'left' },
    ],
    rows,
    { width: env.width },
  );
}

/** Out-Default's text for the objects a statement wrote. */
export function renderOutDefault(objects: unknown[], env: FormatEnvironment): string {
  let out = '';
  let i = 0;
  let firstKey: string | undefined;
  let firstView: ObjectView | undefined;
  while (i < objects.length) {
    const o = objects[i];
    if (o === null || o === undefined) {
      i++;
      continue;
    }
    if (o instanceof FormattedText) {
      out += o.text;
      i++;
      continue;
    }
    if (o instanceof ErrorRecordValue) {
      out += renderErrorRecord(o.record, env.width);
      i++;
      continue;
    }
    if (o instanceof Date) {
      // a date on its own shows its DateTime property: the long date and time
      out += formatDate(o, 'F') + '\n';
      i++;
      continue;
    }
    if (isScalarForOutput(o) || (propertyNames(o).length === 0 && !(o instanceof Hashtable))) {
      out += formatScalar(o) + '\n';
      i++;
      continue;
    }
    if (o instanceof Hashtable) {
      out += hashtableTable(o, env);
      i++;
      continue;
    }
    const key = typeNamesOf(o)[0];
    if (firstKey === undefined) {
      firstKey = key;
      firstView = viewFor(o, env.views);
    }
    if (key !== firstKey) {
      // out of band: another type after the first one
      out += renderList([listEntries(o, findView(o, env.views)?.list, env)], env.width);
      i++;
      continue;
    }
    const view = firstView as ObjectView;
    let j = i;
    while (j < objects.length && objects[j] !== null && typeof objects[j] === 'object' && !(objects[j] instanceof FormattedText) && !isScalarForOutput(objects[j]) && typeNamesOf(objects[j])[0] === key) j++;
    const group = objects.slice(i, j);
    if (view.display === 'table') {
      const columns = view.table ?? propertyNames(o).map((p) => ({ property: p }));
      out += tableFromObjects(group, columns, env);
    } else {
      out += renderList(
        group.map((g) => listEntries(g, view.list, env)),
        env.width,
      );
    }
    i = j;
  }
  return out;
}
