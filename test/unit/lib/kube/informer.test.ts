// The informer's cache against a scripted list-watch: a fresh list is reconciled into add, update and delete; a
// throwing handler is reported and changes nothing else; errors count as restarts, 410 Gone does not.
import { describe, expect, it } from 'vitest';
import { Informer, type KubeObject } from '../../../../lib/kube/informer.ts';
import type { Listed, ListWatchClient } from '../../../../lib/kube/reflector.ts';
import { until } from '../../../support/until.ts';

const obj = (name: string, rv: number, namespace = 'ns'): KubeObject => ({
  metadata: { name, namespace, resourceVersion: String(rv) },
});

type Step = { list: Listed<KubeObject> } | { events: [string, unknown][] } | { fail: unknown };

/** Plays `steps` in order (lists for list calls, the rest for watch calls); then every call hangs until aborted. */
function scripted(steps: Step[]): { client: ListWatchClient<KubeObject>; played: () => boolean } {
  const hang = (signal: AbortSignal) =>
    new Promise<never>((_, reject) => signal.addEventListener('abort', () => reject(new Error('aborted'))));
  return {
    played: () => steps.length === 0,
    client: {
      list(signal) {
        const step = steps[0];
        if (!step || !('list' in step)) return hang(signal);
        steps.shift();
        return Promise.resolve(step.list);
      },
      watch(_from, onEvent, signal) {
        const step = steps[0];
        if (!step || 'list' in step) return hang(signal);
        steps.shift();
        if ('fail' in step) return Promise.reject(step.fail);
        for (const [type, object] of step.events) onEvent(type, object);
        return Promise.resolve();
      },
    },
  };
}

function watched(steps: Step[]) {
  const { client, played } = scripted(steps);
  const seen: string[] = [];
  const errors: string[] = [];
  const informer = new Informer<KubeObject>(client, {
    backoff: { initialMs: 1, maxMs: 1 },
    onError: (error, source) => errors.push(`${source}: ${(error as Error).message}`),
  });
  for (const event of ['add', 'update', 'delete'] as const) {
    informer.on(event, (o) => seen.push(`${event} ${o.metadata?.name}@${o.metadata?.resourceVersion}`));
  }
  return { informer, seen, errors, played };
}

const names = (informer: Informer<KubeObject>) => informer.list().map((o) => o.metadata?.name);

describe('Informer', () => {
  it('reconciles a fresh list after 410 Gone: gone objects deleted, new ones added, moved ones updated', async () => {
    const { informer, seen, errors, played } = watched([
      { list: { items: [obj('a', 1), obj('b', 1), obj('c', 1)], resourceVersion: '1' } },
      { events: [['MODIFIED', obj('a', 2)]] },
      { events: [['ERROR', { kind: 'Status', code: 410, message: 'too old resource version' }]] },
      { list: { items: [obj('a', 2), obj('c', 5), obj('d', 5)], resourceVersion: '5' } },
    ]);
    expect(informer.hasSynced).toBe(false);
    informer.start();
    await informer.synced;
    await until('the script played', played);
    await until('d added', () => informer.get('d', 'ns'));
    await informer.stop();
    expect(seen).toEqual(['add a@1', 'add b@1', 'add c@1', 'update a@2', 'delete b@1', 'update c@5', 'add d@5']);
    expect(names(informer).sort()).toEqual(['a', 'c', 'd']);
    expect(informer.hasSynced).toBe(true);
    expect(informer.restarts).toBe(0);
    expect(errors).toEqual([]);
  });

  it('keeps cluster-scoped and namespaced objects apart, and lists by namespace', async () => {
    const { informer, played } = watched([
      { list: { items: [obj('x', 1, ''), obj('x', 1, 'a'), obj('y', 1, 'b')], resourceVersion: '1' } },
      { events: [['DELETED', obj('x', 2, 'a')]] },
    ]);
    informer.start();
    await until('the script played', played);
    await until('x in a deleted', () => !informer.get('x', 'a'));
    await informer.stop();
    expect(informer.get('x')?.metadata?.namespace).toBe('');
    expect(informer.list('b').map((o) => o.metadata?.name)).toEqual(['y']);
    expect(informer.list('a')).toEqual([]);
    expect(names(informer).sort()).toEqual(['x', 'y']);
  });

  it('reports a throwing handler and still caches the object and calls the other handlers', async () => {
    const { informer, seen, errors, played } = watched([
      { list: { items: [], resourceVersion: '1' } },
      { events: [['ADDED', obj('a', 2)]] },
    ]);
    informer.on('add', () => {
      throw new Error('handler broke');
    });
    informer.start();
    await until('the script played', played);
    await until('a cached', () => informer.get('a', 'ns'));
    await informer.stop();
    expect(seen).toEqual(['add a@2']);
    expect(errors).toEqual(['handler: handler broke']);
    expect(informer.restarts).toBe(0);
  });

  it('counts a failed watch as a restart and reports it, then watches on', async () => {
    const { informer, seen, errors, played } = watched([
      { list: { items: [obj('a', 1)], resourceVersion: '1' } },
      { fail: Object.assign(new Error('Internal Server Error'), { statusCode: 500 }) },
      { events: [['ADDED', obj('b', 2)]] },
    ]);
    informer.start();
    await until('the script played', played);
    await until('b added', () => informer.get('b', 'ns'));
    await informer.stop();
    expect(seen).toEqual(['add a@1', 'add b@2']);
    expect(errors).toEqual(['informer: Internal Server Error']);
    expect(informer.restarts).toBe(1);
  });
});
