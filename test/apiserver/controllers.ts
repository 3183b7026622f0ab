// What the control plane does after writes, here in-process: CRD registration (Established), cleanup of a
// deleted CRD's objects, namespace termination, and the garbage collector (ownerReferences with background,
// foreground and orphan propagation). It runs asynchronously, soon after the write that needs it, like the
// real controllers.
import type { Catalog } from './catalog.ts';
import { typeKey, type ResourceType } from './kinds.ts';
import type { Registry } from './registry.ts';
import { isRecord, type KubeObject } from './types.ts';

export class Controllers {
  private scheduled = false;
  private stopped = false;

  private readonly registry: Registry;
  private readonly catalog: Catalog;

  constructor(registry: Registry, catalog: Catalog) {
    this.registry = registry;
    this.catalog = catalog;
    registry.onCommit = (type, object, deleted) => {
      if (type.group === 'apiextensions.k8s.io') this.crdChanged(object, deleted);
      this.schedule();
    };
  }

  stop(): void {
    this.stopped = true;
  }

  private crdChanged(crd: KubeObject, deleted: boolean): void {
    const name = crd.metadata.name ?? '';
    if (deleted) {
      this.catalog.unregister(name);
      return;
    }
    if (crd.metadata.deletionTimestamp) return;
    const registered = this.catalog.register(crd);
    if (!registered) return;
    const spec = isRecord(crd.spec) ? crd.spec : {};
    const status = isRecord(crd.status) ? crd.status : {};
    const at = crd.metadata.creationTimestamp ?? new Date().toISOString();
    const condition = (type: string, reason: string, message: string) => ({
      type,
      status: 'True',
      reason,
      message,
      lastTransitionTime: at,
    });
    const wanted = {
      ...status,
      acceptedNames: spec.names,
      storedVersions: [registered.version],
      conditions: [
        condition('NamesAccepted', 'NoConflicts', 'no conflicts found'),
        condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted'),
      ],
    };
    const crdType = this.typeOf('apiextensions.k8s.io/customresourcedefinitions');
    if (crdType) this.registry.writeStatus(crdType, crd, wanted);
  }

  private typeOf(key: string): ResourceType | undefined {
    return this.catalog.all().find((t) => typeKey(t) === key);
  }

  schedule(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setTimeout(() => {
      this.scheduled = false;
      if (!this.stopped) this.run();
    }, 5).unref();
  }

  /** One pass over everything; another follows when this one changed anything. */
  run(): void {
    const before = this.registry.store.currentRevision;
    this.deletedCrds();
    this.terminatingNamespaces();
    this.collectGarbage();
    if (this.registry.store.currentRevision !== before) this.schedule();
  }

  private deletedCrds(): void {
    const crdType = this.typeOf('apiextensions.k8s.io/customresourcedefinitions');
    if (!crdType) return;
    for (const crd of this.registry.store.list(typeKey(crdType))) {
      if (!crd.metadata.deletionTimestamp) continue;
      const type = this.catalog.all().find((t) => t.crd === crd.metadata.name);
      if (type) for (const object of this.registry.store.list(typeKey(type))) this.registry.forceRemove(type, object);
      this.catalog.unregister(crd.metadata.name ?? '');
      if ((crd.metadata.finalizers ?? []).length === 0) this.registry.forceRemove(crdType, crd);
    }
  }

  private terminatingNamespaces(): void {
    const nsType = this.typeOf('/namespaces');
    if (!nsType) return;
    for (const ns of this.registry.store.list('/namespaces')) {
      if (!ns.metadata.deletionTimestamp) continue;
      let left = 0;
      for (const type of this.catalog.all().filter((t) => t.namespaced)) {
        for (const object of this.registry.store.list(typeKey(type), ns.metadata.name)) {
          left += 1;
          if (!object.metadata.deletionTimestamp)
            this.registry.delete(type, object.metadata.namespace, object.metadata.name ?? '', {});
        }
      }
      if (left === 0 && (ns.metadata.finalizers ?? []).length === 0) this.registry.forceRemove(nsType, ns);
    }
  }

  private collectGarbage(): void {
    const all = this.registry.store.all();
    const byUid = new Map(all.map(({ object }) => [object.metadata.uid ?? '', object]));
    const typeByKey = new Map(this.catalog.all().map((t) => [typeKey(t), t]));
    const dependentsOf = (uid: string) =>
      all.filter(({ object }) => (object.metadata.ownerReferences ?? []).some((r) => r.uid === uid));

    for (const { typeKey: key, object } of all) {
      const type = typeByKey.get(key);
      if (!type) continue;
      const finalizers = object.metadata.finalizers ?? [];
      if (object.metadata.deletionTimestamp && finalizers.includes('orphan')) {
        for (const dep of dependentsOf(object.metadata.uid ?? '')) {
          const depType = typeByKey.get(dep.typeKey);
          if (!depType) continue;
          const refs = (dep.object.metadata.ownerReferences ?? []).filter((r) => r.uid !== object.metadata.uid);
          this.registry.patch(
            depType,
            dep.object.metadata.namespace,
            dep.object.metadata.name ?? '',
            'application/merge-patch+json',
            JSON.stringify({ metadata: { ownerReferences: refs.length > 0 ? refs : null } }),
            { fieldManager: 'garbage-collector' },
          );
        }
        this.registry.finalize(type, object, 'orphan');
        continue;
      }
      if (object.metadata.deletionTimestamp && finalizers.includes('foregroundDeletion')) {
        const deps = dependentsOf(object.metadata.uid ?? '');
        for (const dep of deps) {
          const depType = typeByKey.get(dep.typeKey);
          if (depType && !dep.object.metadata.deletionTimestamp) {
            this.registry.delete(depType, dep.object.metadata.namespace, dep.object.metadata.name ?? '', {
              propagationPolicy: 'Foreground',
            });
          }
        }
        if (deps.length === 0) this.registry.finalize(type, object, 'foregroundDeletion');
        continue;
      }
      const refs = object.metadata.ownerReferences ?? [];
      if (refs.length === 0 || object.metadata.deletionTimestamp) continue;
      const live = refs.filter((r) => byUid.has(r.uid));
      if (live.length === 0) {
        this.registry.delete(type, object.metadata.namespace, object.metadata.name ?? '', {
          propagationPolicy: 'Background',
        });
      }
    }
  }
}
