import { describe, expect, it } from 'vitest';
import type { AllowedNamespaces } from '../../../../api/geozone.ts';
import { compile } from '../../../../operator/compile/index.ts';
import { endpoint, input, zone } from '../../../support/resources.ts';
import { cond, doc } from '../../../support/compile-output.ts';

const namespaces: { name: string; labels: Record<string, string> }[] = [
  { name: 'shop', labels: { team: 'shop', tier: 'prod' } },
  { name: 'lab', labels: { team: 'lab' } },
  { name: 'bare', labels: {} },
];

function admitted(allowedNamespaces: AllowedNamespaces | undefined): string[] {
  const out = compile(
    input({
      zones: [zone('geo', allowedNamespaces ? { allowedNamespaces } : {})],
      endpoints: namespaces.map((ns) => endpoint(ns.name, `app-${ns.name}`)),
      namespaces,
    }),
  );
  return doc(out).routed.map((r) => r.source);
}

describe('namespace admission', () => {
  it('admits every namespace by default and with from: All', () => {
    expect(admitted(undefined)).toEqual(['bare/app-bare', 'lab/app-lab', 'shop/app-shop']);
    expect(admitted({ from: 'All' })).toHaveLength(3);
  });

  it('admits listed namespaces with from: List', () => {
    expect(admitted({ from: 'List', names: ['lab', 'nowhere'] })).toEqual(['lab/app-lab']);
  });

  it('matches labels and expressions with from: Selector', () => {
    expect(admitted({ from: 'Selector', selector: { matchLabels: { team: 'shop' } } })).toEqual(['shop/app-shop']);
    expect(
      admitted({
        from: 'Selector',
        selector: { matchExpressions: [{ key: 'team', operator: 'In', values: ['lab', 'x'] }] },
      }),
    ).toEqual(['lab/app-lab']);
    expect(
      admitted({
        from: 'Selector',
        selector: { matchExpressions: [{ key: 'team', operator: 'NotIn', values: ['lab'] }] },
      }),
    ).toEqual(['bare/app-bare', 'shop/app-shop']);
    expect(
      admitted({ from: 'Selector', selector: { matchExpressions: [{ key: 'tier', operator: 'Exists' }] } }),
    ).toEqual(['shop/app-shop']);
    expect(
      admitted({ from: 'Selector', selector: { matchExpressions: [{ key: 'team', operator: 'DoesNotExist' }] } }),
    ).toEqual(['bare/app-bare']);
    expect(admitted({ from: 'Selector', selector: {} })).toHaveLength(3);
    expect(admitted({ from: 'Selector' })).toEqual([]);
  });

  it('refuses an endpoint from a namespace the zone does not admit with NotAllowedByZone', () => {
    const out = compile(
      input({
        zones: [zone('geo', { allowedNamespaces: { from: 'List', names: ['shop'] } })],
        endpoints: [endpoint('lab', 'www')],
        namespaces,
      }),
    );
    const accepted = cond(out, 'GeoEndpoint', 'www', 'Accepted', 'lab');
    expect(accepted).toMatchObject({ status: 'False', reason: 'NotAllowedByZone' });
    expect(accepted.message).toBe('GeoZone geo admits namespaces [shop]; namespace lab is not one of them');
    expect(cond(out, 'GeoZone', 'geo', 'Ready').message).toContain(
      '0 GeoEndpoint(s) served (1 refused; see their status)',
    );
  });
});
