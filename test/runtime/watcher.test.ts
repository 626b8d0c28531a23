import { describe, it, mock } from 'node:test';
import assert from 'node:assert/strict';
import { emptyConfiguration, type Message } from '../../src/dynamic/types.ts';
import { ConfigurationWatcher } from '../../src/runtime/watcher.ts';

const message = (providerName: string, n: number): Message => {
  const configuration = emptyConfiguration();
  configuration.http.services[`s${n}`] = {};
  return { providerName, configuration, issues: [] };
};

/** Each rebuild: the providers and the service names of their snapshots. */
function record(): { builds: string[][]; apply(m: ReadonlyMap<string, Message>): void } {
  const builds: string[][] = [];
  return { builds, apply: (m) => builds.push([...m.values()].map((v) => `${v.providerName}:${Object.keys(v.configuration.http.services).join(',')}`).sort()) };
}

describe('ConfigurationWatcher', () => {
  it('applies a provider\'s first message at once and coalesces a burst into one rebuild with every latest snapshot', (t) => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    t.after(() => mock.timers.reset());
    const r = record();
    const w = new ConfigurationWatcher(2000, r.apply);
    w.push(message('file', 1));
    w.push(message('consul', 2));
    w.push(message('file', 3));
    assert.deepEqual(r.builds, []);
    mock.timers.tick(0);
    assert.deepEqual(r.builds, [['consul:s2', 'file:s3']]);
  });

  it('makes a provider\'s next message wait out the throttle, then applies it', (t) => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    t.after(() => mock.timers.reset());
    const r = record();
    const w = new ConfigurationWatcher(2000, r.apply);
    w.push(message('file', 1));
    mock.timers.tick(0);
    w.push(message('file', 2));
    w.push(message('file', 3));
    mock.timers.tick(1999);
    assert.equal(r.builds.length, 1);
    // Another provider's first message is not held back by this one's throttle.
    w.push(message('consul', 4));
    mock.timers.tick(0);
    assert.deepEqual(r.builds.at(-1), ['consul:s4', 'file:s3']);
    mock.timers.tick(1);
    assert.equal(r.builds.length, 2, 'the throttled message was taken by the earlier rebuild');
  });

  it('applies nothing after close', (t) => {
    mock.timers.enable({ apis: ['setTimeout', 'Date'], now: 1_000_000 });
    t.after(() => mock.timers.reset());
    const r = record();
    const w = new ConfigurationWatcher(0, r.apply);
    w.push(message('file', 1));
    w.close();
    w.close();
    w.push(message('file', 2));
    mock.timers.tick(10);
    assert.deepEqual(r.builds, []);
  });
});
