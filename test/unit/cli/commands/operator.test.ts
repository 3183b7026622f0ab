import { describe, expect, it } from 'vitest';
import { parseOperatorArgs } from '../../../../cli/commands/operator.ts';
import { operatorV8Flags } from '../../../../cli/operator-v8-flags.ts';

describe('geodns operator arguments', () => {
  it('--dns-service names the DNS pods’ Service (the chart passes its own)', () => {
    expect(parseOperatorArgs(['--namespace', 'edge', '--dns-service', 'edge-geodns-dns']).dnsService).toBe(
      'edge-geodns-dns',
    );
    expect(parseOperatorArgs(['--namespace', 'edge']).dnsService).toBeUndefined();
  });

  it('--resolver names where load-balancer hostnames are resolved, repeatable, and refuses what is no address', () => {
    expect(parseOperatorArgs([]).resolvers).toEqual([]);
    const args = ['--resolver', '127.0.0.1:5353', '--resolver', '10.96.0.10', '--resolver', '[::1]:53'];
    expect(parseOperatorArgs([...args, '--resolver', '2001:db8::53']).resolvers).toEqual([
      '127.0.0.1:5353',
      '10.96.0.10',
      '[::1]:53',
      '2001:db8::53',
    ]);
    for (const bad of ['dns.example.com', '127.0.0.1:0', '127.0.0.1:99999', '[127.0.0.1]:53', '::1:53x', '']) {
      expect(() => parseOperatorArgs(['--resolver', bad]), bad).toThrow(/--resolver: expected an IP address/);
    }
  });

  it('--cluster-name turns on sharing with peers, --peer-listen serves the documents and needs a name', () => {
    expect(parseOperatorArgs([]).peers).toBeUndefined();
    expect(parseOperatorArgs(['--cluster-name', 'eu']).peers).toEqual({ cluster: 'eu' });
    expect(parseOperatorArgs(['--cluster-name', 'eu', '--peer-listen', '127.0.0.1:9155']).peers).toEqual({
      cluster: 'eu',
      listen: { host: '127.0.0.1', port: 9155 },
    });
    expect(() => parseOperatorArgs(['--peer-listen', '127.0.0.1:9155'])).toThrow(/requires --cluster-name/);
    expect(() => parseOperatorArgs(['--cluster-name', 'EU West'])).toThrow(/--cluster-name: expected/);
  });
});

describe('the operator V8 flags', () => {
  it('bound the heap growth and leave Maglev out, unless node was started with its own setting of either', () => {
    expect(operatorV8Flags([])).toEqual(['--heap-growing-percent=30', '--no-maglev']);
    expect(operatorV8Flags(['--max-semi-space-size=4'])).toEqual(['--heap-growing-percent=30', '--no-maglev']);
    expect(operatorV8Flags(['--heap-growing-percent=50'])).toEqual(['--no-maglev']);
    expect(operatorV8Flags(['--heap_growing_percent=50', '--maglev'])).toEqual([]);
    expect(operatorV8Flags(['--no-maglev'])).toEqual(['--heap-growing-percent=30']);
  });
});
