/** An export cut at `exportTimeout` (the request is aborted, not left running). */
export class ExportTimeoutError extends Error {
  readonly code = 'TAGWAY_EXPORT_TIMEOUT' as const;
  constructor(ms: number) { super(`span export did not finish within ${ms}ms; request aborted`); this.name = 'ExportTimeoutError'; }
}

/** What `stats().lastError` shows: "CODE: message (last attempt: …)". */
export function describeExportError(error: Error | undefined): string {
  if (!error) return 'export failed';
  const code = (error as { code?: unknown }).code;
  const text = code !== undefined ? `${String(code)}: ${error.message}` : error.message || error.name;
  return error.cause instanceof Error ? `${text} (last attempt: ${error.cause.message})` : text;
}
