// Renders TypeScript interfaces from the CRD manifests in schema/ (the truth). Pure apart from
// reading the directory, deterministic, so a unit test can regenerate in memory and compare.
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';

export interface JSONSchema {
  type?: string;
  format?: string;
  description?: string;
  enum?: unknown[];
  default?: unknown;
  required?: string[];
  properties?: Record<string, JSONSchema>;
  additionalProperties?: JSONSchema | boolean;
  items?: JSONSchema;
  'x-kubernetes-int-or-string'?: boolean;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
}

interface CRD {
  spec: {
    names: { kind: string; listKind?: string };
    versions: { name: string; storage?: boolean; schema?: { openAPIV3Schema?: JSONSchema } }[];
  };
}

export const GENERATED_HEADER =
  '// generated — do not edit. Source: packages/crds/schema/*.yaml; regenerate with\n' +
  '// `npm run gen -w @static-egress/crds`. src/generated/drift.test.ts fails when this file drifts.\n';

/** Shared names for nested objects; anything else is named Parent + Property. */
const PROPERTY_TYPE_NAMES: Record<string, string> = {
  podSelector: 'LabelSelector',
  namespaceSelector: 'LabelSelector',
  nodeSelector: 'LabelSelector',
};
const ITEM_TYPE_NAMES: Record<string, string> = {
  matchExpressions: 'LabelSelectorRequirement',
  conditions: 'Condition',
  assignments: 'EgressIPAssignment',
  cidrs: 'EgressIPPoolCIDR',
};

/** Reads every *.yaml in schemaDir (sorted by name) and renders src/generated/types.ts. */
export function renderTypes(schemaDir: string): string {
  const files = readdirSync(schemaDir)
    .filter((f) => f.endsWith('.yaml') || f.endsWith('.yml'))
    .sort();
  const crds = files.map((f) => parse(readFileSync(join(schemaDir, f), 'utf8')) as unknown);
  return renderTypesFromCRDs(crds);
}

export function renderTypesFromCRDs(crds: readonly unknown[]): string {
  const r = new Renderer();
  for (const doc of crds) r.addCRD(doc as CRD);
  return r.output();
}

class Renderer {
  /** Interface name → body; `order` keeps parents before the types they use. */
  private readonly types = new Map<string, string>();
  private readonly order: string[] = [];

  addCRD(crd: CRD): void {
    const kind = crd?.spec?.names?.kind;
    if (typeof kind !== 'string') throw new Error('CRD without spec.names.kind');
    const versions = crd.spec.versions ?? [];
    const version = versions.find((v) => v.storage) ?? versions[0];
    const root = version?.schema?.openAPIV3Schema;
    if (!root) throw new Error(`${kind}: no openAPIV3Schema`);
    const listKind = crd.spec.names.listKind ?? `${kind}List`;
    this.reserve(kind);
    this.reserve(listKind);
    this.addInterface(kind, root, { rootKind: kind, doc: root.description });
    this.define(
      listKind,
      docComment(`${listKind} is a list of ${kind}.`, '') +
        `export interface ${listKind} {\n` +
        '  apiVersion?: string;\n  kind?: string;\n  metadata?: V1ListMeta;\n' +
        `  items: ${kind}[];\n}\n`,
    );
  }

  output(): string {
    return (
      GENERATED_HEADER +
      "import type { V1ListMeta, V1ObjectMeta } from '@kubernetes/client-node';\n\n" +
      this.order.map((n) => this.types.get(n) ?? '').join('\n')
    );
  }

  private define(name: string, body: string): void {
    const existing = this.types.get(name);
    if (existing !== undefined && existing !== body) {
      throw new Error(`two different schemas are both named ${name}; give one of them its own name`);
    }
    if (!this.order.includes(name)) this.order.push(name);
    this.types.set(name, body);
  }

  private reserve(name: string): void {
    if (!this.order.includes(name)) this.order.push(name);
  }

  private addInterface(name: string, schema: JSONSchema, opts: { rootKind?: string; doc?: string }): void {
    this.reserve(name);
    const required = new Set(schema.required ?? []);
    const props = Object.entries(schema.properties ?? {});
    let body = docComment(opts.doc ?? '', '') + `export interface ${name} {\n`;
    for (const [prop, sub] of props) {
      let ts: string;
      if (opts.rootKind && prop === 'metadata') ts = 'V1ObjectMeta';
      else if (opts.rootKind && (prop === 'spec' || prop === 'status')) {
        ts = `${opts.rootKind}${pascal(prop)}`;
        this.addInterface(ts, sub, { doc: sub.description });
      } else ts = this.typeOf(sub, name, prop);
      const doc = opts.rootKind ? '' : propertyDoc(sub);
      body += docComment(doc, '  ') + `  ${propKey(prop)}${required.has(prop) ? '' : '?'}: ${ts};\n`;
    }
    body += '}\n';
    this.define(name, body);
  }

  private typeOf(schema: JSONSchema, parent: string, prop: string): string {
    if (schema['x-kubernetes-int-or-string']) return 'number | string';
    if (Array.isArray(schema.enum) && schema.enum.length > 0) {
      return schema.enum.map((v) => JSON.stringify(v)).join(' | ');
    }
    switch (schema.type) {
      case 'string':
        return 'string';
      case 'integer':
      case 'number':
        return 'number';
      case 'boolean':
        return 'boolean';
      case 'array': {
        if (!schema.items) return 'unknown[]';
        const item = this.typeOf(schema.items, parent, `${prop}[]`);
        return item.includes(' ') ? `(${item})[]` : `${item}[]`;
      }
      case 'object': {
        if (schema.properties) {
          const name = typeName(parent, prop);
          this.addInterface(name, schema, {});
          return name;
        }
        const ap = schema.additionalProperties;
        if (ap && typeof ap === 'object') return `{ [key: string]: ${this.typeOf(ap, parent, `${prop}{}`)} }`;
        return '{ [key: string]: unknown }';
      }
      default:
        return 'unknown';
    }
  }
}

function typeName(parent: string, prop: string): string {
  if (prop.endsWith('[]')) {
    const base = prop.slice(0, -2);
    return ITEM_TYPE_NAMES[base] ?? parent + pascal(base.replace(/s$/, ''));
  }
  if (prop.endsWith('{}')) return parent + pascal(prop.slice(0, -2)) + 'Value';
  return PROPERTY_TYPE_NAMES[prop] ?? parent + pascal(prop);
}

function pascal(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function propKey(k: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(k) ? k : JSON.stringify(k);
}

function propertyDoc(s: JSONSchema): string {
  const parts: string[] = [];
  if (s.description) parts.push(s.description.trim());
  if (s.default !== undefined) parts.push(`@default ${JSON.stringify(s.default)}`);
  return parts.join('\n');
}

/** A JSDoc block wrapped at 100 columns; empty text renders nothing. */
function docComment(text: string, indent: string): string {
  if (!text.trim()) return '';
  const width = 100 - indent.length - 3;
  const lines: string[] = [];
  for (const para of text.trim().split('\n')) {
    let line = '';
    for (const word of para.split(/\s+/).filter(Boolean)) {
      const safe = word.replace(/\*\//g, '*\\/');
      if (line && line.length + 1 + safe.length > width) {
        lines.push(line);
        line = safe;
      } else line = line ? `${line} ${safe}` : safe;
    }
    lines.push(line);
  }
  if (lines.length === 1) return `${indent}/** ${lines[0]} */\n`;
  return `${indent}/**\n${lines.map((l) => `${indent} * ${l}`).join('\n')}\n${indent} */\n`;
}
