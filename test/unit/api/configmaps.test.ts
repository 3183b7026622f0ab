// The ConfigMap shapes the operator writes and the DNS pods read.
import { describe, expect, it } from 'vitest';
import {
  COMPRESS_ABOVE_BYTES,
  decodeDocuments,
  encodeZoneDocument,
  zoneConfigMapName,
  zoneKey,
} from '../../../api/configmaps.ts';

const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

describe('zone ConfigMaps', () => {
  it('are named after the GeoZone, and long names stay valid, unique and stable', () => {
    expect(zoneConfigMapName('geo-example')).toBe('geodns-zone-geo-example');
    const long = `${'a'.repeat(240)}.example`;
    const other = `${'a'.repeat(240)}.exampld`;
    const name = zoneConfigMapName(long);
    expect(name.length).toBeLessThanOrEqual(253);
    expect(name).toMatch(DNS1123_SUBDOMAIN);
    expect(name).toBe(zoneConfigMapName(long));
    expect(name).not.toBe(zoneConfigMapName(other));
  });

  it('keep a small document as plain JSON under <apex>.json', () => {
    const json = '{"zone":"geo.example.com"}\n';
    const encoded = encodeZoneDocument('geo.example.com', json);
    expect(encoded).toEqual({ data: { 'geo.example.com.json': json }, size: json.length });
    expect(decodeDocuments(encoded).documents.get('geo.example.com.json')).toBe(json);
  });

  it('gzip a large document into binaryData under <apex>.json.gz, and read it back', () => {
    const json = JSON.stringify({ names: Array.from({ length: 20_000 }, (_, i) => `name-${i}.geo.example.com`) });
    expect(json.length).toBeGreaterThan(COMPRESS_ABOVE_BYTES);
    const encoded = encodeZoneDocument('geo.example.com', json);
    expect(encoded.data).toBeUndefined();
    expect(Object.keys(encoded.binaryData ?? {})).toEqual([zoneKey('geo.example.com', true)]);
    expect(encoded.size).toBeLessThan(json.length / 4);
    const decoded = decodeDocuments(encoded);
    expect(decoded.errors).toEqual([]);
    expect(decoded.documents.get('geo.example.com.json')).toBe(json);
  });

  it('report a binaryData entry that is not gzip, and ignore keys that are not documents', () => {
    const decoded = decodeDocuments({
      data: { 'README.txt': 'hello' },
      binaryData: { 'bad.json.gz': Buffer.from('not gzip').toString('base64') },
    });
    expect([...decoded.documents.keys()]).toEqual([]);
    expect(decoded.errors).toEqual([expect.stringMatching(/^bad\.json\.gz: not gzip-compressed JSON: /)]);
  });
});
