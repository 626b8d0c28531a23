import type { Chain } from '../../dynamic/types.ts';
import type { Handler } from '../../http/context.ts';
import { MiddlewareError } from '../shared/errors.ts';
import type { Wrapper } from '../shared/types.ts';

/** The part of a built middleware a chain needs. */
export interface Chainable { name: string; wrap(next: Handler): Handler }

/**
 * chain: applies other middlewares, by name, in order (the first is the outermost). Names are resolved
 * by the caller (which qualifies `name` with the chain's provider and detects cycles); a missing or
 * broken member is a build error naming it.
 * @example
 * chain({ middlewares: ['auth', 'strip@file'] }, resolve)
 */
export function chain(cfg: Chain, resolve: (ref: string) => Chainable | Error): Wrapper {
  const refs = cfg.middlewares ?? [];
  const members = refs.map((ref, i) => {
    const got = resolve(ref);
    if (got instanceof Error) {
      const code = got instanceof MiddlewareError && got.code === 'TAGWAY_MIDDLEWARE_CYCLE' ? got.code : 'TAGWAY_MIDDLEWARE_REF';
      throw new MiddlewareError(code, `chain.middlewares[${i}] ${JSON.stringify(ref)}: ${got.message}`, { option: `chain.middlewares[${i}]`, cause: got });
    }
    return got;
  });
  return {
    wrap(next: Handler): Handler {
      let handler = next;
      for (let i = members.length - 1; i >= 0; i--) handler = members[i]!.wrap(handler);
      return handler;
    },
  };
}
