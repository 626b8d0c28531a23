import type { Middleware } from '../dynamic/types.ts';
import { providerOf, qualify } from '../dynamic/aggregate.ts';
import type { MiddlewareInfo } from '../dynamic/runtime.ts';
import { buildMiddleware, MiddlewareError, type BuiltMiddleware, type MiddlewareEnv } from '../middlewares/index.ts';
import { errorMessage } from './issues.ts';

/**
 * A built middleware and the definition it was built from (kept across reloads while that is unchanged: the same
 * object, or else the same JSON, made only when a new object must be compared with it).
 */
export interface MiddlewareEntry { def: Middleware; json?: string; built: BuiltMiddleware }

/**
 * The one middleware resolver of a build: builds each definition at most once, on first use (a router, a
 * chain or the middleware list), reuses the previous build's instance when the definition did not change,
 * and holds the one cycle guard (the names being built right now, in order).
 *
 * @example
 * const mws = new MiddlewareResolver({ 'auth@file': { basicAuth: { users: ['u:$apr1$…'] } } });
 * const auth = mws.get('auth@file'); // BuiltMiddleware, or an Error to attach to the router that uses it
 */
export class MiddlewareResolver {
  readonly #defs: Readonly<Record<string, Middleware>>;
  readonly #previous: ReadonlyMap<string, MiddlewareEntry> | undefined;
  readonly #built = new Map<string, MiddlewareEntry>();
  readonly #failed = new Map<string, Error>();
  readonly #building: string[] = [];
  readonly #env: MiddlewareEnv;
  readonly #kept: ReadonlyMap<string, MiddlewareEntry | Error> | undefined;

  /**
   * `previous`: instances of an earlier build, reused when their definition is the same (JSON). `kept`: results an
   * incremental build keeps as they are, chains and failures included (their definitions and members did not
   * change), so they are neither rebuilt nor compared.
   */
  constructor(defs: Readonly<Record<string, Middleware>>, previous?: ReadonlyMap<string, MiddlewareEntry>, env: MiddlewareEnv = {},
    kept?: ReadonlyMap<string, MiddlewareEntry | Error>) {
    this.#defs = defs;
    this.#previous = previous;
    this.#env = env;
    this.#kept = kept;
  }

  /** The middleware named `qualified` (`auth@file`), built, or why it cannot be. Never throws. */
  get(qualified: string): BuiltMiddleware | Error {
    const done = this.#built.get(qualified);
    if (done) return done.built;
    const failed = this.#failed.get(qualified);
    if (failed) return failed;
    if (this.#building.includes(qualified)) {
      const path = [...this.#building.slice(this.#building.indexOf(qualified)), qualified];
      return new MiddlewareError('TAGWAY_MIDDLEWARE_CYCLE', `recursion detected in chain: ${path.join(' -> ')}`);
    }
    if (!Object.hasOwn(this.#defs, qualified)) return new MiddlewareError('TAGWAY_MIDDLEWARE_REF', `middleware "${qualified}" does not exist`);
    const result = this.#kept?.get(qualified) ?? this.#build(qualified);
    if (result instanceof Error) this.#failed.set(qualified, result);
    else this.#built.set(qualified, result);
    return result instanceof Error ? result : result.built;
  }

  /** The instances this build uses, by qualified name. */
  get built(): ReadonlyMap<string, MiddlewareEntry> { return this.#built; }

  /** The middleware being built right now (the innermost, when a chain builds its members). */
  get current(): string | undefined { return this.#building[this.#building.length - 1]; }

  /** The middleware's result as built here (an instance entry or why it failed), building it if needed. */
  entry(qualified: string): MiddlewareEntry | Error {
    const got = this.get(qualified);
    return got instanceof Error ? got : this.#built.get(qualified)!;
  }

  /** The names this resolver built (not reused, not kept), in order: what a change cost. */
  readonly rebuilt: string[] = [];

  #build(qualified: string): MiddlewareEntry | Error {
    this.#building.push(qualified);
    try {
      const def = this.#defs[qualified]!;
      const previous = this.#previous?.get(qualified);
      // A chain holds its members' instances and errors its page service's handler: both are rebuilt each time, so
      // a changed member or service is never left behind.
      if (previous && def.chain === undefined && def.errors === undefined
        && (previous.def === def || (previous.json ??= JSON.stringify(previous.def)) === JSON.stringify(def))) return previous;
      this.rebuilt.push(qualified);
      const provider = providerOf(qualified);
      // A chain's references, and errors' service, are qualified with the middleware's own provider.
      const lookup = this.#env.service;
      const env: MiddlewareEnv = lookup ? { ...this.#env, service: (ref) => lookup(provider ? qualify(ref, provider) : ref) } : this.#env;
      const built = buildMiddleware(qualified, def, (ref) => this.get(provider ? qualify(ref, provider) : ref), env);
      return built instanceof Error ? built : { def, built };
    } catch (err) {
      // Isolation: whatever a definition does to the builder, only this middleware (and its users) fail.
      return new MiddlewareError('TAGWAY_MIDDLEWARE_CONFIG', `middleware "${qualified}" could not be built: ${errorMessage(err)}`, { cause: err });
    } finally {
      this.#building.pop();
    }
  }
}

/**
 * Builds a set of definitions at once, chains resolved among them (refs qualified with the chain's
 * provider). For tests and tools; the runtime build uses one `MiddlewareResolver` per build.
 * @example
 * buildMiddlewares({ 'c@file': { chain: { middlewares: ['a'] } }, 'a@file': { addPrefix: { prefix: '/a' } } }).get('c@file')
 */
export function buildMiddlewares(defs: Record<string, Middleware>): Map<string, BuiltMiddleware | Error> {
  const resolver = new MiddlewareResolver(defs);
  return new Map(Object.keys(defs).map((name) => [name, resolver.get(name)]));
}

/** Traefik's `type` in the API: the middleware's one type key, lower-cased (the registry validates it). */
function middlewareType(m: Middleware): string {
  const key = (Object.keys(m) as Array<keyof Middleware>).find((k) => m[k] !== undefined);
  return key ? key.toLowerCase() : 'unknown';
}

/** What the API shows for a middleware before it is built. */
export function middlewareInfo(name: string, def: Middleware): MiddlewareInfo {
  return { ...def, name, provider: providerOf(name), type: middlewareType(def), status: 'enabled', usedBy: [] };
}
