import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { aggregate } from '../../src/dynamic/aggregate.ts';
import { emptyConfiguration, type Configuration, type Message } from '../../src/dynamic/types.ts';
import type { Handler } from '../../src/http/context.ts';
import { buildRuntime, type BuildResult } from '../../src/runtime/build.ts';
import type { ServiceSource } from '../../src/runtime/services.ts';
import { loadStaticConfig } from '../../src/static/load.ts';

const entryPoints = loadStaticConfig({ argv: ['--entryPoints.web.address=127.0.0.1:0'], env: {} }).entryPoints;
const serve: Handler = () => {};
/** The dry service source `tagway check` uses: every load balancer gets a handler. */
const dry: ServiceSource = { get: () => serve };

function build(fill: (c: Configuration) => void, services: ServiceSource = dry): BuildResult {
  const configuration = emptyConfiguration();
  fill(configuration);
  const message: Message = { providerName: 'file', configuration, issues: [] };
  return buildRuntime({ aggregated: aggregate(new Map([['file', message]])), entryPoints, services, internalServices: new Map() });
}

/** A definition whose reading throws: the shape of any unexpected fault while one item builds. */
function throwing<T extends object>(base: T, key: string, error: unknown): T {
  return Object.defineProperty({ ...base }, key, { enumerable: true, get() { throw error; } });
}

const lb = { loadBalancer: { servers: [{ url: 'http://127.0.0.1:1' }] } };
const routedNames = (r: BuildResult): string[] => ['/a', '/b', '/c'].map((p) => r.tables.get('web')!.match({ method: 'GET', host: 'x', path: p, rawQuery: '', clientIp: '127.0.0.1', headers: {} })?.name ?? '-');

describe('buildRuntime: one item\'s throw disables that item only', () => {
  const cases: Array<{ desc: string; fill(c: Configuration): void; services?: ServiceSource; item: ['routers' | 'services' | 'middlewares', string]; message: RegExp }> = [
    {
      desc: 'a router whose rule cannot be read',
      fill: (c) => { c.http.routers['b'] = throwing({ service: 's', entryPoints: ['web'] }, 'rule', new TypeError('rule exploded')); },
      item: ['routers', 'b@file'], message: /router "b@file" could not be built: rule exploded/,
    },
    {
      desc: 'a router whose rule overflows the stack',
      fill: (c) => { c.http.routers['b'] = throwing({ service: 's', entryPoints: ['web'] }, 'rule', new RangeError('Maximum call stack size exceeded')); },
      item: ['routers', 'b@file'], message: /router "b@file" could not be built: Maximum call stack size exceeded/,
    },
    {
      desc: 'a router whose entry points cannot be read (before it has a record)',
      fill: (c) => { c.http.routers['b'] = throwing({ rule: 'Path(`/b`)', service: 's' }, 'entryPoints', 'not even an Error'); },
      item: ['routers', 'b@file'], message: /router "b@file" could not be built: not even an Error/,
    },
    {
      desc: 'a service source that throws for one service',
      fill: (c) => { c.http.routers['b'] = { rule: 'Path(`/b`)', service: 'bad', entryPoints: ['web'] }; c.http.services['bad'] = lb; },
      services: { get: (name) => { if (name === 'bad@file') throw new Error('handler exploded'); return serve; } },
      item: ['routers', 'b@file'], message: /router "b@file" could not be built: handler exploded/,
    },
    {
      desc: 'a service definition that cannot be read',
      fill: (c) => { c.http.services['bad'] = throwing({}, 'loadBalancer', new Error('service exploded')); },
      item: ['services', 'bad@file'], message: /service "bad@file" could not be built: service exploded/,
    },
    {
      desc: 'a middleware definition that cannot be read',
      fill: (c) => { c.http.middlewares['bad'] = throwing({}, 'addPrefix', new Error('middleware exploded')); },
      item: ['middlewares', 'bad@file'], message: /middleware "bad@file" could not be built: middleware exploded/,
    },
  ];
  for (const c of cases) {
    it(c.desc, () => {
      const result = build((conf) => {
        conf.http.services['s'] = lb;
        conf.http.routers['a'] = { rule: 'Path(`/a`)', service: 's', entryPoints: ['web'] };
        conf.http.routers['c'] = { rule: 'Path(`/c`)', service: 's', entryPoints: ['web'] };
        c.fill(conf);
      }, c.services);
      const item = result.state[c.item[0]][c.item[1]];
      assert.ok(item, `${c.item[1]} is shown`);
      assert.equal(item.status, 'disabled');
      assert.equal(item.error?.length, 1);
      assert.match(item.error![0]!, c.message);
      assert.equal(result.state.routers['a@file']?.status, 'enabled');
      assert.equal(result.state.routers['c@file']?.status, 'enabled');
      assert.deepEqual(routedNames(result), ['a@file', '-', 'c@file']);
    });
  }
});

describe('buildRuntime: middlewares', () => {
  it('a chain cycle disables the chain and its routers with the path of the cycle; the rest builds', () => {
    const result = build((c) => {
      c.http.services['s'] = lb;
      c.http.middlewares['a'] = { chain: { middlewares: ['b'] } };
      c.http.middlewares['b'] = { chain: { middlewares: ['a'] } };
      c.http.middlewares['p'] = { addPrefix: { prefix: '/p' } };
      c.http.routers['a'] = { rule: 'Path(`/a`)', service: 's', entryPoints: ['web'], middlewares: ['a'] };
      c.http.routers['c'] = { rule: 'Path(`/c`)', service: 's', entryPoints: ['web'], middlewares: ['p'] };
    });
    assert.match(result.state.middlewares['a@file']!.error![0]!, /recursion detected in chain: a@file -> b@file -> a@file/);
    assert.equal(result.state.middlewares['b@file']!.status, 'disabled');
    assert.equal(result.state.routers['a@file']!.status, 'disabled');
    assert.match(result.state.routers['a@file']!.error![0]!, /recursion detected in chain/);
    assert.deepEqual(routedNames(result), ['-', '-', 'c@file']);
    assert.deepEqual([...result.middlewares.keys()], ['p@file']);
  });

  it('an unchanged middleware keeps its instance across builds; a chain is rebuilt around a changed member', () => {
    const fill = (prefix: string) => (c: Configuration): void => {
      c.http.middlewares['p'] = { addPrefix: { prefix } };
      c.http.middlewares['q'] = { addPrefix: { prefix: '/q' } };
      c.http.middlewares['chain'] = { chain: { middlewares: ['p'] } };
    };
    const configuration = (prefix: string): Map<string, Message> => {
      const conf = emptyConfiguration(); fill(prefix)(conf);
      return new Map([['file', { providerName: 'file', configuration: conf, issues: [] }]]);
    };
    const first = buildRuntime({ aggregated: aggregate(configuration('/p')), entryPoints, services: dry, internalServices: new Map() });
    const second = buildRuntime({ aggregated: aggregate(configuration('/p2')), entryPoints, services: dry, internalServices: new Map(), previousMiddlewares: first.middlewares });
    assert.equal(second.middlewares.get('q@file'), first.middlewares.get('q@file'));
    assert.notEqual(second.middlewares.get('p@file'), first.middlewares.get('p@file'));
    assert.notEqual(second.middlewares.get('chain@file'), first.middlewares.get('chain@file'));
  });
});
