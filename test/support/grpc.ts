import type { TestContext } from 'node:test';
import * as grpc from '@grpc/grpc-js';

/**
 * A gRPC service defined by hand (no .proto): JSON messages, plus `Blob` streaming raw bytes (the 100 MB test).
 * The gateway never decodes messages, so the codec is the test's business only.
 */
const json = {
  serialize: (v: unknown): Buffer => Buffer.from(JSON.stringify(v)),
  deserialize: (b: Buffer): unknown => JSON.parse(b.toString('utf8')),
};
const raw = { serialize: (b: Buffer): Buffer => b, deserialize: (b: Buffer): Buffer => b };

function method(name: string, requestStream: boolean, responseStream: boolean, codec: typeof json | typeof raw = json): grpc.MethodDefinition<unknown, unknown> {
  return {
    path: `/tagway.test.Echo/${name}`, requestStream, responseStream,
    requestSerialize: codec.serialize as (v: unknown) => Buffer, requestDeserialize: codec.deserialize,
    responseSerialize: codec.serialize as (v: unknown) => Buffer, responseDeserialize: codec.deserialize,
    originalName: name,
  };
}

export const ECHO_SERVICE: grpc.ServiceDefinition = {
  Unary: method('Unary', false, false),
  ServerStream: method('ServerStream', false, true),
  ClientStream: method('ClientStream', true, false),
  Bidi: method('Bidi', true, true),
  Blob: method('Blob', false, true, raw),
  Upload: method('Upload', true, false, raw),
};

export type EchoClient = grpc.Client & {
  Unary(req: unknown, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: unknown) => void): grpc.ClientUnaryCall;
  ServerStream(req: unknown, md?: grpc.Metadata, opts?: grpc.CallOptions): grpc.ClientReadableStream<unknown>;
  ClientStream(md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: unknown) => void): grpc.ClientWritableStream<unknown>;
  Bidi(md?: grpc.Metadata, opts?: grpc.CallOptions): grpc.ClientDuplexStream<unknown, unknown>;
  Blob(req: unknown, md?: grpc.Metadata, opts?: grpc.CallOptions): grpc.ClientReadableStream<Buffer>;
  Upload(md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): grpc.ClientWritableStream<Buffer>;
};

const EchoClientCtor = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo') as unknown as new (address: string, creds: grpc.ChannelCredentials, options?: grpc.ChannelOptions) => EchoClient;

/** A client to `address` (host:port), closed by the test. Cleartext is h2c by prior knowledge. */
export function echoClient(t: TestContext, address: string, creds: grpc.ChannelCredentials = grpc.credentials.createInsecure(), options: grpc.ChannelOptions = {}): EchoClient {
  const client = new EchoClientCtor(address, creds, options);
  t.after(() => client.close());
  return client;
}

/** Promisified unary call: resolves with the answer, the header metadata and the status (trailing metadata). */
export function unary(client: EchoClient, req: unknown, opts: { metadata?: grpc.Metadata; deadline?: number } = {}): Promise<{ err: grpc.ServiceError | null; res: unknown; headers: grpc.Metadata | undefined; status: grpc.StatusObject }> {
  return new Promise((resolve) => {
    let headers: grpc.Metadata | undefined;
    let result: { err: grpc.ServiceError | null; res: unknown } | undefined;
    let status: grpc.StatusObject | undefined;
    const done = (): void => { if (result && status) resolve({ ...result, headers, status }); };
    const call = client.Unary(req, opts.metadata ?? new grpc.Metadata(), opts.deadline !== undefined ? { deadline: Date.now() + opts.deadline } : {}, (err, res) => { result = { err, res }; done(); });
    call.on('metadata', (md: grpc.Metadata) => { headers = md; });
    call.on('status', (s: grpc.StatusObject) => { status = s; done(); });
  });
}

/** Server-side events the tests wait on. */
export interface EchoServerEvents {
  /** Calls whose client went away (RST_STREAM or deadline) before the handler finished. */
  cancelled: string[];
  /** `grpc-timeout` the handler saw, as its deadline (ms from now when it arrived), per method. */
  deadlines: number[];
  /** Bytes Blob wrote so far, and whether it is waiting for 'drain'. */
  blobWritten: number;
  blobBlocked: boolean;
  /** Bytes Upload received; it reads only while `uploadReading` is true (set it and call `resumeUpload`). */
  uploadReceived: number;
  uploadReading: boolean;
  resumeUpload: () => void;
}

export interface EchoServer { address: string; port: number; events: EchoServerEvents; server: grpc.Server }

/**
 * A real @grpc/grpc-js server on 127.0.0.1:0 (h2c, or TLS with `credentials`) implementing `ECHO_SERVICE`:
 * - Unary `{ n, fail?, hang? }` → `{ n, from }` with header `x-upstream: <name>` and trailing `x-trailer: t-<n>`;
 *   `fail` answers NOT_FOUND "no such <n>" with trailing metadata `x-detail: missing` and no message
 *   (a trailers-only answer); `hang` never answers (deadline, cancellation).
 * - ServerStream `{ count }` → `{ i }` × count (`count: -1`: one message, then hang).
 * - ClientStream: sums the `{ n }` it gets.
 * - Bidi: echoes each `{ n }` as `{ n: n * 2 }`.
 * - Blob `{ mb }` streams `mb` MiB in 64 KiB messages, honouring backpressure.
 */
export async function startEchoServer(t: TestContext, name: string, credentials: grpc.ServerCredentials = grpc.ServerCredentials.createInsecure(), health?: { serving: boolean }): Promise<EchoServer> {
  const events: EchoServerEvents = { cancelled: [], deadlines: [], blobWritten: 0, blobBlocked: false, uploadReceived: 0, uploadReading: true, resumeUpload: () => {} };
  const server = new grpc.Server();
  const watchCancel = (call: { on(e: 'cancelled', l: () => void): unknown }, method: string): void => { call.on('cancelled', () => events.cancelled.push(method)); };
  const noteDeadline = (call: { getDeadline(): grpc.Deadline }): void => {
    const d = call.getDeadline();
    if (d instanceof Date) events.deadlines.push(d.getTime() - Date.now());
    else if (Number.isFinite(d)) events.deadlines.push(Number(d) - Date.now());
  };
  server.addService(ECHO_SERVICE, {
    Unary(call: grpc.ServerUnaryCall<{ n: number; fail?: boolean; hang?: boolean }, unknown>, cb: grpc.sendUnaryData<unknown>) {
      watchCancel(call, 'Unary');
      noteDeadline(call);
      const { n, fail, hang } = call.request;
      if (hang) return;
      if (fail) {
        const md = new grpc.Metadata();
        md.set('x-detail', 'missing');
        cb({ code: grpc.status.NOT_FOUND, details: `no such ${n}`, metadata: md });
        return;
      }
      const headers = new grpc.Metadata();
      headers.set('x-upstream', name);
      call.sendMetadata(headers);
      const trailer = new grpc.Metadata();
      trailer.set('x-trailer', `t-${n}`);
      cb(null, { n, from: name }, trailer);
    },
    ServerStream(call: grpc.ServerWritableStream<{ count: number }, unknown>) {
      watchCancel(call, 'ServerStream');
      const { count } = call.request;
      if (count === -1) { call.write({ i: 0 }); return; }
      for (let i = 0; i < count; i++) call.write({ i });
      call.end();
    },
    ClientStream(call: grpc.ServerReadableStream<{ n: number }, unknown>, cb: grpc.sendUnaryData<unknown>) {
      watchCancel(call, 'ClientStream');
      let sum = 0;
      let count = 0;
      call.on('data', (m: { n: number }) => { sum += m.n; count++; });
      call.on('end', () => cb(null, { sum, count }));
    },
    Bidi(call: grpc.ServerDuplexStream<{ n: number }, unknown>) {
      watchCancel(call, 'Bidi');
      call.on('data', (m: { n: number }) => call.write({ n: m.n * 2 }));
      call.on('end', () => call.end());
    },
    Upload(call: grpc.ServerReadableStream<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) {
      watchCancel(call, 'Upload');
      events.resumeUpload = () => { events.uploadReading = true; call.resume(); };
      call.on('data', (chunk: Buffer) => { events.uploadReceived += chunk.length; if (!events.uploadReading) call.pause(); });
      call.on('end', () => cb(null, Buffer.from(String(events.uploadReceived))));
    },
    Blob(call: grpc.ServerWritableStream<Buffer, Buffer>) {
      watchCancel(call, 'Blob');
      const want = Number((JSON.parse(call.request.toString('utf8')) as { mb: number }).mb) * 1024 * 1024;
      const chunk = Buffer.alloc(64 * 1024, 0x61);
      let cancelled = false;
      call.on('cancelled', () => { cancelled = true; });
      const pump = (): void => {
        events.blobBlocked = false;
        while (!cancelled && events.blobWritten < want) {
          events.blobWritten += chunk.length;
          if (!call.write(chunk)) { events.blobBlocked = true; call.once('drain', pump); return; }
        }
        if (!cancelled) call.end();
      };
      pump();
    },
  });
  if (health) {
    // grpc.health.v1.Health/Check by hand: the answer is `status` (field 1, varint): SERVING 1, NOT_SERVING 2.
    server.addService({ Check: { path: '/grpc.health.v1.Health/Check', requestStream: false, responseStream: false, ...rawCodec() } }, {
      Check(_call: unknown, cb: grpc.sendUnaryData<Buffer>) { cb(null, Buffer.from([0x08, health.serving ? 1 : 2])); },
    });
  }
  const port = await new Promise<number>((resolve, reject) => server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p))));
  t.after(() => server.forceShutdown());
  return { address: `127.0.0.1:${port}`, port, events, server };
}

function rawCodec(): Pick<grpc.MethodDefinition<Buffer, Buffer>, 'requestSerialize' | 'requestDeserialize' | 'responseSerialize' | 'responseDeserialize'> {
  return { requestSerialize: raw.serialize, requestDeserialize: raw.deserialize, responseSerialize: raw.serialize, responseDeserialize: raw.deserialize };
}

export { grpc };
