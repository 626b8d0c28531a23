import type { Attributes } from '@opentelemetry/api';
import { detectResources, hostDetector, processDetector, resourceFromAttributes, type Resource } from '@opentelemetry/resources';

/**
 * The resource every span carries, lowest precedence first (later wins), as Traefik builds it:
 * detected host/process attributes, then service.name/service.version, then `tracing.resourceAttributes`,
 * then `OTEL_RESOURCE_ATTRIBUTES`, then `OTEL_SERVICE_NAME`.
 * `env` is read here, at construction, not at import, so tests can pass their own.
 *
 * @example
 * buildResource({ serviceName: 'edge', resourceAttributes: { 'deployment.environment': 'prod' } }, '1.2.0', process.env)
 */
export function buildResource(
  config: { serviceName: string; resourceAttributes: Record<string, string> },
  version: string,
  env: Record<string, string | undefined>,
): Resource {
  const detected = detectResources({ detectors: [hostDetector, processDetector] });
  const service: Attributes = { 'service.name': config.serviceName || 'tagway', 'service.version': version };
  let resource = detected
    .merge(resourceFromAttributes(service))
    .merge(resourceFromAttributes({ ...config.resourceAttributes }))
    .merge(resourceFromAttributes(parseResourceAttributes(env.OTEL_RESOURCE_ATTRIBUTES)));
  const envService = env.OTEL_SERVICE_NAME?.trim();
  if (envService) resource = resource.merge(resourceFromAttributes({ 'service.name': envService }));
  return resource;
}

/**
 * `OTEL_RESOURCE_ATTRIBUTES` ("k1=v1,k2=v2", values percent-encoded). A malformed entry is skipped, as the
 * OTel spec asks for this variable (it is the SDK's contract, unlike our own config).
 */
export function parseResourceAttributes(raw: string | undefined): Attributes {
  const out: Attributes = {};
  if (!raw) return out;
  for (const pair of raw.split(',')) {
    const eq = pair.indexOf('=');
    if (eq <= 0) continue;
    const key = pair.slice(0, eq).trim();
    try {
      out[key] = decodeURIComponent(pair.slice(eq + 1).trim());
    } catch {
      continue; // bad percent-encoding: skip this entry only
    }
  }
  return out;
}
