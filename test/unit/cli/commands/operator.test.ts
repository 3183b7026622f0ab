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
