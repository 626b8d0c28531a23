import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Abort } from '../../../src/observability/export/abort.ts';

describe('Abort (the export path\'s cancellation)', () => {
  it('aborts once, with the first reason, running its handlers in order', () => {
    const a = new Abort();
    const seen: string[] = [];
    a.onAbort((r) => seen.push(`1:${r.message}`));
    a.onAbort((r) => seen.push(`2:${r.message}`));
    assert.equal(a.aborted, false, 'not aborted before abort()');
    a.abort(new Error('first'));
    a.abort(new Error('second'));
    assert.equal(a.aborted, true, 'aborted after abort()');
    assert.equal(a.reason?.message, 'first', 'the first reason stays');
    assert.deepEqual(seen, ['1:first', '2:first'], 'each handler ran once, in the order added');
  });

  it('a removed handler never runs; one added after the abort runs at once', () => {
    const a = new Abort();
    let removedRan = false;
    const off = a.onAbort(() => { removedRan = true; });
    off();
    off(); // twice changes nothing
    a.abort(new Error('x'));
    assert.equal(removedRan, false, 'the removed handler did not run');
    let late: Error | undefined;
    const offLate = a.onAbort((r) => { late = r; });
    assert.equal(late?.message, 'x', 'a handler added after the abort ran at once with the reason');
    offLate();
  });

  it('a child aborts with its parent (also when the parent already had), not the other way round', () => {
    const parent = new Abort();
    const child = new Abort(parent);
    child.abort(new Error('child only'));
    assert.equal(parent.aborted, false, 'the child\'s abort left the parent running');
    const second = new Abort(parent);
    parent.abort(new Error('parent'));
    assert.equal(second.reason?.message, 'parent', 'a child takes the parent\'s reason');
    assert.equal(new Abort(parent).reason?.message, 'parent', 'a child of an aborted parent starts aborted');
  });

  it('every child and handler of a parent aborts with it, though each child unlinks itself as it aborts', () => {
    const parent = new Abort();
    const seen: string[] = [];
    const children = [1, 2, 3].map((i) => { const c = new Abort(parent); c.onAbort(() => seen.push(`child ${i}`)); return c; });
    parent.onAbort(() => seen.push('handler'));
    parent.abort(new Error('down'));
    assert.deepEqual(seen, ['child 1', 'child 2', 'child 3', 'handler'], 'none skipped, in the order they were linked');
    assert.ok(children.every((c) => c.reason?.message === 'down'), 'each child took the parent\'s reason');
  });

  it('a disposed child no longer follows its parent, and its parent keeps no handler for it', () => {
    const parent = new Abort();
    let handlers = 0;
    const original = parent.onAbort.bind(parent);
    parent.onAbort = (handler) => { handlers++; const off = original(handler); return () => { handlers--; off(); }; };
    for (let i = 0; i < 1000; i++) new Abort(parent).dispose();
    assert.equal(handlers, 0, 'every disposed child removed its handler from the parent');
    const child = new Abort(parent);
    child.dispose();
    parent.abort(new Error('late'));
    assert.equal(child.aborted, false, 'a disposed child did not abort with its parent');
  });

  it('times out with the reason given, unless disposed or aborted first', (t) => {
    t.mock.timers.enable({ apis: ['setTimeout'] });
    const timed = new Abort().timeout(1000, () => new Error('too slow'));
    const disposed = new Abort().timeout(1000, () => new Error('never'));
    disposed.dispose();
    const early = new Abort().timeout(1000, () => new Error('never either'));
    early.abort(new Error('early'));
    t.mock.timers.tick(999);
    assert.equal(timed.aborted, false, 'not before its time');
    t.mock.timers.tick(1);
    assert.equal(timed.reason?.message, 'too slow', 'aborted at its time with the reason made then');
    assert.equal(disposed.aborted, false, 'a disposed Abort never times out');
    assert.equal(early.reason?.message, 'early', 'an earlier abort keeps its reason');
  });
});
