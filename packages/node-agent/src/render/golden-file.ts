// Golden files of the unit tests: `golden(name, text)` compares with `<dir>/testdata/<name>.golden`;
// UPDATE_GOLDEN=1 rewrites it instead (after an intended change).
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function goldenIn(dir: string): (name: string, actual: string) => void {
  return (name, actual) => {
    const path = join(dir, 'testdata', `${name}.golden`);
    if (process.env.UPDATE_GOLDEN) writeFileSync(path, actual);
    assert.equal(actual, readFileSync(path, 'utf8'), `${name}.golden differs (UPDATE_GOLDEN=1 to accept)`);
  };
}
