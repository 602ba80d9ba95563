// A list in pages (limit + continue), each page slimmed as it arrives (issue 16 §4). One response
// of 100,000 pods is hundreds of MB of JSON and objects at once, and V8 keeps that peak as RSS long
// after the cache is slim; pages of 500 bound the peak to one page. All pages come from one snapshot
// (the apiserver's continue token), so the first page's resourceVersion is the list's.
import type { KubernetesListObject, KubernetesObject } from '@kubernetes/client-node';

export const LIST_PAGE_SIZE = 500;

/** Fetches one page: `limit` objects from the `cont` token on (undefined: the first page). */
export type PageFn<T extends KubernetesObject> = (page: { limit: number; _continue?: string }) => Promise<KubernetesListObject<T>>;

/** Every page of a list, concatenated, each object passed through `transform` as its page arrives. */
export async function listInPages<T extends KubernetesObject>(fetchPage: PageFn<T>, transform: (o: T) => T = (o) => o,
  limit = LIST_PAGE_SIZE): Promise<KubernetesListObject<T>> {
  const items: T[] = [];
  let first: KubernetesListObject<T> | undefined;
  let cont: string | undefined;
  do {
    const page = await fetchPage({ limit, ...(cont ? { _continue: cont } : {}) });
    first ??= page;
    for (const o of page.items ?? []) items.push(transform(o));
    cont = page.metadata?._continue || undefined;
  } while (cont);
  const { _continue: _c, remainingItemCount: _r, ...meta } = first.metadata ?? {};
  return { ...first, metadata: meta, items };
}
