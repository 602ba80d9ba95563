import assert from 'node:assert/strict';
import type { KubernetesListObject, V1ConfigMap } from '@kubernetes/client-node';
import { listInPages } from './paged-list.js';
import { customListPage } from './sources.js';

describe('listInPages (issue 16 §4)', () => {
  it('asks page after page with the continue token, transforms each object and returns one list at the first page\'s resourceVersion', async () => {
    const all = Array.from({ length: 7 }, (_, k): V1ConfigMap => ({ metadata: { name: `c${k}`, namespace: 'ns' }, data: { big: 'x'.repeat(100) } }));
    const asked: Array<{ limit: number; _continue?: string }> = [];
    const page = async (p: { limit: number; _continue?: string }): Promise<KubernetesListObject<V1ConfigMap>> => {
      asked.push(p);
      const from = Number(p._continue ?? 0);
      const next = from + p.limit;
      return { metadata: { resourceVersion: from === 0 ? '100' : '999', ...(next < all.length ? { _continue: String(next), remainingItemCount: all.length - next } : {}) },
        items: all.slice(from, next) };
    };
    const list = await listInPages(page, (o) => ({ metadata: o.metadata! }), 3);
    assert.deepEqual(asked, [{ limit: 3 }, { limit: 3, _continue: '3' }, { limit: 3, _continue: '6' }]);
    assert.deepEqual(list.items.map((o) => o.metadata?.name), ['c0', 'c1', 'c2', 'c3', 'c4', 'c5', 'c6']);
    assert.ok(list.items.every((o) => !('data' in o)), 'each object transformed');
    assert.deepEqual(list.metadata, { resourceVersion: '100' });
  });

  it('a list that fits one page is one request', async () => {
    let n = 0;
    const list = await listInPages(async () => { n++; return { metadata: { resourceVersion: '5' }, items: [{ metadata: { name: 'a' } }] }; });
    assert.equal(n, 1);
    assert.equal(list.items.length, 1);
  });
});

describe('customListPage (issue 16 §4: policies listed in pages)', () => {
  it('reads a custom objects\' page (raw JSON `continue`) so that listInPages follows it to the end', async () => {
    const raw = [
      { metadata: { resourceVersion: '7', continue: 'tok' }, items: [{ metadata: { name: 'a' } }] },
      { metadata: { resourceVersion: '7' }, items: [{ metadata: { name: 'b' } }] },
    ];
    const asked: Array<string | undefined> = [];
    const list = await listInPages(async (p) => { asked.push(p._continue); return customListPage(raw[asked.length - 1]!); }, (o) => o, 1);
    assert.deepEqual(asked, [undefined, 'tok']);
    assert.deepEqual(list.items.map((o) => o.metadata?.name), ['a', 'b']);
    assert.deepEqual(list.metadata, { resourceVersion: '7' });
  });
});
