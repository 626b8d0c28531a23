import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { buildConfiguration, DEFAULT_BUILD_OPTIONS } from '../../../src/providers/consulcatalog/builder.ts';
import { tagsToLabels, type ServiceInstance } from '../../../src/providers/consulcatalog/instance.ts';

function inst(id: string, name: string, tags: string[] = []): ServiceInstance {
  return { id, node: 'n1', datacenter: 'dc1', name, namespace: 'default', address: '127.0.0.1', port: '80', status: 'passing', tags, labels: tagsToLabels(tags) };
}

/** An instance whose tags cannot be read: the shape of any unexpected fault while one service builds. */
function poisoned(id: string, name: string, error: unknown): ServiceInstance {
  return Object.defineProperty(inst(id, name), 'labels', { enumerable: true, get() { throw error; } });
}

describe('buildConfiguration: one service\'s fault leaves the others built', () => {
  for (const [desc, error, shown] of [['an Error', new RangeError('Maximum call stack size exceeded'), 'Maximum call stack size exceeded'], ['a thrown string', 'boom', 'boom']] as const) {
    it(`${desc} while building one service is an error on that service`, () => {
      const built = buildConfiguration([inst('a-1', 'alpha'), poisoned('bad-1', 'bad', error), inst('z-1', 'zulu')], DEFAULT_BUILD_OPTIONS);
      assert.deepEqual(Object.keys(built.configuration.http.routers).sort(), ['alpha', 'zulu']);
      assert.deepEqual(Object.keys(built.configuration.http.services).sort(), ['alpha', 'zulu']);
      const issue = built.issues.find((i) => i.kind === 'service' && i.name === 'bad');
      assert.ok(issue, JSON.stringify(built.issues));
      assert.equal(issue.severity, 'error');
      assert.match(issue.message, new RegExp(`^Consul service "bad" could not be built: ${shown}`));
    });
  }
});
