// The addresses the published zone ConfigMaps serve per target id, read back by a new leader; what cannot be read is
// skipped, never thrown.
import { describe, expect, it } from 'vitest';
import { publishedTargets } from '../../../../operator/resolve/published.ts';

describe('publishedTargets', () => {
  it('reads every routed target of every zone document, and skips what is not one', () => {
    const document = {
      zone: 'geo.example.com',
      routed: [
        { name: 'www.geo.example.com', targets: [{ id: 'web/www/eks', addresses: ['127.0.0.9', '::9'] }] },
        { name: 'api.geo.example.com', targets: [{ id: 'web/api/dc', addresses: ['192.0.2.7'] }, { addresses: [] }] },
      ],
    };
    const targets = publishedTargets([
      { data: { 'geo.example.com.json': JSON.stringify(document) } },
      { data: { 'broken.example.com.json': '{not json' } },
      { data: { 'odd.example.com.json': JSON.stringify({ routed: 'no' }) } },
      {},
    ]);
    expect(Object.fromEntries(targets)).toEqual({ 'web/www/eks': ['127.0.0.9', '::9'], 'web/api/dc': ['192.0.2.7'] });
  });
});
