// The generated types must match schema/*.yaml. Fix a failure with: npm run gen -w @static-egress/crds
import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { GENERATED_HEADER, renderTypes, renderTypesFromCRDs, type JSONSchema } from '../codegen/render-types.js';

const here = dirname(fileURLToPath(import.meta.url));
const schemaDir = join(here, '..', '..', 'schema');
const typesFile = join(here, 'types.ts');

interface CRDDoc {
  spec: { names: { kind: string }; versions: { schema: { openAPIV3Schema: JSONSchema } }[] };
}

/** The spec schema of one kind, to mutate in memory. */
function specOf(crds: CRDDoc[], kind: string): JSONSchema {
  return crds.find((c) => c.spec.names.kind === kind)!.spec.versions[0]!.schema.openAPIV3Schema.properties!.spec!;
}

function loadCRDs(): CRDDoc[] {
  return readdirSync(schemaDir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parse(readFileSync(join(schemaDir, f), 'utf8')) as CRDDoc);
}

describe('generated types', () => {
  it('match schema/*.yaml (run `npm run gen -w @static-egress/crds` if this fails)', () => {
    assert.equal(readFileSync(typesFile, 'utf8'), renderTypes(schemaDir));
  });

  it('are deterministic and carry the do-not-edit header', () => {
    const a = renderTypes(schemaDir);
    assert.equal(a, renderTypes(schemaDir));
    assert.ok(a.startsWith(GENERATED_HEADER));
    assert.match(a, /generated — do not edit/);
  });

  it('would differ when a schema changes (the drift check can fail)', () => {
    const base = renderTypesFromCRDs(loadCRDs());
    const crds = loadCRDs();
    specOf(crds, 'StaticEgressIP').properties!.newField = { type: 'string' };
    const mutated = renderTypesFromCRDs(crds);
    assert.notEqual(mutated, base);
    assert.match(mutated, /newField\?: string;/);

    const crds2 = loadCRDs();
    specOf(crds2, 'EgressIPPool').required = [];
    assert.notEqual(renderTypesFromCRDs(crds2), base, 'making cidrs optional must change the types');
  });

  it('refuses two different shapes under one shared name', () => {
    const crds = loadCRDs();
    specOf(crds, 'EgressIPPool').properties!.nodeSelector!.properties!.extra = { type: 'string' };
    assert.throws(() => renderTypesFromCRDs(crds), /two different schemas are both named LabelSelector/);
  });

  it('renders the shapes the packages rely on', () => {
    const text = renderTypes(schemaDir);
    assert.match(text, /export interface StaticEgressIPSpec \{[^}]*\n {2}egressIPs: string\[\];/);
    assert.match(text, /operator: "In" \| "NotIn" \| "Exists" \| "DoesNotExist";/);
    assert.match(text, /metadata\?: V1ObjectMeta;/);
    assert.match(text, /export interface EgressIPPoolSpec \{[^}]*\n {2}cidrs: EgressIPPoolCIDR\[\];/);
  });
});
