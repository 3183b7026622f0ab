// The compiled zone document: what compile() produces and what the DNS server loads, one per zone.
// Fully resolved: the DNS server needs no lookups to serve it. The TypeBox schema below is the document's JSON
// schema (docs/compiled-document.md describes it; `geodns schema compiled` prints it).
import { Type, type Static } from '@sinclair/typebox';
import { Policies } from './constants.ts';
import { StaticRecordTypes } from './geozone.ts';
import { StringEnum, Continents } from './schema.ts';

export const COMPILED_FORMAT = 'geodns.io/compiled-zone/v1';

export const CompiledLocationSchema = Type.Object(
  {
    continent: Type.Optional(StringEnum(Continents, { description: 'Continent code.' })),
    country: Type.Optional(Type.String({ pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2.' })),
    subdivision: Type.Optional(Type.String({ description: 'ISO 3166-2 subdivision without the country prefix.' })),
    region: Type.Optional(Type.String({ description: 'Custom region name.' })),
    latitude: Type.Optional(Type.Number({ minimum: -90, maximum: 90 })),
    longitude: Type.Optional(Type.Number({ minimum: -180, maximum: 180 })),
  },
  { additionalProperties: false, description: 'A location; same fields as the resource API Location.' },
);
export type CompiledLocation = Static<typeof CompiledLocationSchema>;

/**
 * A static rrset. Names are absolute, lower case, without the trailing dot. `data` holds the rdata in the shape
 * dns-packet encodes (A/AAAA: address string; CNAME/NS/PTR: name; MX: {preference, exchange};
 * TXT: string[] of character-strings; SRV: {priority, weight, port, target}; CAA: {flags, tag, value}).
 */
export const RRDataSchema = Type.Union([
  Type.String(),
  Type.Array(Type.String()),
  Type.Object({ preference: Type.Integer(), exchange: Type.String() }, { additionalProperties: false }),
  Type.Object(
    { priority: Type.Integer(), weight: Type.Integer(), port: Type.Integer(), target: Type.String() },
    { additionalProperties: false },
  ),
  Type.Object({ flags: Type.Integer(), tag: Type.String(), value: Type.String() }, { additionalProperties: false }),
]);
export type RRData = Static<typeof RRDataSchema>;

export const CompiledRRsetSchema = Type.Object(
  {
    name: Type.String({ description: 'Owner name, absolute, lower case, no trailing dot.' }),
    type: StringEnum(StaticRecordTypes, { description: 'Record type.' }),
    ttl: Type.Integer({ minimum: 0 }),
    data: Type.Array(RRDataSchema, { minItems: 1 }),
  },
  { additionalProperties: false },
);
export type CompiledRRset = Static<typeof CompiledRRsetSchema>;

export const CompiledTargetSchema = Type.Object(
  {
    id: Type.String({
      description: 'Stable target id, namespace/geoendpoint/target; the key of the health table.',
    }),
    name: Type.String({ description: 'Target name from the GeoEndpoint.' }),
    addresses: Type.Array(Type.String(), { description: 'Resolved IPv4 and IPv6 addresses, sorted.' }),
    location: CompiledLocationSchema,
    weight: Type.Integer({ minimum: 0 }),
    priority: Type.Integer({ minimum: 0 }),
    healthy: Type.Boolean({ description: 'Health at compile time; the health table overrides it.' }),
    probe: Type.Optional(Type.String({ description: 'namespace/name of the HealthProbe checking this target.' })),
    region: Type.Optional(Type.String({ description: 'The region the target serves (regional policy only).' })),
  },
  { additionalProperties: false },
);
export type CompiledTarget = Static<typeof CompiledTargetSchema>;

export const CompiledRegionSchema = Type.Object(
  {
    name: Type.String({ description: 'Region name.' }),
    locations: Type.Array(CompiledLocationSchema, {
      description: "Where the region's clients are; the most specific match wins, ties go to the earlier region.",
    }),
    backups: Type.Array(Type.String(), {
      description: 'Regions walked in this order when this one has no healthy target of the family.',
    }),
  },
  { additionalProperties: false, description: 'A region of the regional policy.' },
);
export type CompiledRegion = Static<typeof CompiledRegionSchema>;

export const CompiledRoutedNameSchema = Type.Object(
  {
    name: Type.String({ description: 'The routed name, absolute, lower case, no trailing dot.' }),
    source: Type.String({ description: 'namespace/name of the GeoEndpoint.' }),
    ttl: Type.Integer({ minimum: 0 }),
    policy: StringEnum(Policies, { description: 'Routing policy.' }),
    maxAnswers: Type.Integer({ minimum: 1 }),
    targets: Type.Array(CompiledTargetSchema, { description: 'Targets, sorted by id.' }),
    regions: Type.Optional(
      Type.Array(CompiledRegionSchema, {
        minItems: 1,
        description: 'Regions in spec order (the order breaks ties); regional policy only.',
      }),
    ),
    defaultRegion: Type.Optional(
      Type.String({ description: 'The region of clients no region matches; regional policy only.' }),
    ),
  },
  { additionalProperties: false },
);
export type CompiledRoutedName = Static<typeof CompiledRoutedNameSchema>;

export const CompiledNetworkSchema = Type.Object(
  { cidr: Type.String(), location: CompiledLocationSchema },
  { additionalProperties: false },
);
export type CompiledNetwork = Static<typeof CompiledNetworkSchema>;

export const CompiledPublishedKeySchema = Type.Object(
  {
    cluster: Type.String({ description: 'The peer cluster that signs with it.' }),
    flags: Type.Union([Type.Literal(256), Type.Literal(257)]),
    algorithm: Type.Union([Type.Literal(13), Type.Literal(15)]),
    publicKey: Type.String({ pattern: '^[A-Za-z0-9+/]+={0,2}$', description: 'The DNSKEY public key, base64.' }),
  },
  {
    additionalProperties: false,
    description: "Another signer's DNSKEY (RFC 8901 model 2): published, never signed with.",
  },
);
export type CompiledPublishedKey = Static<typeof CompiledPublishedKeySchema>;

export const CompiledDnssecSchema = Type.Object(
  {
    keyTags: Type.Array(Type.Integer({ minimum: 0, maximum: 65535 }), {
      description:
        "The key tags of the zone's keys in the operator's key Secret, sorted. Empty when compiled without the operator (geodns compile, serve --resources) from a GeoZone with spec.dnssec.enabled: signed by whatever keys of the zone the server has.",
    }),
    publishedKeys: Type.Optional(
      Type.Array(CompiledPublishedKeySchema, {
        maxItems: 64,
        description:
          "The peer clusters' keys of the zone (multi-signer, docs/dnssec.md): the DNS server publishes them in the zone's DNSKEY, CDS and CDNSKEY rrsets beside its own keys, which alone sign. Sorted by cluster, then public key.",
      }),
    ),
    deleteDs: Type.Optional(
      Type.Boolean({
        description:
          'The zone is going unsigned (GeoZone spec.dnssec.unsign): still signed with its keys, but its CDS and CDNSKEY rrsets are the RFC 8078 §4 delete records (CDS 0 0 0 00, CDNSKEY 0 3 0 AA==), so that a parent that scans removes the DS. Absent unless true.',
      }),
    ),
  },
  {
    additionalProperties: false,
    description:
      'The zone is signed: a DNS server without a key for it is not ready and answers it SERVFAIL rather than unsigned.',
  },
);
export type CompiledDnssec = Static<typeof CompiledDnssecSchema>;

export const CompiledZoneSchema = Type.Object(
  {
    format: Type.Literal(COMPILED_FORMAT),
    zone: Type.String({ description: 'Apex, lower case, no trailing dot.' }),
    source: Type.String({ description: 'Name of the GeoZone.' }),
    serial: Type.Integer({ minimum: 0, maximum: 4294967295 }),
    contentHash: Type.String({
      description: 'sha256 of the content without serial; unchanged content keeps its serial.',
    }),
    soa: Type.Object(
      {
        mname: Type.String(),
        rname: Type.String(),
        refresh: Type.Integer(),
        retry: Type.Integer(),
        expire: Type.Integer(),
        minimum: Type.Integer(),
        ttl: Type.Integer(),
      },
      { additionalProperties: false },
    ),
    ns: Type.Object(
      {
        ttl: Type.Integer({ minimum: 0 }),
        names: Type.Array(Type.String(), { minItems: 1 }),
      },
      { additionalProperties: false, description: 'Apex NS rrset; glue is in records.' },
    ),
    records: Type.Array(CompiledRRsetSchema, {
      description: 'Static rrsets including glue, sorted by name then type.',
    }),
    routed: Type.Array(CompiledRoutedNameSchema, { description: 'Routed names, sorted by name.' }),
    networks: Type.Array(CompiledNetworkSchema, { description: 'Custom networks, sorted by cidr.' }),
    dnssec: Type.Optional(CompiledDnssecSchema),
  },
  { additionalProperties: false, description: 'A compiled zone, as the DNS server loads it.' },
);
export type CompiledZone = Static<typeof CompiledZoneSchema>;
