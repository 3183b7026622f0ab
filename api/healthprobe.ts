// HealthProbe: how target addresses are checked (HTTP, HTTPS or TCP, with thresholds), and the state of every
// probed address in its status.
import { Type, type Static } from '@sinclair/typebox';
import { DURATION_PATTERN } from './duration.ts';
import { Defaulted, StringEnum, withRules } from './schema.ts';
import { ageColumn, Conditions, readyColumn, resourceEnvelope, type KindInfo } from './meta.ts';

export const ProbeTypes = ['HTTP', 'HTTPS', 'TCP'] as const;
export type ProbeType = (typeof ProbeTypes)[number];

export const StatusRangeSchema = withRules(
  Type.Object(
    {
      min: Type.Integer({ description: 'Lowest accepted status code.', minimum: 100, maximum: 599 }),
      max: Type.Integer({ description: 'Highest accepted status code.', minimum: 100, maximum: 599 }),
    },
    { description: 'An inclusive range of HTTP status codes.', additionalProperties: false },
  ),
  [{ rule: 'self.min <= self.max', message: 'min must not exceed max' }],
);

export const HealthProbeSpecSchema = withRules(
  Type.Object(
    {
      type: StringEnum(ProbeTypes, { description: 'HTTP, HTTPS or TCP (connect only).' }),
      port: Type.Integer({ description: 'Port to probe on every target address.', minimum: 1, maximum: 65535 }),
      path: Defaulted(
        Type.String({ description: 'HTTP(S) request path.', default: '/', pattern: '^/', maxLength: 2048 }),
      ),
      host: Type.Optional(Type.String({ description: 'HTTP Host header (and TLS SNI for HTTPS).', maxLength: 253 })),
      expectedStatus: Defaulted(
        Type.Array(StatusRangeSchema, {
          description: 'Accepted HTTP status ranges; default 200-399.',
          default: [{ min: 200, max: 399 }],
          minItems: 1,
          maxItems: 16,
        }),
      ),
      bodyMatch: Type.Optional(
        Type.String({
          description: 'A substring the HTTP response body must contain (first 64 KiB read).',
          maxLength: 1024,
        }),
      ),
      insecureSkipVerify: Defaulted(
        Type.Boolean({
          description: 'HTTPS: accept any certificate (self-signed targets). Default false: certificates are verified.',
          default: false,
        }),
      ),
      interval: Defaulted(
        Type.String({
          description: 'Time between probes (e.g. 10s, 500ms).',
          pattern: DURATION_PATTERN,
          default: '10s',
        }),
      ),
      timeout: Defaulted(
        Type.String({
          description: 'Time a probe may take; must be shorter than interval.',
          pattern: DURATION_PATTERN,
          default: '2s',
        }),
      ),
      failureThreshold: Defaulted(
        Type.Integer({
          description: 'Consecutive failures after which an address is down.',
          minimum: 1,
          maximum: 10,
          default: 3,
        }),
      ),
      successThreshold: Defaulted(
        Type.Integer({
          description: 'Consecutive successes after which a down address is up again.',
          minimum: 1,
          maximum: 10,
          default: 1,
        }),
      ),
    },
    { description: 'HealthProbe spec: how target addresses are checked.', additionalProperties: false },
  ),
  [
    {
      rule: 'duration(self.timeout) < duration(self.interval)',
      message: 'timeout must be shorter than interval',
      fieldPath: '.timeout',
    },
    {
      rule: "self.type != 'TCP' || (!has(self.bodyMatch) && !has(self.host))",
      message: 'bodyMatch and host apply to HTTP and HTTPS probes only',
    },
  ],
);
export type HealthProbeSpec = Static<typeof HealthProbeSpecSchema>;

export const ProbedAddressSchema = Type.Object(
  {
    address: Type.String({ description: 'The probed address.' }),
    target: Type.Optional(Type.String({ description: 'The target id the address belongs to.' })),
    state: StringEnum(['Up', 'Down', 'Unknown'] as const, { description: 'Current health of the address.' }),
    lastChange: Type.Optional(
      Type.String({ description: 'When the state last changed (RFC 3339).', format: 'date-time' }),
    ),
    lastError: Type.Optional(Type.String({ description: 'The last failure, if any.' })),
    latencyMs: Type.Optional(Type.Number({ description: 'Duration of the last probe in milliseconds.', minimum: 0 })),
  },
  { description: 'Health of one probed address.' },
);

export const ProbedFamilySchema = Type.Object(
  {
    family: StringEnum(['IPv4', 'IPv6'] as const, { description: 'The address family.' }),
    reachable: StringEnum(['True', 'False', 'Unknown'] as const, {
      description:
        'Whether the prober reaches this family at all: False when no address of it (of any probe) was reached and ' +
        'connects failed for want of a route (ENETUNREACH, EHOSTUNREACH, EADDRNOTAVAIL, EAFNOSUPPORT); Unknown ' +
        'before the first result.',
    }),
    addresses: Type.Integer({ description: 'Probed addresses of this family.', minimum: 0 }),
    up: Type.Integer({ description: 'Of them Up.', minimum: 0 }),
    down: Type.Integer({ description: 'Of them Down.', minimum: 0 }),
    unknown: Type.Integer({ description: 'Of them Unknown (not probed yet, or the family unreachable).', minimum: 0 }),
    message: Type.Optional(Type.String({ description: 'What an unreachable family means for the targets.' })),
  },
  { description: 'The probed addresses of one family.' },
);

export const HealthProbeStatusSchema = Type.Object(
  {
    conditions: Type.Optional(Conditions),
    addresses: Type.Optional(
      Type.Array(ProbedAddressSchema, { description: 'Every probed address with its state.', maxItems: 4096 }),
    ),
    upSummary: Type.Optional(Type.String({ description: "up/total addresses, for kubectl get (e.g. '5/6')." })),
    families: Type.Optional(
      Type.Array(ProbedFamilySchema, {
        description: 'Per address family (IPv4, IPv6) of the probed addresses: whether the prober reaches it.',
        maxItems: 2,
      }),
    ),
    observedGeneration: Type.Optional(Type.Integer({ description: 'The generation last reconciled.', minimum: 0 })),
  },
  { description: 'Observed state of the HealthProbe.' },
);

export const HealthProbeSchema = resourceEnvelope('HealthProbe', HealthProbeSpecSchema, HealthProbeStatusSchema);
export type HealthProbe = Static<typeof HealthProbeSchema>;

/** The CRD's names, scope and printer columns. */
export const HealthProbeKind: KindInfo<'HealthProbe'> = {
  kind: 'HealthProbe',
  plural: 'healthprobes',
  singular: 'healthprobe',
  shortName: 'hp',
  scope: 'Namespaced',
  description: 'An HTTP, HTTPS or TCP health check applied to GeoEndpoint targets.',
  spec: HealthProbeSpecSchema,
  status: HealthProbeStatusSchema,
  printerColumns: [
    { name: 'Type', type: 'string', jsonPath: '.spec.type', description: 'Probe type.' },
    { name: 'Port', type: 'integer', jsonPath: '.spec.port', description: 'Probed port.' },
    { name: 'Interval', type: 'string', jsonPath: '.spec.interval', description: 'Probe interval.' },
    { name: 'Up', type: 'string', jsonPath: '.status.upSummary', description: 'Up/total probed addresses.' },
    readyColumn,
    ageColumn,
  ],
};
