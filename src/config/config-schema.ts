/**
 * One description of each configuration block, used three ways: the validator reads values with it
 * (type, range, default), `docs/config.md` is rendered from it, and so is the JSON Schema that
 * editors use. A key documented but not validated (or the reverse) cannot happen, because there is
 * only this table. Blocks whose shape is richer than a scalar (identifiers, namers, the base dtab
 * source) are `shape` fields: their own code validates them, the table gives their doc and schema.
 */
import { hostPort, integer, isObject, type Problems, type Raw, unknownKeys } from './validation.js';

interface FieldBase {
  /** One or two sentences: what the key changes, in the user's words. */
  readonly doc: string;
  /** The command-line flag that sets the same value, when there is one (it wins over the file). */
  readonly flag?: string;
}

export type JsonSchema = Readonly<Record<string, unknown>>;

export type Field =
  | (FieldBase & { readonly kind: 'integer'; readonly default: number; readonly min: number; readonly max: number })
  | (FieldBase & { readonly kind: 'boolean'; readonly default: boolean })
  | (FieldBase & {
      readonly kind: 'string';
      readonly default: string | null;
      readonly choices?: readonly string[];
      readonly pattern?: RegExp;
      /** Says what the pattern wants, for the error message. */
      readonly patternDoc?: string;
    })
  | (FieldBase & { readonly kind: 'hostPort'; readonly default: string })
  | (FieldBase & {
      readonly kind: 'section';
      readonly fields: Fields;
      /** Read by the block's own code (it accepts more than a mapping, or mixes in flags). */
      readonly custom?: boolean;
      /** What else the key accepts instead of the mapping (e.g. `none`). */
      readonly also?: JsonSchema;
    })
  | (FieldBase & {
      readonly kind: 'shape';
      /** How the docs name the value's type, e.g. "identifier or list of identifiers". */
      readonly type: string;
      readonly schema: JsonSchema;
      /** The default as the docs show it; undefined for none. */
      readonly shown?: string;
    });

export type Fields = Readonly<Record<string, Field>>;

/** Reports keys of `raw` that `fields` does not describe. */
export function unknownFields(raw: Raw, fields: Fields, where: string, problems: Problems): void {
  unknownKeys(raw, Object.keys(fields), where, problems);
}

/**
 * Reads one scalar field: the flag's value if given, else the file's, else the default. Returns
 * the default (after recording a problem) when the value is wrong, so one pass finds everything.
 */
export function readField(field: Field, value: unknown, key: string, problems: Problems): unknown {
  switch (field.kind) {
    case 'integer':
      return integer(value === undefined ? field.default : value, key, field.min, field.max, problems) ?? field.default;
    case 'boolean':
      if (value === undefined) return field.default;
      if (typeof value === 'boolean') return value;
      problems.add(key, `must be true or false, got ${JSON.stringify(value)}`);
      return field.default;
    case 'string': {
      if (value === undefined || value === null) return field.default;
      if (typeof value !== 'string' || value === '') {
        problems.add(key, `must be a non-empty string, got ${JSON.stringify(value)}`);
        return field.default;
      }
      if (field.choices !== undefined && !field.choices.includes(value)) {
        problems.add(key, `must be one of ${field.choices.join(', ')}, got ${JSON.stringify(value)}`);
        return field.default;
      }
      if (field.pattern !== undefined && !field.pattern.test(value)) {
        problems.add(key, `${field.patternDoc ?? `must match ${field.pattern}`}, got ${JSON.stringify(value)}`);
        return field.default;
      }
      return value;
    }
    case 'hostPort':
      return hostPort(value === undefined ? field.default : value, key, problems);
    case 'section':
      return readSection(field.fields, value, key, problems);
    case 'shape':
      return value;
  }
}

/**
 * Reads a mapping of scalar fields (nested sections too); `shape` fields are left to the caller.
 * `flags` holds values from the command line by key, which win over the file.
 */
export function readSection(
  fields: Fields,
  raw: unknown,
  where: string,
  problems: Problems,
  flags: Readonly<Record<string, unknown>> = {},
): Record<string, unknown> {
  if (raw !== undefined && raw !== null && !isObject(raw)) problems.add(where, 'must be a mapping');
  const file: Raw = isObject(raw) ? raw : {};
  unknownFields(file, fields, where, problems);
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (field.kind === 'shape' || (field.kind === 'section' && field.custom)) continue;
    const key = where ? `${where}.${name}` : name;
    const flagged = flags[name];
    out[name] = readField(field, flagged ?? file[name], flagged === undefined ? key : (field.flag ?? key), problems);
  }
  return out;
}

/** The JSON Schema (draft 2020-12) of a block: what editors check and complete while typing. */
export function jsonSchema(fields: Fields): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const [name, field] of Object.entries(fields)) properties[name] = fieldSchema(field);
  return { type: 'object', additionalProperties: false, properties };
}

function fieldSchema(field: Field): JsonSchema {
  const described = { description: field.doc };
  switch (field.kind) {
    case 'integer':
      return { ...described, type: 'integer', minimum: field.min, maximum: field.max, default: field.default };
    case 'boolean':
      return { ...described, type: 'boolean', default: field.default };
    case 'string':
      return {
        ...described,
        type: 'string',
        ...(field.choices ? { enum: [...field.choices] } : {}),
        ...(field.pattern ? { pattern: field.pattern.source } : {}),
        ...(field.default === null ? {} : { default: field.default }),
      };
    case 'hostPort':
      return {
        ...described,
        type: 'string',
        pattern: '^(\\[[^\\]]+\\]|[^:\\[\\]]*):\\d{1,5}$',
        default: field.default,
      };
    case 'section':
      return field.also === undefined
        ? { ...described, ...jsonSchema(field.fields) }
        : { ...described, anyOf: [jsonSchema(field.fields), field.also] };
    case 'shape':
      return { ...described, ...field.schema };
  }
}

/** One documented key: its dotted name, type, default and meaning (rows of docs/config.md). */
export interface KeyDoc {
  readonly key: string;
  readonly type: string;
  readonly shown: string;
  readonly flag: string | undefined;
  readonly doc: string;
}

/** Every key of a block, depth first, sections followed by their own keys. */
export function keyDocs(fields: Fields, prefix = ''): KeyDoc[] {
  const rows: KeyDoc[] = [];
  for (const [name, field] of Object.entries(fields)) {
    const key = prefix ? `${prefix}.${name}` : name;
    rows.push({ key, type: typeName(field), shown: shownDefault(field), flag: field.flag, doc: field.doc });
    if (field.kind === 'section') rows.push(...keyDocs(field.fields, key));
  }
  return rows;
}

function typeName(field: Field): string {
  switch (field.kind) {
    case 'integer':
      return `integer ${field.min}–${field.max}`;
    case 'string':
      return field.choices ? field.choices.map((c) => `\`${c}\``).join(' \\| ') : 'string';
    case 'hostPort':
      return 'host:port';
    case 'section':
      return 'mapping';
    case 'shape':
      return field.type;
    default:
      return field.kind;
  }
}

function shownDefault(field: Field): string {
  switch (field.kind) {
    case 'section':
      return '';
    case 'shape':
      return field.shown ?? '';
    default:
      return field.default === null ? 'none' : `\`${String(field.default)}\``;
  }
}

/** The fields of the section `name` of a block (a typo here is a bug, so it throws). */
export function sectionFields(fields: Fields, name: string): Fields {
  const field = fields[name];
  if (field?.kind !== 'section') throw new Error(`${name} is not a section of this block`);
  return field.fields;
}

/** The default of a scalar field, for code that needs it outside the validator (the image, the docs). */
export function defaultOf(fields: Fields, name: string): unknown {
  const field = fields[name];
  if (field === undefined || field.kind === 'section' || field.kind === 'shape') {
    throw new Error(`${name} is not a scalar field of this block`);
  }
  return field.default;
}

/** The defaults of a block's scalar fields, as the validator fills them in when nothing is given. */
export function defaults(fields: Fields): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, field] of Object.entries(fields)) {
    if (field.kind !== 'section' && field.kind !== 'shape') out[name] = field.default;
  }
  return out;
}
