import { describe, expect, it } from 'vitest';
import { parseOperatorArgs } from '../../cli/commands/operator.ts';

describe('geodns operator arguments', () => {
  it('--dns-service names the DNS pods’ Service (the chart passes its own)', () => {
    expect(parseOperatorArgs(['--namespace', 'edge', '--dns-service', 'edge-geodns-dns']).dnsService).toBe(
      'edge-geodns-dns',
    );
    expect(parseOperatorArgs(['--namespace', 'edge']).dnsService).toBeUndefined();
  });
});
