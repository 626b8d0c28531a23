import { describe, it, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadStaticConfig } from '../../src/static/load.ts';
import { StaticConfigError } from '../../src/static/errors.ts';
import { spawnCli } from '../support/cli.ts';

/** What Kubernetes injects into every pod for a service named "tagway" in the namespace. */
const KUBERNETES_SERVICE_ENV = {
  TAGWAY_PORT: 'tcp://10.96.0.12:80',
  TAGWAY_PORT_80_TCP: 'tcp://10.96.0.12:80',
  TAGWAY_PORT_80_TCP_PROTO: 'tcp',
  TAGWAY_PORT_80_TCP_PORT: '80',
  TAGWAY_PORT_80_TCP_ADDR: '10.96.0.12',
  TAGWAY_SERVICE_HOST: '10.96.0.12',
  TAGWAY_SERVICE_PORT: '80',
  TAGWAY_SERVICE_PORT_HTTP: '80',
};

function load(env: Record<string, string>, argv: string[] = []): { warnings: string[]; config: ReturnType<typeof loadStaticConfig> } {
  const warnings: string[] = [];
  const config = loadStaticConfig({ argv, env, onWarning: (m) => warnings.push(m) });
  return { warnings, config };
}

async function tempFile(t: TestContext, name: string, text: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'tagway-env-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const file = join(dir, name);
  await writeFile(file, text);
  return file;
}

describe('foreign TAGWAY_* environment variables', () => {
  it('are warned about, one line each, and ignored; the known ones still apply', () => {
    const { warnings, config } = load({ ...KUBERNETES_SERVICE_ENV, TAGWAY_LOG_LEVEL: 'INFO' });
    assert.equal(config.log.level, 'INFO');
    assert.equal(warnings.length, Object.keys(KUBERNETES_SERVICE_ENV).length);
    assert.ok(warnings.some((w) => w.startsWith('TAGWAY_PORT: unknown key "PORT"') && w.includes('variable ignored')), warnings.join('\n'));
    assert.ok(warnings.some((w) => w.startsWith('TAGWAY_SERVICE_HOST: ')), warnings.join('\n'));
  });

  it('get a "did you mean" naming the variable', () => {
    const { warnings, config } = load({ TAGWAY_LOG_LEVL: 'DEBUG', TAGWAY_ENTRYPOINTS_WEB_ADRESS: ':9000', TAGWAY_ENTRYPOINTS_WEB_ADDRESS: ':8000' });
    assert.equal(config.log.level, 'ERROR', 'the misspelled variable is not applied');
    assert.equal(config.entryPoints['web']!.address, ':8000');
    assert.deepEqual(warnings.sort(), [
      'TAGWAY_ENTRYPOINTS_WEB_ADRESS: unknown key "ADRESS" in entryPoints; variable ignored (did you mean "TAGWAY_ENTRYPOINTS_WEB_ADDRESS"?)',
      'TAGWAY_LOG_LEVL: unknown key "LEVL" in log; variable ignored (did you mean "TAGWAY_LOG_LEVEL"?)',
    ]);
  });

  it('a bad value in a known variable still stops startup', () => {
    assert.throws(() => load({ ...KUBERNETES_SERVICE_ENV, TAGWAY_LOG_LEVEL: 'LOUD' }), (err: unknown) => err instanceof StaticConfigError && /TAGWAY_LOG_LEVEL: log\.level: invalid value "LOUD"/.test(err.message));
  });

  it('unknown keys in flags and in the file still stop startup', async (t) => {
    assert.throws(() => load({}, ['--log.levl=INFO']), (err: unknown) => err instanceof StaticConfigError && /unknown key "levl"/.test(err.message) && /did you mean "level"/.test(err.message));
    const file = await tempFile(t, 'tagway.yml', 'log:\n  levl: INFO\n');
    assert.throws(() => load({}, [`--configFile=${file}`]), (err: unknown) => err instanceof StaticConfigError && /tagway\.yml:2: log\.levl: unknown key/.test(err.message));
  });

  it('do not stop the CLI: it warns on stderr and serves', { timeout: 60_000 }, async (t) => {
    const child = spawnCli(['--entryPoints.web.address=127.0.0.1:0', '--workers=1', '--log.level=INFO'], KUBERNETES_SERVICE_ENV);
    t.after(() => { if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL'); });
    let out = '';
    const exited = once(child, 'exit');
    const listening = new Promise<void>((resolve, reject) => {
      const add = (c: Buffer): void => { out += c.toString('utf8'); if (/entry point listening entryPoint=web/.test(out)) resolve(); };
      child.stdout!.on('data', add);
      child.stderr!.on('data', add);
      void exited.then(() => reject(new Error(`exited before listening:\n${out}`)));
    });
    await listening;
    assert.match(out, /tagway: warning: TAGWAY_PORT: unknown key "PORT" in static configuration; variable ignored/);
  });
});
