// The building blocks the kinds' TypeBox schemas share: CEL rules, Kubernetes-style string enums, DNS names and
// TTLs, and the Location of custom networks (GeoZone) and targets (GeoEndpoint).
import { Type, type Static, type TSchema } from '@sinclair/typebox';

/** A Kubernetes CEL validation rule (x-kubernetes-validations). */
export interface CelRule {
  rule: string;
  message: string;
  fieldPath?: string;
  reason?: 'FieldValueInvalid' | 'FieldValueForbidden' | 'FieldValueRequired' | 'FieldValueDuplicate';
}

export function withRules<T extends TSchema>(schema: T, rules: CelRule[]): T {
  return { ...schema, 'x-kubernetes-validations': rules };
}

/**
 * A field with a default: optional in the published schema, as Kubernetes wants it, because offline validators
 * (kubeconform, IDE schemas from the CRDs) apply no defaults and would refuse every document that leaves it out.
 * Its type stays required: nothing reads a resource before validation filled the default in (the API server on
 * write, api/validate.ts through ajv's useDefaults), and compile relies on that.
 */
export function Defaulted<T extends TSchema>(schema: T): T {
  if (schema.default === undefined) throw new Error('Defaulted: the schema has no default');
  return Type.Optional(schema) as T;
}

/** A string enum as Kubernetes wants it (`type: string` + `enum`), typed as the union of its values. */
export function StringEnum<const V extends readonly string[]>(
  values: V,
  options: { description: string; default?: V[number] },
) {
  return Type.Unsafe<V[number]>({ type: 'string', enum: [...values], ...options });
}

const DNS_NAME_PATTERN =
  '^(\\*\\.)?(([a-zA-Z0-9_]|[a-zA-Z0-9_][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])\\.)*([a-zA-Z0-9_]|[a-zA-Z0-9_][a-zA-Z0-9_-]{0,61}[a-zA-Z0-9])\\.?$';

export const DnsName = (description: string) =>
  Type.String({ description, minLength: 1, maxLength: 253, pattern: DNS_NAME_PATTERN });

export const Ttl = (description: string) => Type.Integer({ description, minimum: 0, maximum: 2147483647 });

export const Continents = ['AF', 'AN', 'AS', 'EU', 'NA', 'OC', 'SA'] as const;
export type ContinentCode = (typeof Continents)[number];

export const LocationSchema = withRules(
  Type.Object(
    {
      continent: Type.Optional(
        StringEnum(Continents, {
          description:
            'Continent code: AF (Africa), AN (Antarctica), AS (Asia), EU (Europe), NA (North America), OC (Oceania), SA (South America).',
        }),
      ),
      country: Type.Optional(
        Type.String({
          description: 'ISO 3166-1 alpha-2 country code, upper case (e.g. DE, US, JP).',
          pattern: '^[A-Z]{2}$',
        }),
      ),
      subdivision: Type.Optional(
        Type.String({
          description:
            'ISO 3166-2 subdivision code within the country, without the country prefix (e.g. CA for US-CA, BY for DE-BY). Matched only where the GeoIP database has subdivisions.',
          pattern: '^[A-Z0-9]{1,3}$',
        }),
      ),
      region: Type.Optional(
        Type.String({
          description:
            "Custom region name, matched against the region of the zone's custom networks (e.g. dc-frankfurt).",
          pattern: '^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$',
        }),
      ),
      latitude: Type.Optional(
        Type.Number({
          description: 'Latitude in degrees (-90 to 90), for proximity routing.',
          minimum: -90,
          maximum: 90,
        }),
      ),
      longitude: Type.Optional(
        Type.Number({
          description: 'Longitude in degrees (-180 to 180), for proximity routing.',
          minimum: -180,
          maximum: 180,
        }),
      ),
    },
    {
      description:
        'Where something is. Any combination of continent, country, subdivision, custom region and coordinates; the most specific part that matches a client decides.',
      additionalProperties: false,
    },
  ),
  [
    { rule: 'has(self.latitude) == has(self.longitude)', message: 'latitude and longitude must be given together' },
    { rule: '!has(self.subdivision) || has(self.country)', message: 'subdivision requires country' },
  ],
);
export type Location = Static<typeof LocationSchema>;
