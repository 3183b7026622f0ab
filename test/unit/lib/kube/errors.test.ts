// How both sides read an API error: its HTTP status, and a short account for their logs.
import { ApiException } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { describeApiError, statusOf } from '../../../../lib/kube/errors.ts';

describe('statusOf', () => {
  it('reads an ApiException’s code and a Watch error’s statusCode, and nothing else', () => {
    expect(statusOf(new ApiException(404, 'x', '', {}))).toBe(404);
    expect(statusOf(Object.assign(new Error('Gone'), { statusCode: 410 }))).toBe(410);
    expect(statusOf(new Error('fetch failed'))).toBeUndefined();
    expect(statusOf(Object.assign(new Error('x'), { code: 'ECONNRESET' }))).toBeUndefined();
    expect(statusOf('410')).toBeUndefined();
    expect(statusOf(null)).toBeUndefined();
  });
});

describe('describeApiError', () => {
  it('gives the status and the API server’s message, or the network error’s code', () => {
    const forbidden = new ApiException(
      403,
      'long text with headers',
      JSON.stringify({ kind: 'Status', message: 'configmaps is forbidden: User "x" cannot list resource' }),
      {},
    );
    expect(describeApiError(forbidden)).toBe('HTTP 403: configmaps is forbidden: User "x" cannot list resource');
    expect(describeApiError(new ApiException(409, 'x', { message: 'the object has been modified' }, {}))).toBe(
      'HTTP 409: the object has been modified',
    );
    expect(describeApiError(new ApiException(500, 'x', 'not json', {}))).toBe('HTTP 500');
    const refused = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }),
    });
    expect(describeApiError(refused)).toBe('fetch failed: ECONNREFUSED');
    expect(describeApiError(Object.assign(new Error('Too Many Requests'), { statusCode: 429 }))).toBe(
      'HTTP 429: Too Many Requests',
    );
  });
});
