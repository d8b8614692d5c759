// Objects that flow through shell pipelines.
//
// PSObject is an ordered property bag with case-insensitive lookup and a list
// of type names (most derived first) that picks the default view. SecureString
// and PSCredential mirror the .NET types admins pass to -AuthenticationCredential:
// they never render their secret.

export class PSObject {
  readonly typeNames: string[];
  private readonly props: Map<string, { name: string; value: unknown }> = new Map();
  /** The .NET type of properties whose type is known even when their value is $null (Get-Member), by lower-case name. */
  readonly declaredTypes = new Map<string, string>();

  constructor(typeNames: string | string[], properties: Iterable<[string, unknown]> = []) {
    this.typeNames = Array.isArray(typeNames) ? typeNames : [typeNames];
    for (const [name, value] of properties) this.set(name, value);
  }

  /** Property names in their display order and casing. */
  names(): string[] {
    return [...this.props.values()].map((p) => p.name);
  }

  has(name: string): boolean {
    return this.props.has(name.toLowerCase());
  }

  get(name: string): unknown {
    return this.props.get(name.toLowerCase())?.value;
  }

  /** The property's declared casing, or undefined when absent. */
  canonicalName(name: string): string | undefined {
    return this.props.get(name.toLowerCase())?.name;
  }

  set(name: string, value: unknown): void {
    const key = name.toLowerCase();
    const existing = this.props.get(key);
    if (existing) existing.value = value;
    else this.props.set(key, { name, value });
  }

  toString(): string {
    const id = this.get('Identity') ?? this.get('Name');
    return id === undefined || id === null ? this.typeNames[0] : String(id);
  }
}

/** A secret string; renders as its .NET type name, never its content. */
export class SecureString {
  readonly #plain: string;
  constructor(plain: string) {
    this.#plain = plain;
  }
  /** The secret itself: only for the code that encrypts or uses it. */
  reveal(): string {
    return this.#plain;
  }
  get length(): number {
    return this.#plain.length;
  }
  toString(): string {
    return 'System.Security.SecureString';
  }
  toJSON(): string {
    return 'System.Security.SecureString';
  }
}

export class PSCredential {
  constructor(
    readonly UserName: string,
    readonly Password: SecureString,
  ) {}
  toString(): string {
    return 'System.Management.Automation.PSCredential';
  }
  toJSON(): string {
    return 'System.Management.Automation.PSCredential';
  }
}

/** A terminating error of a cmdlet, rendered in the Exchange (remote) error layout. */
export class CmdletError extends Error {
  override name = 'CmdletError';
  /** PowerShell ErrorCategory word: NotSpecified, InvalidArgument, InvalidOperation, ObjectNotFound, ... */
  readonly category: string;
  /** Exception type shown in CategoryInfo: ManagementObjectNotFoundException, ... */
  readonly reason: string;
  /** Parameter the error is about, when there is one. */
  readonly parameter?: string;
  constructor(message: string, options: { category?: string; reason?: string; parameter?: string } = {}) {
    super(message);
    this.category = options.category ?? 'NotSpecified';
    this.reason = options.reason ?? 'TaskException';
    this.parameter = options.parameter;
  }
}

/** How an object type is displayed when no Format-* command is given. */
export interface ObjectView {
  /** Matches PSObject.typeNames[0] (or any type name, most derived first). */
  typeName: string;
  display: 'table' | 'list';
  /** Columns of the default table view. */
  table?: { property: string; label?: string; width?: number; align?: 'left' | 'right' }[];
  /** Properties of the default list view; undefined = all properties. */
  list?: string[];
}

/**
 * A hashtable literal (`@{Add="a","b"; Remove="c"}`): insertion-ordered, keys
 * compared case-insensitively (as PowerShell's default hashtable). Cmdlets
 * receive it for add/remove updates of multi-valued properties.
 */
export class Hashtable {
  private readonly entries: Map<string, { key: unknown; value: unknown }> = new Map();

  constructor(entries: Iterable<[unknown, unknown]> = []) {
    for (const [k, v] of entries) this.set(k, v);
  }

  private static norm(key: unknown): string {
    return typeof key === 'string' ? 's:' + key.toLowerCase() : typeof key + ':' + String(key);
  }

  get size(): number {
    return this.entries.size;
  }

  has(key: unknown): boolean {
    return this.entries.has(Hashtable.norm(key));
  }

  get(key: unknown): unknown {
    return this.entries.get(Hashtable.norm(key))?.value;
  }

  set(key: unknown, value: unknown): void {
    const k = Hashtable.norm(key);
    const existing = this.entries.get(k);
    if (existing) existing.value = value;
    else this.entries.set(k, { key, value });
  }

  delete(key: unknown): boolean {
    return this.entries.delete(Hashtable.norm(key));
  }

  /** Keys in insertion order, with the casing they were first given. */
  keys(): unknown[] {
    return [...this.entries.values()].map((e) => e.key);
  }

  pairs(): [unknown, unknown][] {
    return [...this.entries.values()].map((e) => [e.key, e.value]);
  }

  toString(): string {
    return 'System.Collections.Hashtable';
  }
}
