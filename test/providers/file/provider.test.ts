import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { FileProvider } from '../../../src/providers/file/index.ts';
import type { Message } from '../../../src/dynamic/types.ts';
import { tempDir } from './support.ts';

const ROUTER = 'http:\n  routers:\n    r:\n      rule: "Host(`a.test`)"\n      service: s\n';

/** Reads once (watch off), as `tagway check` does; returns what was emitted by this read. */
async function readOnce(provider: FileProvider): Promise<Message[]> {
  const out: Message[] = [];
  const ac = new AbortController();
  await provider.provide((m) => out.push(m), ac.signal);
  ac.abort();
  return out;
}

test('a re-read that finds the same files emits nothing; a change emits the whole snapshot', async (t) => {
  const dir = await tempDir(t);
  await writeFile(join(dir, 'a.yml'), ROUTER);
  const provider = new FileProvider({ directory: dir, watch: false });
  const first = await readOnce(provider);
  assert.equal(first.length, 1);
  assert.deepEqual(Object.keys(first[0]!.configuration.http.routers), ['r']);
  assert.deepEqual(await readOnce(provider), []);
  await writeFile(join(dir, 'b.yml'), ROUTER.replace('r:', 'r2:'));
  const second = await readOnce(provider);
  assert.deepEqual(Object.keys(second[0]!.configuration.http.routers).sort(), ['r', 'r2']);
});

test('a directory that cannot be listed is reported and keeps the last snapshot; the error clears when it is back', async (t) => {
  const parent = await tempDir(t);
  const dir = join(parent, 'dynamic');
  await mkdir(dir);
  await writeFile(join(dir, 'a.yml'), ROUTER);
  const provider = new FileProvider({ directory: dir, watch: false });
  assert.equal((await readOnce(provider)).length, 1);

  await rename(dir, join(parent, 'away'));
  assert.deepEqual(await readOnce(provider), [], 'nothing emitted: the gateway keeps the last configuration');
  assert.match(provider.status().error ?? '', /cannot list/);

  await rename(join(parent, 'away'), dir);
  assert.deepEqual(await readOnce(provider), [], 'same files as before: nothing to emit');
  assert.equal(provider.status().error, undefined);
  assert.equal(provider.status().errorSince, undefined);
});

test('a broken file keeps its last good version, with a warning on each of its items', async (t) => {
  const dir = await tempDir(t);
  const file = join(dir, 'a.yml');
  await writeFile(file, ROUTER + '  services:\n    s:\n      loadBalancer:\n        servers:\n          - url: http://127.0.0.1:9\n');
  const provider = new FileProvider({ filename: file, watch: false });
  await readOnce(provider);
  await writeFile(file, ROUTER.replace('service:', 'servce:') + '  services: {\n');
  const [msg] = await readOnce(provider);
  assert.deepEqual(Object.keys(msg!.configuration.http.routers), ['r']);
  assert.equal(msg!.configuration.http.routers['r']?.service, 's', 'the last good version');
  assert.deepEqual(msg!.issues.map((i) => [i.kind, i.name, i.severity, i.dropped]), [['router', 'r', 'warning', false], ['service', 's', 'warning', false]]);
  assert.match(msg!.issues[0]!.message, /serving the last good version of .*a\.yml; the current one has errors: .*syntax error/);
});

test('the provider needs a filename or a directory', () => {
  assert.throws(() => new FileProvider({ watch: true }), /filename or directory/);
});

/** Yields to I/O until `done` holds (bounded by a number of turns, not by time). */
async function turnsUntil(done: () => boolean, maxTurns = 100_000): Promise<void> {
  for (let i = 0; i < maxTurns && !done(); i++) await new Promise<void>((resolve) => setImmediate(resolve));
  assert.ok(done(), `condition not reached in ${maxTurns} turns`);
}

const HALF_SAVES = [
  { desc: 'emptied, then written (an in-place save caught half-way)', lose: (file: string) => writeFile(file, ''), finish: (file: string) => writeFile(file, ROUTER.replace('r:', 'r2:')), want: ['r2'] },
  { desc: 'deleted, then created again', lose: (file: string) => rm(file), finish: (file: string) => writeFile(file, ROUTER.replace('r:', 'r2:')), want: ['r2'] },
  { desc: 'emptied for good: an empty configuration after the second read', lose: (file: string) => writeFile(file, '\n'), finish: async () => {}, want: [] },
  { desc: 'deleted for good: its items go after the second read', lose: (file: string) => rm(file), finish: async () => {}, want: [] },
];

for (const c of HALF_SAVES) {
  test(`a file ${c.desc}: no routes are lost in between`, async (t) => {
    const dir = await tempDir(t);
    const file = join(dir, 'a.yml');
    await writeFile(file, ROUTER);
    const provider = new FileProvider({ directory: dir, watch: false }, { debounceMs: 60_000 });
    await readOnce(provider);
    await c.lose(file);
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const reading = readOnce(provider);
    // The read that finds the content gone waits (on the mocked clock) for a confirming read.
    await turnsUntil(() => provider.status().counters?.['confirmReads'] === 1);
    await c.finish(file);
    t.mock.timers.tick(60_000);
    const emitted = await reading;
    assert.equal(emitted.length, 1);
    assert.deepEqual(Object.keys(emitted[0]!.configuration.http.routers), c.want);
  });
}
