/**
 * tracingSettings: every OTEL_* variable tagway reads for export and sampling, with its precedence against
 * the static option (file, flag, TAGWAY_*), the signal-specific variable against the generic one, and a bad
 * value stopping startup with the variable's name. The effect on the wire is in export/environment.test.ts.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { tracingDisabled, tracingSettings, type TracingSettings } from '../../src/observability/settings.ts';
import { loadStaticConfig } from '../../src/static/load.ts';
import type { TracingConfig } from '../../src/static/types.ts';

/** The tracing section as the loader builds it (origins recorded), from flags and TAGWAY_* env. */
function loaded(argv: string[] = [], tagwayEnv: Record<string, string> = {}): TracingConfig {
  return loadStaticConfig({ argv: ['--tracing.serviceName=s', ...argv], env: tagwayEnv }).tracing!;
}

type Pick = (s: TracingSettings) => unknown;

/** Two readable PEM files (the env paths are checked at startup). */
const PEM_A = fileURLToPath(new URL('./export/fixtures/collector-cert.pem', import.meta.url));
const PEM_B = fileURLToPath(new URL('./export/fixtures/collector-key.pem', import.meta.url));

interface Case {
  what: string;
  pick: Pick;
  /** Static flag that must win over both variables. */
  flag?: string;
  /** [traces-specific, generic] variables, or one variable. */
  vars: [string, string] | [string];
  /** Values of the variables (first for the specific one). */
  values: [string, string] | [string];
  /** Expected effective value from the first variable (and from the second when the first is unset). */
  want: [unknown, unknown] | [unknown];
  /** Expected value with the flag. */
  flagWant?: unknown;
  defaultWant: unknown;
}

const cases: Case[] = [
  {
    what: 'endpoint', pick: (s) => s.endpoint, flag: '--tracing.otlp.http.endpoint=http://file:4318/custom/path', flagWant: 'http://file:4318/custom/path',
    vars: ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_ENDPOINT'], values: ['http://a:4318/as/is', 'http://b:4318/base/'],
    want: ['http://a:4318/as/is', 'http://b:4318/base/v1/traces'], defaultWant: 'http://localhost:4318/v1/traces',
  },
  {
    what: 'headers', pick: (s) => s.headers, flag: '--tracing.otlp.http.headers.x-file=1', flagWant: { 'x-file': '1' },
    vars: ['OTEL_EXPORTER_OTLP_TRACES_HEADERS', 'OTEL_EXPORTER_OTLP_HEADERS'], values: ['a=1,b=%3D%2C', 'c=3'],
    want: [{ a: '1', b: '=,' }, { c: '3' }], defaultWant: {},
  },
  {
    what: 'timeout', pick: (s) => s.timeout,
    vars: ['OTEL_EXPORTER_OTLP_TRACES_TIMEOUT', 'OTEL_EXPORTER_OTLP_TIMEOUT'], values: ['250', '500'], want: [250, 500], defaultWant: 10_000,
  },
  {
    what: 'compression', pick: (s) => s.compression, flag: '--tracing.otlp.http.compression=none', flagWant: 'none',
    vars: ['OTEL_EXPORTER_OTLP_TRACES_COMPRESSION', 'OTEL_EXPORTER_OTLP_COMPRESSION'], values: ['gzip', 'GZIP'], want: ['gzip', 'gzip'], defaultWant: 'none',
  },
  {
    what: 'protocol', pick: (s) => s.protocol,
    vars: ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL'], values: ['http/json', 'http/json'], want: ['http/json', 'http/json'], defaultWant: 'http/protobuf',
  },
  {
    what: 'insecure', pick: (s) => s.insecure,
    vars: ['OTEL_EXPORTER_OTLP_TRACES_INSECURE', 'OTEL_EXPORTER_OTLP_INSECURE'], values: ['true', 'TRUE'], want: [true, true], defaultWant: false,
  },
  {
    what: 'tls.ca', pick: (s) => s.tls.ca, flag: '--tracing.otlp.http.tls.ca=/file/ca.pem', flagWant: '/file/ca.pem',
    vars: ['OTEL_EXPORTER_OTLP_TRACES_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CERTIFICATE'], values: [PEM_A, PEM_B], want: [PEM_A, PEM_B], defaultWant: undefined,
  },
  {
    what: 'tls.cert', pick: (s) => s.tls.cert, flag: '--tracing.otlp.http.tls.cert=/file/c.pem', flagWant: '/file/c.pem',
    vars: ['OTEL_EXPORTER_OTLP_TRACES_CLIENT_CERTIFICATE', 'OTEL_EXPORTER_OTLP_CLIENT_CERTIFICATE'], values: [PEM_A, PEM_B], want: [PEM_A, PEM_B], defaultWant: undefined,
  },
  {
    what: 'tls.key', pick: (s) => s.tls.key, flag: '--tracing.otlp.http.tls.key=/file/k.pem', flagWant: '/file/k.pem',
    vars: ['OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY', 'OTEL_EXPORTER_OTLP_CLIENT_KEY'], values: [PEM_A, PEM_B], want: [PEM_A, PEM_B], defaultWant: undefined,
  },
  { what: 'batch.scheduledDelay', pick: (s) => s.batch.scheduledDelay, flag: '--tracing.batch.scheduledDelay=2s', flagWant: 2000, vars: ['OTEL_BSP_SCHEDULE_DELAY'], values: ['0'], want: [0], defaultWant: 5000 },
  { what: 'batch.exportTimeout', pick: (s) => s.batch.exportTimeout, flag: '--tracing.batch.exportTimeout=3s', flagWant: 3000, vars: ['OTEL_BSP_EXPORT_TIMEOUT'], values: ['1500'], want: [1500], defaultWant: 30_000 },
  { what: 'batch.maxQueueSize', pick: (s) => s.batch.maxQueueSize, flag: '--tracing.batch.maxQueueSize=4096', flagWant: 4096, vars: ['OTEL_BSP_MAX_QUEUE_SIZE'], values: ['1000'], want: [1000], defaultWant: 2048 },
  { what: 'batch.maxExportBatchSize', pick: (s) => s.batch.maxExportBatchSize, flag: '--tracing.batch.maxExportBatchSize=64', flagWant: 64, vars: ['OTEL_BSP_MAX_EXPORT_BATCH_SIZE'], values: ['100'], want: [100], defaultWant: 512 },
];

describe('tracingSettings: each variable, its precedence and its source', () => {
  for (const c of cases) {
    it(`${c.what}: ${c.flag ? 'the static option, then ' : ''}${c.vars.join(', then ')}, then the default`, () => {
      const all = Object.fromEntries(c.vars.map((v, i) => [v, c.values[i]!]));
      assert.deepEqual(c.pick(tracingSettings(loaded(), {})), { value: c.defaultWant, source: 'default' });
      assert.deepEqual(c.pick(tracingSettings(loaded(), all)), { value: c.want[0], source: 'env', variable: c.vars[0] });
      if (c.vars.length === 2) {
        assert.deepEqual(c.pick(tracingSettings(loaded(), { [c.vars[1]]: c.values[1] })), { value: c.want[1], source: 'env', variable: c.vars[1] });
        assert.deepEqual(c.pick(tracingSettings(loaded(), { [c.vars[0]]: '', [c.vars[1]]: c.values[1] })), { value: c.want[1], source: 'env', variable: c.vars[1] }, 'empty is unset');
      }
      if (c.flag) assert.deepEqual(c.pick(tracingSettings(loaded([c.flag]), all)), { value: c.flagWant, source: 'flag' });
    });
  }

  it('the source of a static option: file, flag, TAGWAY_* env or default', async (t) => {
    const dir = await mkdtemp(join(tmpdir(), 'tagway-settings-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'tagway.yml');
    await writeFile(file, 'tracing:\n  sampleRate: 0.5\n  batch:\n    maxQueueSize: 1000\n');
    const env = { OTEL_BSP_MAX_QUEUE_SIZE: '700', OTEL_TRACES_SAMPLER: 'always_off', OTEL_BSP_EXPORT_TIMEOUT: '9' };
    const fromFile = tracingSettings(loadStaticConfig({ argv: [`--configFile=${file}`], env: {} }).tracing!, env);
    assert.deepEqual(fromFile.batch.maxQueueSize, { value: 1000, source: 'file' });
    assert.deepEqual(fromFile.sampler, { value: { name: 'parentbased_traceidratio', ratio: 0.5 }, source: 'file' });
    assert.deepEqual(fromFile.batch.exportTimeout, { value: 9, source: 'env', variable: 'OTEL_BSP_EXPORT_TIMEOUT' });
    const fromTagwayEnv = tracingSettings(loaded([], { TAGWAY_TRACING_BATCH_MAXQUEUESIZE: '3000' }), env);
    assert.deepEqual(fromTagwayEnv.batch.maxQueueSize, { value: 3000, source: 'env' });
    // a config built in code: what differs from the default counts as the file's
    const inCode = { ...loadStaticConfig({ argv: ['--tracing.serviceName=s'], env: {} }).tracing!, sampleRate: 0.25 };
    assert.deepEqual(tracingSettings(inCode, env).sampler, { value: { name: 'parentbased_traceidratio', ratio: 0.25 }, source: 'file' });
  });

  it('OTEL_TRACES_SAMPLER and _ARG: every sampler, the arg only for the ratio ones; tracing.sampleRate wins', () => {
    const sampler = (env: Record<string, string>, argv: string[] = []) => tracingSettings(loaded(argv), env).sampler;
    assert.deepEqual(sampler({}), { value: { name: 'parentbased_traceidratio', ratio: 1 }, source: 'default' });
    for (const [name, ratio] of [['always_on', 1], ['always_off', 0], ['parentbased_always_on', 1], ['parentbased_always_off', 0], ['traceidratio', 1], ['parentbased_traceidratio', 1]] as const) {
      assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: name }), { value: { name, ratio }, source: 'env', variable: 'OTEL_TRACES_SAMPLER' });
    }
    assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).value, { name: 'traceidratio', ratio: 0.25 });
    assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: 'always_on', OTEL_TRACES_SAMPLER_ARG: 'ignored' }).value, { name: 'always_on', ratio: 1 });
    assert.deepEqual(sampler({ OTEL_TRACES_SAMPLER: 'always_off' }, ['--tracing.sampleRate=0.5']), { value: { name: 'parentbased_traceidratio', ratio: 0.5 }, source: 'flag' });
  });

  it('OTEL_SDK_DISABLED: true/false in any case, empty is unset', () => {
    assert.equal(tracingDisabled({}), false);
    assert.equal(tracingDisabled({ OTEL_SDK_DISABLED: '' }), false);
    assert.equal(tracingDisabled({ OTEL_SDK_DISABLED: 'True' }), true);
    assert.equal(tracingDisabled({ OTEL_SDK_DISABLED: 'false' }), false);
  });
});

describe('tracingSettings: OTLP/gRPC (Traefik\'s tracing.otlp.grpc and the OTel variables)', () => {
  const GRPC = ['--tracing.otlp.grpc=true'];
  const pick = (s: TracingSettings) => ({ protocol: s.protocol, endpoint: s.endpoint, insecure: s.insecure });
  const cases: Array<{ desc: string; argv?: string[]; env?: Record<string, string>; want: ReturnType<typeof pick> }> = [
    {
      desc: 'the static section selects gRPC with Traefik\'s defaults (localhost:4317, TLS)', argv: GRPC,
      want: { protocol: { value: 'grpc', source: 'flag' }, endpoint: { value: 'localhost:4317', source: 'default' }, insecure: { value: false, source: 'default' } },
    },
    {
      desc: 'the static section wins over OTEL_EXPORTER_OTLP_PROTOCOL=http/json; its endpoint and insecure over the variables',
      argv: ['--tracing.otlp.grpc.endpoint=file:4317', '--tracing.otlp.grpc.insecure=true'],
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_ENDPOINT: 'https://env:4317', OTEL_EXPORTER_OTLP_INSECURE: 'false' },
      want: { protocol: { value: 'grpc', source: 'flag' }, endpoint: { value: 'file:4317', source: 'flag' }, insecure: { value: true, source: 'flag' } },
    },
    {
      desc: 'OTEL_EXPORTER_OTLP_PROTOCOL=grpc alone: the generic endpoint is used as is (no /v1/traces); http:// means plaintext',
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://otel:4317/' },
      want: { protocol: { value: 'grpc', source: 'env', variable: 'OTEL_EXPORTER_OTLP_PROTOCOL' }, endpoint: { value: 'otel:4317', source: 'env', variable: 'OTEL_EXPORTER_OTLP_ENDPOINT' }, insecure: { value: true, source: 'env', variable: 'OTEL_EXPORTER_OTLP_ENDPOINT' } },
    },
    {
      desc: 'the traces variables win over the generic ones; https:// means TLS even with OTEL_EXPORTER_OTLP_INSECURE=true',
      env: { OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://t:4317', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://g:4317', OTEL_EXPORTER_OTLP_INSECURE: 'true' },
      want: { protocol: { value: 'grpc', source: 'env', variable: 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' }, endpoint: { value: 't:4317', source: 'env', variable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' }, insecure: { value: false, source: 'env', variable: 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT' } },
    },
    {
      desc: 'a bare host:port: OTEL_EXPORTER_OTLP_TRACES_INSECURE, then OTEL_EXPORTER_OTLP_INSECURE decide',
      env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'otel:4317', OTEL_EXPORTER_OTLP_TRACES_INSECURE: 'true', OTEL_EXPORTER_OTLP_INSECURE: 'false' },
      want: { protocol: { value: 'grpc', source: 'env', variable: 'OTEL_EXPORTER_OTLP_PROTOCOL' }, endpoint: { value: 'otel:4317', source: 'env', variable: 'OTEL_EXPORTER_OTLP_ENDPOINT' }, insecure: { value: true, source: 'env', variable: 'OTEL_EXPORTER_OTLP_TRACES_INSECURE' } },
    },
    {
      desc: 'a static otlp.http option wins over OTEL_EXPORTER_OTLP_PROTOCOL=grpc: OTLP/HTTP protobuf',
      argv: ['--tracing.otlp.http.endpoint=http://file:4318/v1/traces'], env: { OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' },
      want: { protocol: { value: 'http/protobuf', source: 'flag' }, endpoint: { value: 'http://file:4318/v1/traces', source: 'flag' }, insecure: { value: false, source: 'default' } },
    },
  ];
  for (const c of cases) {
    it(c.desc, () => assert.deepEqual(pick(tracingSettings(loaded(c.argv), c.env ?? {})), c.want));
  }

  it('headers, compression and tls come from otlp.grpc (not otlp.http), else from the variables', () => {
    const env = { OTEL_EXPORTER_OTLP_HEADERS: 'k=env', OTEL_EXPORTER_OTLP_COMPRESSION: 'gzip', OTEL_EXPORTER_OTLP_CERTIFICATE: PEM_A };
    const fromGrpc = tracingSettings(loaded([...GRPC, '--tracing.otlp.grpc.headers.k=file', '--tracing.otlp.grpc.compression=none', '--tracing.otlp.grpc.tls.ca=/grpc/ca.pem', '--tracing.otlp.http.tls.ca=/http/ca.pem']), env);
    assert.deepEqual([fromGrpc.headers, fromGrpc.compression, fromGrpc.tls.ca], [{ value: { k: 'file' }, source: 'flag' }, { value: 'none', source: 'flag' }, { value: '/grpc/ca.pem', source: 'flag' }]);
    const fromEnv = tracingSettings(loaded([...GRPC, '--tracing.otlp.http.headers.h=1', '--tracing.otlp.http.compression=none']), env);
    assert.deepEqual([fromEnv.headers.value, fromEnv.compression.value, fromEnv.tls.ca.value], [{ k: 'env' }, 'gzip', PEM_A]);
  });

  it('span limits: the span variable, then the general one, then the SDK default', () => {
    const limits = (env: Record<string, string>) => tracingSettings(loaded(), env).limits;
    assert.deepEqual(limits({}), { attributeCount: { value: 128, source: 'default' }, attributeValueLength: { value: Infinity, source: 'default' }, eventCount: { value: 128, source: 'default' } });
    assert.deepEqual(limits({ OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT: '5', OTEL_ATTRIBUTE_COUNT_LIMIT: '9', OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT: '12', OTEL_SPAN_EVENT_COUNT_LIMIT: '0' }), {
      attributeCount: { value: 5, source: 'env', variable: 'OTEL_SPAN_ATTRIBUTE_COUNT_LIMIT' },
      attributeValueLength: { value: 12, source: 'env', variable: 'OTEL_ATTRIBUTE_VALUE_LENGTH_LIMIT' },
      eventCount: { value: 0, source: 'env', variable: 'OTEL_SPAN_EVENT_COUNT_LIMIT' },
    });
  });
});

describe('tracingSettings: a bad value stops startup, naming the variable', () => {
  const bad: Array<[Record<string, string>, RegExp]> = [
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT must be an http\(s\) URL/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'grpc://x' }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be an http\(s\) URL/],
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'novalue' }, /OTEL_EXPORTER_OTLP_HEADERS: "novalue" is not a key=value header/],
    [{ OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'k=%zz' }, /OTEL_EXPORTER_OTLP_TRACES_HEADERS: the value of "k" is not valid percent-encoding/],
    [{ OTEL_EXPORTER_OTLP_HEADERS: 'k=a%0Db' }, /OTEL_EXPORTER_OTLP_HEADERS: the value of "k" contains a line break/],
    [{ OTEL_EXPORTER_OTLP_CERTIFICATE: '/nonexistent/ca.pem' }, /OTEL_EXPORTER_OTLP_CERTIFICATE: cannot read "\/nonexistent\/ca.pem" \(ENOENT\)/],
    [{ OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: '/nonexistent/k.pem' }, /OTEL_EXPORTER_OTLP_TRACES_CLIENT_KEY: cannot read/],
    [{ OTEL_EXPORTER_OTLP_TIMEOUT: '10s' }, /OTEL_EXPORTER_OTLP_TIMEOUT must be a positive integer/],
    [{ OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: '0' }, /OTEL_EXPORTER_OTLP_TRACES_TIMEOUT must be a positive integer/],
    [{ OTEL_EXPORTER_OTLP_COMPRESSION: 'br' }, /OTEL_EXPORTER_OTLP_COMPRESSION: "br" is not supported \(use gzip or none\)/],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc/json' }, /OTEL_EXPORTER_OTLP_PROTOCOL: "grpc\/json" is not supported \(use grpc, http\/protobuf or http\/json\)/],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_ENDPOINT: 'grpc://x:4317' }, /OTEL_EXPORTER_OTLP_ENDPOINT must be host:port or an http\(s\) URL for OTLP\/gRPC/],
    [{ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'collector' }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT must be host:port/],
    [{ OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT: '-3' }, /OTEL_SPAN_ATTRIBUTE_VALUE_LENGTH_LIMIT must be a non-negative integer/],
    [{ OTEL_SPAN_EVENT_COUNT_LIMIT: 'x' }, /OTEL_SPAN_EVENT_COUNT_LIMIT must be a non-negative integer/],
    [{ OTEL_EXPORTER_OTLP_INSECURE: 'yes' }, /OTEL_EXPORTER_OTLP_INSECURE must be true or false/],
    [{ OTEL_BSP_SCHEDULE_DELAY: '-1' }, /OTEL_BSP_SCHEDULE_DELAY must be a non-negative integer/],
    [{ OTEL_BSP_EXPORT_TIMEOUT: '0' }, /OTEL_BSP_EXPORT_TIMEOUT must be a positive integer/],
    [{ OTEL_BSP_MAX_QUEUE_SIZE: '1.5' }, /OTEL_BSP_MAX_QUEUE_SIZE must be a positive integer/],
    [{ OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '4096' }, /OTEL_BSP_MAX_EXPORT_BATCH_SIZE \(4096\) must not exceed maxQueueSize \(2048\)/],
    [{ OTEL_BSP_MAX_QUEUE_SIZE: '10', OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '20' }, /OTEL_BSP_MAX_EXPORT_BATCH_SIZE \(20\) must not exceed OTEL_BSP_MAX_QUEUE_SIZE \(10\)/],
    [{ OTEL_TRACES_SAMPLER: 'jaeger_remote' }, /OTEL_TRACES_SAMPLER: "jaeger_remote" is not supported/],
    [{ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '1.5' }, /OTEL_TRACES_SAMPLER_ARG must be a number between 0 and 1/],
    [{ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: 'half' }, /OTEL_TRACES_SAMPLER_ARG must be a number between 0 and 1/],
  ];
  for (const [env, message] of bad) {
    it(JSON.stringify(env), () => {
      assert.throws(() => tracingSettings(loaded(), env), (e: unknown) => (e as { code?: string }).code !== undefined && message.test((e as Error).message));
    });
  }

  it('a bad value of a variable the static option overrides is not read', () => {
    assert.equal(tracingSettings(loaded(['--tracing.otlp.http.compression=gzip']), { OTEL_EXPORTER_OTLP_COMPRESSION: 'br' }).compression.value, 'gzip');
  });

  it('OTEL_SDK_DISABLED=yes', () => {
    assert.throws(() => tracingDisabled({ OTEL_SDK_DISABLED: 'yes' }), /OTEL_SDK_DISABLED must be true or false, got "yes"/);
  });
});
