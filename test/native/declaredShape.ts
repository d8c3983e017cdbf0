// The shapes a .d.ts declares, read with the TypeScript compiler, and a
// recursive comparison of real values with them: keys, null-ness and primitive
// types. Used by addon-shape.test.ts to hold native.d.ts (and the test addon's
// nativeTest.d.ts) to what the addon really returns.
import ts from 'typescript';

export type Shape =
  | { kind: 'number' | 'boolean' | 'buffer' | 'function'; nullable: boolean; optional: boolean }
  | { kind: 'string'; nullable: boolean; optional: boolean; literals: string[] | null }
  | { kind: 'array'; nullable: boolean; optional: boolean; element: Shape }
  | { kind: 'record'; nullable: boolean; optional: boolean; value: Shape }
  | { kind: 'object'; nullable: boolean; optional: boolean; props: Record<string, Shape> };

export class Declarations {
  private readonly checker: ts.TypeChecker;
  private readonly exports: Map<string, ts.Symbol>;

  constructor(file: string) {
    const program = ts.createProgram([file], { strict: true, noEmit: true, skipLibCheck: true, types: ['node'], module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, target: ts.ScriptTarget.ES2022 });
    const problems = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
    if (problems.length) throw new Error(`${file} does not compile:\n${problems.join('\n')}`);
    this.checker = program.getTypeChecker();
    const source = program.getSourceFile(file)!;
    const module = this.checker.getSymbolAtLocation(source)!;
    this.exports = new Map(this.checker.getExportsOfModule(module).map((s) => [s.name, s]));
  }

  private declared(name: string): ts.Type {
    const symbol = this.exports.get(name);
    if (!symbol) throw new Error(`no export ${name}`);
    return this.checker.getDeclaredTypeOfSymbol(symbol);
  }

  private signature(owner: string | ts.Type, member: string): ts.Signature {
    const type = typeof owner === 'string' ? this.declared(owner) : owner;
    const prop = type.getProperty(member);
    if (!prop) throw new Error(`no member ${member}`);
    // An optional method (leakCheck?) is a function type or undefined.
    const signatures = this.checker.getNonNullableType(this.checker.getTypeOfSymbol(prop)).getCallSignatures();
    if (signatures.length !== 1) throw new Error(`${member} must have exactly one call signature`);
    return signatures[0]!;
  }

  /** The member names of an interface (all its merged declarations, inherited ones included), sorted. */
  members(name: string): string[] {
    return this.checker.getPropertiesOfType(this.declared(name)).map((p) => p.name).sort();
  }

  /** The awaited return type of owner[member] (owner.a.b for a dotted path). */
  returnShape(owner: string, path: string): Shape {
    const names = path.split('.');
    let type = this.declared(owner);
    for (const n of names.slice(0, -1)) type = this.checker.getTypeOfSymbol(type.getProperty(n)!);
    const ret = this.checker.getReturnTypeOfSignature(this.signature(type, names.at(-1)!));
    return this.toShape(this.checker.getAwaitedType(ret) ?? ret);
  }

  /** The parameters of the callback passed as parameter `index` of owner[member]. */
  callbackParameters(owner: string, member: string, index: number): Shape[] {
    const param = this.signature(owner, member).getParameters()[index]!;
    const type = this.checker.getNonNullableType(this.checker.getTypeOfSymbol(param));
    const [callback] = type.getCallSignatures();
    if (!callback) throw new Error(`parameter ${index} of ${member} is not a function`);
    return callback.getParameters().map((p) => this.toShape(this.checker.getTypeOfSymbol(p)));
  }

  /** The string literals of a union type alias. */
  literals(alias: string): string[] {
    const shape = this.toShape(this.declared(alias));
    if (shape.kind !== 'string' || !shape.literals) throw new Error(`${alias} is not a union of string literals`);
    return shape.literals;
  }

  private toShape(type: ts.Type, depth = 0): Shape {
    if (depth > 12) throw new Error('declared type nests too deep (recursive?)');
    const parts = type.isUnion() ? type.types : [type];
    const nullable = parts.some((t) => t.flags & ts.TypeFlags.Null);
    const optional = parts.some((t) => t.flags & ts.TypeFlags.Undefined);
    const rest = parts.filter((t) => !(t.flags & (ts.TypeFlags.Null | ts.TypeFlags.Undefined)));
    const base = { nullable, optional };
    const name = this.checker.typeToString(type);
    if (rest.length === 0) throw new Error(`${name}: only null/undefined`);
    if (rest.every((t) => t.flags & ts.TypeFlags.BooleanLike)) return { kind: 'boolean', ...base };
    if (rest.every((t) => t.isStringLiteral())) return { kind: 'string', ...base, literals: rest.map((t) => (t as ts.StringLiteralType).value) };
    if (rest.length !== 1) throw new Error(`${name}: unions of different kinds are not supported here`);
    const t = rest[0]!;
    if (t.flags & ts.TypeFlags.Number) return { kind: 'number', ...base };
    if (t.flags & ts.TypeFlags.String) return { kind: 'string', ...base, literals: null };
    if (t.getCallSignatures().length > 0) return { kind: 'function', ...base };
    if (t.getSymbol()?.name === 'Buffer') return { kind: 'buffer', ...base };
    if (this.checker.isArrayType(t)) {
      return { kind: 'array', ...base, element: this.toShape(this.checker.getTypeArguments(t as ts.TypeReference)[0]!, depth + 1) };
    }
    const index = this.checker.getIndexInfoOfType(t, ts.IndexKind.String);
    if (index && t.getProperties().length === 0) return { kind: 'record', ...base, value: this.toShape(index.type, depth + 1) };
    if (t.flags & ts.TypeFlags.Object) {
      const props: Record<string, Shape> = {};
      for (const p of this.checker.getPropertiesOfType(t)) {
        const shape = this.toShape(this.checker.getTypeOfSymbol(p), depth + 1);
        props[p.name] = { ...shape, optional: shape.optional || Boolean(p.flags & ts.SymbolFlags.Optional) };
      }
      return { kind: 'object', ...base, props };
    }
    throw new Error(`${name}: not a type this check understands`);
  }
}

/**
 * Where a comparison found values: every declared path (a.b, a[].c) seen with a
 * value that is not null, and every nullable one seen null. A path never seen,
 * or never null though declared nullable, is a declaration no call showed true.
 */
export class Coverage {
  readonly seen = new Set<string>();
  readonly seenNull = new Set<string>();
  readonly declared = new Set<string>();
  readonly declaredNullable = new Set<string>();

  declare(shape: Shape, path: string): void {
    this.declared.add(path);
    if (shape.nullable) this.declaredNullable.add(path);
    if (shape.kind === 'array') this.declare(shape.element, `${path}[]`);
    if (shape.kind === 'record') this.declare(shape.value, `${path}{}`);
    if (shape.kind === 'object') for (const [k, s] of Object.entries(shape.props)) this.declare(s, `${path}.${k}`);
  }

  /** "path" for a path never seen, "path (null)" for a nullable one never null. */
  neverSeen(): string[] {
    const missing = [...this.declared].filter((p) => !this.seen.has(p));
    const neverNull = [...this.declaredNullable].filter((p) => !this.seenNull.has(p)).map((p) => `${p} (null)`);
    return [...missing, ...neverNull].sort();
  }
}

/** Every difference between value and shape, as "path: what" lines; records what it saw in coverage. */
export function compareShape(value: unknown, shape: Shape, path: string, coverage: Coverage): string[] {
  if (value === undefined) return shape.optional ? [] : [`${path}: declared, but missing`];
  if (value === null) {
    if (!shape.nullable) return [`${path}: null, but not declared nullable`];
    coverage.seenNull.add(path);
    return [];
  }
  coverage.seen.add(path);
  const wrong = (expected: string) => [`${path}: ${expected} declared, got ${Array.isArray(value) ? 'array' : typeof value}`];
  switch (shape.kind) {
    case 'number':
      return typeof value === 'number' ? [] : wrong('number');
    case 'boolean':
      return typeof value === 'boolean' ? [] : wrong('boolean');
    case 'function':
      return typeof value === 'function' ? [] : wrong('function');
    case 'buffer':
      return Buffer.isBuffer(value) ? [] : wrong('Buffer');
    case 'string':
      if (typeof value !== 'string') return wrong('string');
      return shape.literals && !shape.literals.includes(value) ? [`${path}: "${value}" is not one of ${shape.literals.map((l) => `"${l}"`).join(' | ')}`] : [];
    case 'array':
      if (!Array.isArray(value)) return wrong('array');
      return value.flatMap((v) => compareShape(v, shape.element, `${path}[]`, coverage));
    case 'record':
      if (typeof value !== 'object' || Array.isArray(value)) return wrong('record');
      return Object.values(value).flatMap((v) => compareShape(v, shape.value, `${path}{}`, coverage));
    case 'object': {
      if (typeof value !== 'object' || Array.isArray(value)) return wrong('object');
      const record = value as Record<string, unknown>;
      const extra = Object.keys(record).filter((k) => !(k in shape.props)).map((k) => `${path}.${k}: returned, but not declared`);
      // Methods live on the prototype (a MemorySource): read, not listed as own keys.
      return [...extra, ...Object.entries(shape.props).flatMap(([k, s]) => compareShape(record[k], s, `${path}.${k}`, coverage))];
    }
  }
}
