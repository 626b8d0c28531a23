import type { RequestContext } from '../../http/context.ts';
import type { StepSpan } from '../../http/hooks.ts';

/** The middleware step span open around the handler running now (detailed tracing only). */
const activeStep = new WeakMap<RequestContext, StepSpan>();

/** Runs `run` with `step` as the request's current middleware step (the registry's tracing wrapper). */
export function withStep(ctx: RequestContext, step: StepSpan, run: () => void): void {
  const previous = activeStep.get(ctx);
  activeStep.set(ctx, step);
  try {
    run();
  } finally {
    if (previous) activeStep.set(ctx, previous);
    else activeStep.delete(ctx);
  }
}

/**
 * Returns how this middleware refuses the current request: the server span is marked (trace.refuse) and
 * the middleware's own step span ends in error, as Traefik's SetStatusErrorf marks the span in context.
 * Call it synchronously on entry when the refusal may come later (basicAuth's bcrypt check).
 */
export function refuser(ctx: RequestContext): (reason: string) => void {
  const step = activeStep.get(ctx);
  return function refuse(reason: string) {
    ctx.trace?.refuse(reason);
    step?.end(reason);
  };
}
