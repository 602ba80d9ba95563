// Reading and printing manifests for `kubectl egress convert`. parseManifests and renderConverted are
// pure; readManifestFiles does the file and stdin reads.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments, stringify } from 'yaml';
import { ConvertError, isRecord, type Converted, type SourceObject } from './common.js';

/**
 * Every object of a YAML stream (several documents) or a JSON document; `List` kinds (v1 List,
 * NamespaceList, EgressIPList, ...) are flattened into their items.
 */
export function parseManifests(text: string, file: string): SourceObject[] {
  const out: SourceObject[] = [];
  parseAllDocuments(text).forEach((doc, i) => {
    const where = `${file}: document ${i + 1}`;
    if (doc.errors.length > 0) throw new ConvertError(where, '', `not valid YAML or JSON: ${doc.errors[0]!.message.split('\n')[0]}`);
    const value: unknown = doc.toJS();
    if (value === null || value === undefined) return;
    if (!isRecord(value)) throw new ConvertError(where, '', 'must be a Kubernetes object (a map with apiVersion and kind)');
    out.push(...flatten(value, file, where));
  });
  return out;
}

function flatten(obj: Record<string, unknown>, file: string, where: string): SourceObject[] {
  if (typeof obj.kind === 'string' && obj.kind.endsWith('List') && Array.isArray(obj.items)) {
    // kubectl's List items carry their own apiVersion/kind; a typed list's items may not.
    const kind = obj.kind === 'List' ? undefined : obj.kind.slice(0, -'List'.length);
    return obj.items.flatMap((item: unknown, j: number) => {
      if (!isRecord(item)) throw new ConvertError(`${where}, items[${j}]`, '', 'must be a Kubernetes object');
      return flatten({ apiVersion: obj.apiVersion, ...(kind ? { kind } : {}), ...item }, file, `${where}, items[${j}]`);
    });
  }
  return [{ obj, file }];
}

/**
 * The text of every -f: a file, a directory (its .yaml, .yml and .json files, not recursive, in
 * name order) or "-" for stdin. A read failure throws naming the path.
 */
export async function readManifestFiles(paths: readonly string[], readStdin: () => Promise<string>): Promise<{ file: string; text: string }[]> {
  const out: { file: string; text: string }[] = [];
  for (const p of paths) {
    if (p === '-') {
      out.push({ file: '-', text: await readStdin() });
      continue;
    }
    try {
      const files = statSync(p).isDirectory()
        ? readdirSync(p).filter((f) => /\.(ya?ml|json)$/.test(f)).sort().map((f) => join(p, f))
        : [p];
      for (const f of files) out.push({ file: f, text: readFileSync(f, 'utf8') });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      throw new ConvertError(p, '', e.code === 'ENOENT' ? 'no such file or directory' : `cannot read: ${e.message}`);
    }
  }
  return out;
}

export async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) text += typeof chunk === 'string' ? chunk : (chunk as Buffer).toString('utf8');
  return text;
}

/** One warning per line, as `# WARNING:` in the YAML and `warning:` on stderr. */
export function warningLines(c: Converted): string[] {
  return c.warnings.map((w) => `${w.object}: ${w.message}`);
}

/** YAML documents (warnings as comments on top), or a JSON List (warnings only on stderr). */
export function renderConverted(c: Converted, format: 'yaml' | 'json'): string {
  if (format === 'json') return `${JSON.stringify({ apiVersion: 'v1', kind: 'List', items: c.objects }, null, 2)}\n`;
  const head = warningLines(c).map((l) => `# WARNING: ${l}\n`).join('');
  const docs = c.objects.map((o) => `---\n${stringify(o, { lineWidth: 0 })}`).join('');
  return `${head}${docs}` || '# nothing to convert\n';
}
