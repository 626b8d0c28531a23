// A node:test reporter that prints the slowest test files (run-tests.mjs adds it beside the spec reporter):
// a file's time is the sum of its top-level tests and suites as node:test timed them, so loading its imports
// is not in it. (The runner holds a file's reports back until the file before it is done, so the time they
// arrive says nothing.)
const SHOWN = 20;

export default async function* testTimes(source) {
  const files = new Map();
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const { file, nesting, details } = event.data;
    if (file === undefined) continue;
    const f = files.get(file) ?? { ms: 0, tests: 0, failed: 0 };
    if (nesting === 0) f.ms += details.duration_ms ?? 0;
    if (details.type !== 'suite') f.tests++;
    if (event.type === 'test:fail') f.failed++;
    files.set(file, f);
  }
  const rows = [...files].map(([file, f]) => ({ file: file.replace(`${process.cwd()}/`, ''), ...f })).sort((a, b) => b.ms - a.ms);
  const total = rows.reduce((n, r) => n + r.ms, 0) / 1000;
  yield `\nslowest test files (${rows.length} files, ${total.toFixed(0)} s of tests in all):\n`;
  for (const r of rows.slice(0, SHOWN)) yield `${(r.ms / 1000).toFixed(1).padStart(7)} s  ${r.file} (${r.tests} tests${r.failed ? `, ${r.failed} failed` : ''})\n`;
}
