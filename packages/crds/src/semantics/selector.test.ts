import assert from 'node:assert/strict';
import { matchesSelector, matchesServiceSelector } from './selector.js';
import type { LabelSelector } from './types.js';

describe('matchesSelector', () => {
  const labels = { app: 'web', tier: 'frontend', empty: '' };

  it('selects everything when the selector is undefined or empty', () => {
    assert.equal(matchesSelector(labels, undefined), true);
    assert.equal(matchesSelector(undefined, undefined), true);
    assert.equal(matchesSelector(labels, {}), true);
    assert.equal(matchesSelector({}, { matchLabels: {}, matchExpressions: [] }), true);
  });

  it('requires every matchLabels entry', () => {
    assert.equal(matchesSelector(labels, { matchLabels: { app: 'web' } }), true);
    assert.equal(matchesSelector(labels, { matchLabels: { app: 'web', tier: 'frontend' } }), true);
    assert.equal(matchesSelector(labels, { matchLabels: { app: 'web', tier: 'backend' } }), false);
    assert.equal(matchesSelector(labels, { matchLabels: { missing: '' } }), false);
    assert.equal(matchesSelector(labels, { matchLabels: { empty: '' } }), true);
    assert.equal(matchesSelector(undefined, { matchLabels: { app: 'web' } }), false);
  });

  const cases: [string, LabelSelector, boolean][] = [
    ['In, value listed', { matchExpressions: [{ key: 'app', operator: 'In', values: ['db', 'web'] }] }, true],
    ['In, value not listed', { matchExpressions: [{ key: 'app', operator: 'In', values: ['db'] }] }, false],
    ['In, key absent', { matchExpressions: [{ key: 'nope', operator: 'In', values: ['web'] }] }, false],
    ['NotIn, value listed', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['web'] }] }, false],
    ['NotIn, value not listed', { matchExpressions: [{ key: 'app', operator: 'NotIn', values: ['db'] }] }, true],
    ['NotIn, key absent', { matchExpressions: [{ key: 'nope', operator: 'NotIn', values: ['x'] }] }, true],
    ['Exists, present', { matchExpressions: [{ key: 'tier', operator: 'Exists' }] }, true],
    ['Exists, present with empty value', { matchExpressions: [{ key: 'empty', operator: 'Exists' }] }, true],
    ['Exists, absent', { matchExpressions: [{ key: 'nope', operator: 'Exists' }] }, false],
    ['DoesNotExist, absent', { matchExpressions: [{ key: 'nope', operator: 'DoesNotExist' }] }, true],
    ['DoesNotExist, present', { matchExpressions: [{ key: 'app', operator: 'DoesNotExist' }] }, false],
    [
      'labels and expressions are ANDed',
      { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['backend'] }] },
      false,
    ],
    [
      'all expressions must hold',
      {
        matchExpressions: [
          { key: 'app', operator: 'Exists' },
          { key: 'tier', operator: 'NotIn', values: ['backend'] },
          { key: 'canary', operator: 'DoesNotExist' },
        ],
      },
      true,
    ],
    ['In with no values selects nothing', { matchExpressions: [{ key: 'app', operator: 'In', values: [] }] }, false],
    ['NotIn with no values selects nothing', { matchExpressions: [{ key: 'app', operator: 'NotIn' }] }, false],
    [
      'an unknown operator selects nothing',
      { matchExpressions: [{ key: 'app', operator: 'Equals' as 'In', values: ['web'] }] },
      false,
    ],
  ];
  for (const [name, sel, want] of cases) it(name, () => assert.equal(matchesSelector(labels, sel), want));

  it('does not match inherited properties', () => {
    assert.equal(matchesSelector({}, { matchExpressions: [{ key: 'toString', operator: 'Exists' }] }), false);
    assert.equal(matchesSelector({}, { matchLabels: { constructor: 'x' } }), false);
  });
});

describe('matchesServiceSelector', () => {
  it('is a subset match and an empty or absent selector selects nothing', () => {
    assert.equal(matchesServiceSelector({ app: 'web', x: 'y' }, { app: 'web' }), true);
    assert.equal(matchesServiceSelector({ app: 'db' }, { app: 'web' }), false);
    assert.equal(matchesServiceSelector({ app: 'web' }, {}), false);
    assert.equal(matchesServiceSelector({ app: 'web' }, undefined), false);
  });
});

describe('selectors with awkward keys', () => {
  it('keeps a __proto__ label key as a label through parsing', async () => {
    const { parseSelector } = await import('./parse.js');
    const sel = parseSelector(JSON.parse('{"matchLabels":{"__proto__":"x"}}'), 'spec.podSelector');
    assert.equal(matchesSelector(JSON.parse('{"__proto__":"x"}'), sel), true);
    assert.equal(matchesSelector({}, sel), false);
  });
});
