import { describe, expect, it } from 'vitest';
import { parseOperatorArgs } from '../../cli/commands/operator.ts';
import { HEAP_GROWING_PERCENT, heapGrowingFlag } from '../../cli/operator-heap.ts';

describe('geodns operator arguments', () => {
  it('--dns-service names the DNS pods’ Service (the chart passes its own)', () => {
    expect(parseOperatorArgs(['--namespace', 'edge', '--dns-service', 'edge-geodns-dns']).dnsService).toBe(
      'edge-geodns-dns',
    );
    expect(parseOperatorArgs(['--namespace', 'edge']).dnsService).toBeUndefined();
  });
});

describe('the operator heap growth', () => {
  it('is bounded at run time unless node was started with its own --heap-growing-percent', () => {
    expect(heapGrowingFlag([])).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapGrowingFlag(['--max-semi-space-size=4'])).toBe(`--heap-growing-percent=${HEAP_GROWING_PERCENT}`);
    expect(heapGrowingFlag(['--heap-growing-percent=50'])).toBeUndefined();
    expect(heapGrowingFlag(['--heap_growing_percent=50'])).toBeUndefined();
  });
});
