/**
 * The hooks a request carries for tracing: the forwarder and the middlewares call them, tracing
 * (src/observability) implements them. Neither side imports the other.
 */
import type { OutgoingHttpHeaders } from 'node:http';
import type { TraceVerbosity } from './observability.ts';

/** What tracing plugs into the forwarder: one observer per upstream attempt. */
export interface RequestTrace {
  readonly verbosity: TraceVerbosity;
  /** Ids of the SERVER span, for access-log lines (hex). */
  readonly traceId?: string;
  readonly spanId?: string;
  /**
   * Called just before an upstream request is sent. Must inject propagation headers into `headers`
   * (replacing any incoming traceparent) and return an observer for the attempt's outcome, or undefined
   * when the attempt is not recorded (sampled out). The upstream URL is `server`'s origin followed by
   * `path` (path and query as sent), never parsed per request.
   */
  startAttempt(server: URL, path: string, headers: Record<string, string | string[] | undefined>, resendCount: number): AttemptObserver | undefined;
  /** Wraps a step (Router, Service, middleware) in an INTERNAL span when verbosity is detailed. */
  enterStep?(name: string, attributes: Record<string, string>): StepSpan | undefined;
  /**
   * A call a middleware makes on the request's behalf (forwardAuth's `AuthRequest`): a CLIENT span, child of
   * the step running now, its context injected into `headers`; detailed verbosity only, otherwise undefined.
   * The current step does not change (what runs next is not its child).
   */
  startCall?(name: string, server: URL, path: string, method: string, headers: Record<string, string | string[] | undefined>): AttemptObserver | undefined;
  /** Marks the server span as failed by a middleware that refused the request (reason shown on the span). */
  refuse(reason: string): void;
}

export interface StepSpan { end(errorMessage?: string): void }

export interface AttemptObserver {
  onResponse(status: number, headers: OutgoingHttpHeaders): void;
  onError(status: number, error: Error): void;
  /** Extra attributes of the attempt (Consul Connect: the identities); ignored once it ended. */
  annotate?(attributes: Record<string, string>): void;
}
