// A small DNS handler built from the wire functions: answers A 192.0.2.1 for any name, errors as the parser says.
import { encodeBody } from '../../dnsserver/wire/encode.ts';
import { parseQuery } from '../../dnsserver/wire/parse.ts';
import { buildErrorResponse, buildResponse } from '../../dnsserver/wire/respond.ts';
import type { EncodedBody, QueryHandler } from '../../dnsserver/wire/types.ts';

export const TEST_ADDRESS = '192.0.2.1';

export function testHandler(options: { records?: number } = {}): QueryHandler {
  const bodies = new Map<string, EncodedBody>();
  return (message, client) => {
    const result = parseQuery(message);
    if (!result.ok) return 'drop' in result ? null : buildErrorResponse(message, result);
    const { qname } = result.query;
    let body = bodies.get(qname);
    if (!body) {
      const answers = Array.from({ length: options.records ?? 1 }, (_, i) => ({
        type: 'A' as const,
        name: qname,
        ttl: 30,
        data: i === 0 ? TEST_ADDRESS : `192.0.2.${(i % 250) + 2}`,
      }));
      body = encodeBody(qname, { answers, authorities: [], additionals: [] }, 0, true);
      if (bodies.size < 1000) bodies.set(qname, body);
    }
    return buildResponse(message, result.query, body, { transport: client.transport });
  };
}
