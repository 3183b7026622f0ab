// The zone publisher against an in-memory API that checks resourceVersions (409 on a stale one, 409 on creating
// what exists, 404 on replacing what is gone) and a cache that lags behind the publisher's own writes, as an
// informer does: a write on top of the publisher's own last write goes through without a conflict.
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { SERIAL_ANNOTATION, zoneConfigMapName } from '../../../../api/configmaps.ts';
import { ZonePublisher } from '../../../../operator/publish/zones.ts';
import { Lanes } from '../../../../operator/queue/lanes.ts';
import { ApiError, type ClusterWriter, type ConfigMapObject } from '../../../../operator/cluster-writer.ts';
import { zoneDoc } from '../../../support/documents.ts';

class MemoryApi {
  readonly objects = new Map<string, ConfigMapObject>();
  readonly errors: number[] = [];
  #version = 1;

  #store(cm: ConfigMapObject): ConfigMapObject {
    this.#version += 1;
    const stored = structuredClone({ ...cm, metadata: { ...cm.metadata, resourceVersion: String(this.#version) } });
    this.objects.set(cm.metadata.name, stored);
    return structuredClone(stored);
  }

  #fail(status: number, message: string): never {
    this.errors.push(status);
    throw new ApiError(status, message);
  }

  readonly writer: ClusterWriter = {
    createConfigMap: async (cm) => {
      if (this.objects.has(cm.metadata.name)) this.#fail(409, 'AlreadyExists');
      return this.#store(cm);
    },
    replaceConfigMap: async (cm) => {
      const current = this.objects.get(cm.metadata.name);
      if (!current) this.#fail(404, 'NotFound');
      if (cm.metadata.resourceVersion !== current.metadata.resourceVersion) this.#fail(409, 'Conflict');
      return this.#store(cm);
    },
    readConfigMap: async (_namespace, name) => structuredClone(this.objects.get(name)),
    deleteConfigMap: async (_namespace, name) => {
      this.objects.delete(name);
    },
    patchStatus: () => Promise.resolve(),
    createEvent: () => Promise.resolve(),
  };
}

const NAME = zoneConfigMapName('geo');
const serialOf = (api: MemoryApi) => api.objects.get(NAME)?.metadata.annotations?.[SERIAL_ANNOTATION];

describe('ZonePublisher', () => {
  it('writes on top of its own last write while the cache still shows an older version, or none', async () => {
    const api = new MemoryApi();
    let cache: ConfigMapObject[] = [];
    const lanes = new Lanes();
    const publisher = new ZonePublisher({
      writer: api.writer,
      lanes,
      namespace: 'geodns-system',
      log: pino({ level: 'silent' }),
      existing: () => cache,
      zoneUid: () => 'uid-1',
    });
    publisher.setZones([zoneDoc('geo.example.com', 1)]);
    await lanes.idle();
    // The cache has not seen the create yet: the next version replaces it, it does not create it again.
    publisher.setZones([zoneDoc('geo.example.com', 2)]);
    await lanes.idle();
    expect(serialOf(api)).toBe('2');
    // The cache now shows the first write (the version serial 2 replaced): serial 3 goes on top of serial 2.
    const first = structuredClone(api.objects.get(NAME)!);
    first.metadata.resourceVersion = '2';
    cache = [first];
    publisher.setZones([zoneDoc('geo.example.com', 3)]);
    await lanes.idle();
    expect(serialOf(api)).toBe('3');
    expect(api.errors).toEqual([]);

    // Someone deletes the ConfigMap and the cache says so: it is created again.
    api.objects.clear();
    cache = [];
    publisher.setZones([zoneDoc('geo.example.com', 4)]);
    await lanes.idle();
    await new Promise((resolve) => setTimeout(resolve, 100)); // the retry after the 404
    await lanes.idle();
    expect(serialOf(api)).toBe('4');
    await lanes.shutDown();
  });
});
