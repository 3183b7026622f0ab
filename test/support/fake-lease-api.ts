// An in-memory Lease API for the elector's unit tests on fake timers: resourceVersion-guarded replaces (409 on a
// stale one), 404 and 409 on create, MicroTime checked as a real API server does, faults (errors, hangs), and a
// watch that brings every stored version (after the same latency; nothing while a fault is set, as a broken watch).
// Bodies go through JSON as they would on the wire, so times come back as strings, as client-node returns them.
import { ApiException, type V1Lease } from '@kubernetes/client-node';
import type { LeaseApi, WatchLease } from '../../operator/kube/leader.ts';

type Fault = { kind: 'error'; code: number } | { kind: 'hang' };

const MICRO_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;

export class FakeLeaseApi {
  readonly #leases = new Map<string, V1Lease>();
  readonly #watchers = new Set<{ key: string; lease(lease: V1Lease): void }>();
  #version = 0;
  /** Applied to every request while set. */
  fault: Fault | undefined;
  /** Answer after this many (fake) milliseconds. */
  latencyMs = 0;
  readonly requests: { verb: 'read' | 'create' | 'replace'; holder?: string }[] = [];
  /** Writes refused with 409, by the holder they tried to write. */
  readonly conflicts: string[] = [];

  get(namespace: string, name: string): V1Lease | undefined {
    const lease = this.#leases.get(`${namespace}/${name}`);
    return lease && (JSON.parse(JSON.stringify(lease)) as V1Lease);
  }

  /** Writes a Lease as another client would (bumping its resourceVersion). */
  put(lease: V1Lease): V1Lease {
    const stored = this.#store(JSON.parse(JSON.stringify(lease)) as V1Lease);
    return stored;
  }

  /** As `api` for a LeaderElector. */
  readonly api: LeaseApi = {
    readNamespacedLease: (param) =>
      this.#answer('read', undefined, () => {
        const lease = this.get(param.namespace, param.name);
        if (!lease) throw this.#error(404, 'NotFound');
        return lease;
      }),
    createNamespacedLease: (param) =>
      this.#answer('create', param.body, (body) => {
        const name = body.metadata?.name ?? '';
        if (this.#leases.has(`${param.namespace}/${name}`)) throw this.#error(409, 'AlreadyExists');
        return this.#store({ ...body, metadata: { ...body.metadata, namespace: param.namespace } });
      }),
    replaceNamespacedLease: (param) =>
      this.#answer('replace', param.body, (body) => {
        const current = this.get(param.namespace, param.name);
        if (!current) throw this.#error(404, 'NotFound');
        if (body.metadata?.resourceVersion !== current.metadata?.resourceVersion) {
          this.conflicts.push(body.spec?.holderIdentity ?? '');
          throw this.#error(409, 'Conflict');
        }
        return this.#store(body);
      }),
  };

  /** As `watch` for a LeaderElector. */
  readonly watch: WatchLease = (namespace, name, handlers) => {
    const watcher = { key: `${namespace}/${name}`, lease: (lease: V1Lease) => handlers.lease(lease) };
    this.#watchers.add(watcher);
    return {
      stop: () => {
        this.#watchers.delete(watcher);
        return Promise.resolve();
      },
    };
  };

  #later(fn: () => void): void {
    if (this.latencyMs > 0) setTimeout(fn, this.latencyMs);
    else queueMicrotask(fn);
  }

  #answer<T>(verb: 'read' | 'create' | 'replace', body: V1Lease | undefined, work: (body: V1Lease) => T): Promise<T> {
    // What client-node would send: JSON.stringify calls toISOString on the V1MicroTime values.
    const wire = body && (JSON.parse(JSON.stringify(body)) as V1Lease);
    const holder = wire?.spec?.holderIdentity;
    this.requests.push(holder !== undefined ? { verb, holder } : { verb });
    const fault = this.fault;
    if (fault?.kind === 'hang') return new Promise(() => {});
    return new Promise((resolve, reject) => {
      this.#later(() => {
        try {
          if (fault?.kind === 'error') throw this.#error(fault.code, 'injected');
          for (const field of ['acquireTime', 'renewTime'] as const) {
            const value = wire?.spec?.[field] as unknown;
            if (value !== undefined && !(typeof value === 'string' && MICRO_TIME.test(value)))
              throw this.#error(422, `spec.${field}: not RFC 3339 with microseconds: ${String(value)}`);
          }
          resolve(work(wire ?? {}));
        } catch (error) {
          reject(error instanceof Error ? error : new Error(String(error)));
        }
      });
    });
  }

  #store(lease: V1Lease): V1Lease {
    const metadata = { ...lease.metadata, resourceVersion: String(++this.#version) };
    const stored = { ...lease, metadata };
    const key = `${metadata.namespace}/${metadata.name}`;
    this.#leases.set(key, stored);
    const copy = (): V1Lease => JSON.parse(JSON.stringify(stored)) as V1Lease;
    for (const watcher of this.#watchers) {
      if (watcher.key !== key || this.fault) continue;
      this.#later(() => {
        if (this.#watchers.has(watcher)) watcher.lease(copy());
      });
    }
    return copy();
  }

  #error(code: number, reason: string): ApiException<unknown> {
    return new ApiException(code, `HTTP-Code: ${code}\nMessage: ${reason}`, { reason }, {});
  }
}
