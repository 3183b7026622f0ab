// Defaults the built-in kinds' strategies set on every write (and on an applied configuration before it is
// merged, so that server-side apply compares like with like). Only the fields the project reads or sets.
import type { ResourceType } from './kinds.ts';
import { isRecord, type KubeObject } from './types.ts';

export function builtinDefaults(type: ResourceType, object: KubeObject): void {
  if (type.group !== '') return;
  if (type.plural === 'services' && isRecord(object.spec)) {
    const spec = object.spec;
    spec.type ??= 'ClusterIP';
    spec.sessionAffinity ??= 'None';
    if (Array.isArray(spec.ports)) {
      for (const port of spec.ports.filter(isRecord)) {
        port.protocol ??= 'TCP';
        port.targetPort ??= port.port;
      }
    }
  }
  if (type.plural === 'pods' && isRecord(object.spec) && Array.isArray(object.spec.containers)) {
    for (const container of object.spec.containers.filter(isRecord)) {
      if (Array.isArray(container.ports)) for (const port of container.ports.filter(isRecord)) port.protocol ??= 'TCP';
    }
  }
}
