import type { LabelSelector, Labels } from './types.js';

/**
 * metav1.LabelSelector semantics: every matchLabels entry and every matchExpressions requirement
 * must hold. `undefined` and `{}` select everything. A requirement the schema would reject (unknown
 * operator, In/NotIn without values) selects nothing.
 */
export function matchesSelector(labels: Labels | undefined, selector?: LabelSelector): boolean {
  if (!selector) return true;
  const l = labels ?? {};
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) {
    if (!Object.hasOwn(l, k) || l[k] !== v) return false;
  }
  for (const req of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(l, req.key);
    const values = req.values ?? [];
    switch (req.operator) {
      case 'In':
        if (!has || !values.includes(l[req.key]!)) return false;
        break;
      case 'NotIn':
        if (values.length === 0) return false;
        if (has && values.includes(l[req.key]!)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** A Service's selector (a plain map): absent or empty selects no pods. */
export function matchesServiceSelector(labels: Labels | undefined, selector?: Labels): boolean {
  if (!selector || Object.keys(selector).length === 0) return false;
  const l = labels ?? {};
  return Object.entries(selector).every(([k, v]) => Object.hasOwn(l, k) && l[k] === v);
}
