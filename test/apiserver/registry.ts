// The storage semantics of the API server over the store: create, get, list, update, patch (incl. server-side
// apply), delete with finalizers, the status subresource, generation, managedFields, admission and the
// per-kind defaults the project relies on. HTTP-free: server.ts maps requests onto it.
import { randomUUID } from 'node:crypto';
import { parse as parseYaml } from 'yaml';
import { ApiError, alreadyExists, badRequest, conflict, invalid, notFound, type StatusCause } from './errors.ts';
import type { Catalog } from './catalog.ts';
import { apiVersionOf, typeKey, type ResourceType } from './kinds.ts';
import { applyConfiguration, recordUpdate } from './managed.ts';
import { builtinDefaults } from './defaults.ts';
import { generatedSuffix, metadataCauses } from './meta.ts';
import {
  APPLY_PATCH,
  JSON_PATCH,
  MERGE_PATCH,
  STRATEGIC_PATCH,
  jsonPatch,
  mergePatch,
  strategicMergePatch,
} from './patch.ts';
import { fieldMatcher, labelMatcher } from './selectors.ts';
import type { Store } from './store.ts';
import { clone, isRecord, jsonEqual, type JsonObject, type KubeObject } from './types.ts';

export type FieldValidation = 'Strict' | 'Warn' | 'Ignore';

export interface WriteOptions {
  dryRun?: boolean;
  fieldManager?: string;
  fieldValidation?: FieldValidation;
  /** Warning headers collected for the response. */
  warnings?: string[];
}

export interface DeleteOptions {
  dryRun?: boolean;
  propagationPolicy?: 'Background' | 'Foreground' | 'Orphan';
  preconditions?: { uid?: string; resourceVersion?: string };
}

export interface ListOptions {
  labelSelector?: string;
  fieldSelector?: string;
  limit?: number;
  continue?: string;
}

export interface ListResult {
  items: KubeObject[];
  resourceVersion: string;
  continue?: string;
  remainingItemCount?: number;
}

const DEFAULT_MANAGER = 'unknown';

/** Objects of kinds whose PUT may create (AllowCreateOnUpdate in the API server). */
const CREATE_ON_UPDATE = new Set(['coordination.k8s.io/leases', '/events', 'events.k8s.io/events']);

function now(): string {
  return new Date().toISOString().replace(/\.\d+Z$/, 'Z');
}

/** What counts for metadata.generation: everything but metadata and status. */
function specPart(object: KubeObject): JsonObject {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = object;
  return rest;
}

function withoutVolatile(object: KubeObject): KubeObject {
  const copy = clone(object);
  delete copy.metadata.resourceVersion;
  delete copy.metadata.managedFields;
  return copy;
}

function ownership(object: KubeObject): unknown {
  return (object.metadata.managedFields ?? []).map(({ time: _, ...rest }) => rest);
}

export class Registry {
  private ipCounter = 10;
  /** Called after every committed change of a CRD or a deletion, so registration and GC can follow. */
  onCommit: (type: ResourceType, object: KubeObject, deleted: boolean) => void = () => {};

  readonly store: Store;
  readonly catalog: Catalog;

  constructor(store: Store, catalog: Catalog) {
    this.store = store;
    this.catalog = catalog;
  }

  get(type: ResourceType, namespace: string | undefined, name: string): KubeObject {
    const found = this.store.get(typeKey(type), type.namespaced ? namespace : undefined, name);
    if (!found) throw notFound(type.plural, type.group, name);
    return found;
  }

  list(type: ResourceType, namespace: string | undefined, options: ListOptions): ListResult {
    const labels = labelMatcher(options.labelSelector);
    const fields = fieldMatcher(options.fieldSelector, type.kind);
    let items = this.store
      .list(typeKey(type), type.namespaced ? namespace : undefined)
      .filter((o) => labels(o) && fields(o));
    const resourceVersion = String(this.store.currentRevision);
    if (options.continue) {
      const after = Buffer.from(options.continue, 'base64url').toString();
      items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name ?? ''}` > after);
    }
    if (options.limit && options.limit > 0 && items.length > options.limit) {
      const page = items.slice(0, options.limit);
      const last = page.at(-1);
      const token = `${last?.metadata.namespace ?? ''}/${last?.metadata.name ?? ''}`;
      return {
        items: page,
        resourceVersion,
        continue: Buffer.from(token).toString('base64url'),
        remainingItemCount: items.length - page.length,
      };
    }
    return { items, resourceVersion };
  }

  private checkBody(type: ResourceType, body: unknown, namespace: string | undefined): KubeObject {
    if (!isRecord(body)) throw badRequest('the body of the request was in an unknown format');
    const apiVersion = apiVersionOf(type);
    const object = clone(body) as KubeObject;
    if (object.apiVersion === undefined) object.apiVersion = apiVersion;
    if (object.kind === undefined) object.kind = type.kind;
    if (object.apiVersion !== apiVersion || object.kind !== type.kind) {
      throw badRequest(
        `the API version in the data (${String(object.apiVersion)}) does not match the expected API version (${apiVersion})`,
      );
    }
    if (!isRecord(object.metadata)) object.metadata = {};
    if (type.namespaced) {
      if (object.metadata.namespace !== undefined && object.metadata.namespace !== namespace) {
        throw badRequest('the namespace of the provided object does not match the namespace sent on the request');
      }
      object.metadata.namespace = namespace;
    } else delete object.metadata.namespace;
    return object;
  }

  /** Schema admission (CRs), metadata rules and per-kind checks; fills defaults in place. */
  private admit(type: ResourceType, object: KubeObject, options: WriteOptions): void {
    builtinDefaults(type, object);
    const causes: StatusCause[] = metadataCauses(type, object.metadata);
    const schema = this.catalog.schemaOf(type);
    if (schema) {
      const { causes: schemaCauses, pruned } = schema.admit(object as unknown as JsonObject);
      causes.push(...schemaCauses);
      if (pruned.length > 0) {
        if (options.fieldValidation === 'Strict') {
          const list = pruned.map((p) => `unknown field "${p}"`);
          throw badRequest(`strict decoding error: ${list.join(', ')}`);
        }
        if (options.fieldValidation === 'Warn') options.warnings?.push(...pruned.map((p) => `unknown field "${p}"`));
      }
    }
    if (type.kind === 'CustomResourceDefinition') causes.push(...crdCauses(object));
    if (causes.length > 0) throw invalid(type.kind, type.group, object.metadata.name ?? '', causes);
  }

  private checkNamespace(type: ResourceType, namespace: string | undefined): void {
    if (!type.namespaced) return;
    if (!namespace) throw badRequest('a namespace is required for namespaced resources');
    const ns = this.store.get('/namespaces', undefined, namespace);
    if (!ns) throw notFound('namespaces', '', namespace);
    if (ns.metadata.deletionTimestamp) {
      throw new ApiError(
        403,
        'Forbidden',
        `${type.plural} "${''}" is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
        {
          kind: type.plural,
          group: type.group,
          causes: [
            {
              reason: 'NamespaceTerminating',
              message: `namespace ${namespace} is being terminated`,
              field: 'metadata.namespace',
            },
          ],
        },
      );
    }
  }

  /** Defaults a controller or a kind's strategy sets on create. */
  private createDefaults(type: ResourceType, object: KubeObject): void {
    const id = `${type.group}/${type.plural}`;
    if (type.status) {
      delete object.status;
      if (id === '/namespaces') object.status = { phase: 'Active' };
      if (id === '/pods') object.status = { phase: 'Pending' };
      if (id === '/services') object.status = { loadBalancer: {} };
    }
    if (id === '/namespaces') {
      object.spec = { finalizers: ['kubernetes'] };
      object.metadata.labels = { ...object.metadata.labels, 'kubernetes.io/metadata.name': object.metadata.name ?? '' };
    }
    if (id === '/services') {
      const spec = isRecord(object.spec) ? object.spec : {};
      spec.type ??= 'ClusterIP';
      if (spec.clusterIP === undefined && spec.type !== 'ExternalName') {
        this.ipCounter += 1;
        spec.clusterIP = `10.96.${Math.floor(this.ipCounter / 250)}.${this.ipCounter % 250}`;
        spec.clusterIPs = [spec.clusterIP];
        spec.ipFamilies = ['IPv4'];
        spec.ipFamilyPolicy = 'SingleStack';
      }
      object.spec = spec;
    }
  }

  create(
    type: ResourceType,
    namespace: string | undefined,
    body: unknown,
    options: WriteOptions,
    applied = false,
  ): KubeObject {
    const object = this.checkBody(type, body, namespace);
    const meta = object.metadata;
    if (!meta.name && meta.generateName) meta.name = `${meta.generateName}${generatedSuffix()}`;
    if (meta.resourceVersion) throw badRequest('resourceVersion should not be set on objects to be created');
    this.checkNamespace(type, meta.namespace);
    if (meta.name && this.store.get(typeKey(type), meta.namespace, meta.name)) {
      throw alreadyExists(type.plural, type.group, meta.name);
    }
    meta.uid = randomUUID();
    meta.creationTimestamp = now();
    delete meta.deletionTimestamp;
    delete meta.deletionGracePeriodSeconds;
    if (type.generation) meta.generation = 1;
    else delete meta.generation;
    this.createDefaults(type, object);
    this.admit(type, object, options);
    if (!applied) {
      delete meta.managedFields;
      recordUpdate(type, undefined, object, options.fieldManager ?? DEFAULT_MANAGER, undefined, now());
    }
    if (options.dryRun) return object;
    const stored = this.store.put(typeKey(type), object);
    this.onCommit(type, stored, false);
    return stored;
  }

  /** PUT of the main resource or of /status. */
  update(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    body: unknown,
    options: WriteOptions,
    subresource?: string,
  ): KubeObject {
    const incoming = this.checkBody(type, body, namespace);
    if (incoming.metadata.name !== undefined && incoming.metadata.name !== name) {
      throw badRequest(
        `the name of the object (${incoming.metadata.name}) does not match the name on the URL (${name})`,
      );
    }
    incoming.metadata.name = name;
    const current = this.store.get(typeKey(type), type.namespaced ? namespace : undefined, name);
    if (!current) {
      if (!subresource && CREATE_ON_UPDATE.has(typeKey(type))) {
        delete incoming.metadata.resourceVersion;
        return this.create(type, namespace, incoming, options);
      }
      throw notFound(type.plural, type.group, name);
    }
    const rv = incoming.metadata.resourceVersion;
    if (rv === undefined || rv === '') {
      if (type.crd || type.generation) {
        throw invalid(type.kind, type.group, name, [
          {
            reason: 'FieldValueInvalid',
            field: 'metadata.resourceVersion',
            message: 'Invalid value: 0: must be specified for an update',
          },
        ]);
      }
    } else if (rv !== current.metadata.resourceVersion) {
      throw conflict(
        type.plural,
        type.group,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    return this.commitUpdate(type, current, incoming, options, subresource, false);
  }

  private commitUpdate(
    type: ResourceType,
    current: KubeObject,
    incoming: KubeObject,
    options: WriteOptions,
    subresource: string | undefined,
    applied: boolean,
  ): KubeObject {
    let next: KubeObject;
    if (subresource === 'status') {
      next = clone(current);
      if (incoming.status === undefined) delete next.status;
      else next.status = incoming.status;
      if (applied) next.metadata.managedFields = incoming.metadata.managedFields;
    } else {
      next = incoming;
      const meta = next.metadata;
      for (const field of [
        'uid',
        'creationTimestamp',
        'deletionTimestamp',
        'deletionGracePeriodSeconds',
        'generation',
      ] as const) {
        if (current.metadata[field] === undefined) delete meta[field];
        else (meta as Record<string, unknown>)[field] = current.metadata[field];
      }
      if (type.status) {
        if (current.status === undefined) delete next.status;
        else next.status = clone(current.status);
      }
      if (type.group === '' && type.plural === 'namespaces') next.spec = clone(current.spec);
      if (current.metadata.deletionTimestamp) {
        const added = (meta.finalizers ?? []).filter((f) => !(current.metadata.finalizers ?? []).includes(f));
        if (added.length > 0) {
          throw invalid(type.kind, type.group, meta.name ?? '', [
            {
              reason: 'FieldValueForbidden',
              field: 'metadata.finalizers',
              message: 'Forbidden: no new finalizers can be added if the object is being deleted',
            },
          ]);
        }
      }
    }
    this.admit(type, next, options);
    if (type.generation && !jsonEqual(specPart(current), specPart(next))) {
      next.metadata.generation = (current.metadata.generation ?? 0) + 1;
    }
    if (!applied) recordUpdate(type, current, next, options.fieldManager ?? DEFAULT_MANAGER, subresource, now());
    // A write that changes nothing but ownership timestamps is not stored, as the API server skips it too.
    if (jsonEqual(withoutVolatile(current), withoutVolatile(next)) && jsonEqual(ownership(current), ownership(next))) {
      return current;
    }
    if (options.dryRun) return next;
    if (next.metadata.deletionTimestamp && (next.metadata.finalizers ?? []).length === 0) {
      const gone = this.store.remove(typeKey(type), next.metadata.namespace, next.metadata.name ?? '');
      if (gone) this.onCommit(type, gone, true);
      return gone ?? next;
    }
    const stored = this.store.put(typeKey(type), next);
    this.onCommit(type, stored, false);
    return stored;
  }

  patch(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    contentType: string,
    raw: string,
    options: WriteOptions & { force?: boolean },
    subresource?: string,
  ): KubeObject {
    const ns = type.namespaced ? namespace : undefined;
    const current = this.store.get(typeKey(type), ns, name);
    if (contentType === APPLY_PATCH) return this.apply(type, ns, name, current, raw, options, subresource);
    if (!current) throw notFound(type.plural, type.group, name);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch (error) {
      throw badRequest(`error decoding patch: ${error instanceof Error ? error.message : String(error)}`);
    }
    let patched: unknown;
    if (contentType === JSON_PATCH) patched = jsonPatch(current, body);
    else if (contentType === MERGE_PATCH) patched = mergePatch(current, body);
    else if (contentType === STRATEGIC_PATCH) {
      if (type.crd) {
        throw new ApiError(
          415,
          'UnsupportedMediaType',
          `the body of the request was in an unknown format - accepted media types include: ${JSON_PATCH}, ${MERGE_PATCH}, ${APPLY_PATCH}`,
        );
      }
      patched = strategicMergePatch(current, body, '', type);
    } else {
      throw new ApiError(
        415,
        'UnsupportedMediaType',
        `the body of the request was in an unknown format - accepted media types include: ${JSON_PATCH}, ${MERGE_PATCH}, ${APPLY_PATCH}${type.crd ? '' : `, ${STRATEGIC_PATCH}`}`,
      );
    }
    const incoming = this.checkBody(type, patched, ns);
    if (incoming.metadata.name !== name) throw badRequest('metadata.name: the name cannot be changed by a patch');
    if (incoming.metadata.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        type.plural,
        type.group,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    return this.commitUpdate(type, current, incoming, options, subresource, false);
  }

  private apply(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    current: KubeObject | undefined,
    raw: string,
    options: WriteOptions & { force?: boolean },
    subresource: string | undefined,
  ): KubeObject {
    const manager = options.fieldManager;
    if (!manager) throw badRequest('PATCH, application/apply-patch+yaml requests require fieldManager to be set');
    let config: unknown;
    try {
      config = parseYaml(raw);
    } catch (error) {
      throw badRequest(`error decoding YAML: ${error instanceof Error ? error.message : String(error)}`);
    }
    const object = this.checkBody(type, config, namespace);
    if (object.metadata.name !== name) throw badRequest('the name of the object does not match the name on the URL');
    const given = object.metadata.resourceVersion;
    if (current && given !== undefined && given !== current.metadata.resourceVersion) {
      throw conflict(
        type.plural,
        type.group,
        name,
        'the object has been modified; please apply your changes to the latest version and try again',
      );
    }
    delete object.metadata.resourceVersion;
    builtinDefaults(type, object);
    this.catalog.schemaOf(type)?.fillDefaults(object as unknown as JsonObject);
    const result = applyConfiguration(type, current, object, manager, options.force === true, subresource, now());
    if (!current) {
      if (subresource) throw notFound(type.plural, type.group, name);
      return this.create(type, namespace, result, options, true);
    }
    result.metadata.resourceVersion = current.metadata.resourceVersion;
    return this.commitUpdate(type, current, result, options, subresource, true);
  }

  /** Deletes, or marks for deletion when finalizers remain. Returns the object and whether it is gone. */
  delete(
    type: ResourceType,
    namespace: string | undefined,
    name: string,
    options: DeleteOptions,
  ): { object: KubeObject; gone: boolean } {
    const current = this.get(type, namespace, name);
    const pre = options.preconditions ?? {};
    if (pre.uid && pre.uid !== current.metadata.uid) {
      throw conflict(
        type.plural,
        type.group,
        name,
        `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${current.metadata.uid ?? ''}`,
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== current.metadata.resourceVersion) {
      throw conflict(
        type.plural,
        type.group,
        name,
        `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${current.metadata.resourceVersion ?? ''}`,
      );
    }
    const next = clone(current);
    const finalizers = new Set(next.metadata.finalizers ?? []);
    if (options.propagationPolicy === 'Foreground') finalizers.add('foregroundDeletion');
    if (options.propagationPolicy === 'Orphan') finalizers.add('orphan');
    const isNamespace = type.group === '' && type.plural === 'namespaces';
    if (finalizers.size === 0 && !isNamespace) {
      if (options.dryRun) return { object: current, gone: true };
      const gone = this.store.remove(typeKey(type), current.metadata.namespace, name) ?? current;
      this.onCommit(type, gone, true);
      return { object: gone, gone: true };
    }
    if (!next.metadata.deletionTimestamp) {
      next.metadata.deletionTimestamp = now();
      next.metadata.deletionGracePeriodSeconds = 0;
      if (type.generation) next.metadata.generation = (next.metadata.generation ?? 0) + 1;
    }
    if (finalizers.size > 0) next.metadata.finalizers = [...finalizers];
    if (isNamespace) next.status = { ...(isRecord(next.status) ? next.status : {}), phase: 'Terminating' };
    if (options.dryRun || jsonEqual(next, current)) return { object: current, gone: false };
    const stored = this.store.put(typeKey(type), next);
    this.onCommit(type, stored, false);
    return { object: stored, gone: false };
  }

  /** Removes one finalizer from an object (what a controller does when its cleanup is done). */
  finalize(type: ResourceType, object: KubeObject, finalizer: string): void {
    const current = this.store.get(typeKey(type), object.metadata.namespace, object.metadata.name ?? '');
    if (!current || !(current.metadata.finalizers ?? []).includes(finalizer)) return;
    const next = clone(current);
    next.metadata.finalizers = (next.metadata.finalizers ?? []).filter((f) => f !== finalizer);
    if (next.metadata.finalizers.length === 0) delete next.metadata.finalizers;
    this.commitUpdate(type, current, next, { fieldManager: 'garbage-collector' }, undefined, true);
  }

  /** Writes directly, for the server's own controllers (CRD status, namespace finalization). */
  writeStatus(type: ResourceType, object: KubeObject, status: JsonObject): void {
    const current = this.store.get(typeKey(type), object.metadata.namespace, object.metadata.name ?? '');
    if (!current) return;
    const next = clone(current);
    next.status = status;
    this.commitUpdate(type, current, next, { fieldManager: 'kube-apiserver' }, 'status', false);
  }

  /** Removes an object whatever its finalizers (namespace and CRD cleanup). */
  forceRemove(type: ResourceType, object: KubeObject): void {
    const gone = this.store.remove(typeKey(type), object.metadata.namespace, object.metadata.name ?? '');
    if (gone) this.onCommit(type, gone, true);
  }
}

function crdCauses(crd: KubeObject): StatusCause[] {
  const spec = isRecord(crd.spec) ? crd.spec : {};
  const names = isRecord(spec.names) ? spec.names : {};
  const causes: StatusCause[] = [];
  if (typeof spec.group !== 'string' || spec.group === '')
    causes.push({ reason: 'FieldValueRequired', field: 'spec.group', message: 'Required value' });
  if (typeof names.plural !== 'string')
    causes.push({ reason: 'FieldValueRequired', field: 'spec.names.plural', message: 'Required value' });
  if (typeof names.kind !== 'string')
    causes.push({ reason: 'FieldValueRequired', field: 'spec.names.kind', message: 'Required value' });
  if (
    typeof spec.group === 'string' &&
    typeof names.plural === 'string' &&
    crd.metadata.name !== `${names.plural}.${spec.group}`
  ) {
    causes.push({
      reason: 'FieldValueInvalid',
      field: 'metadata.name',
      message: `Invalid value: "${crd.metadata.name ?? ''}": must be spec.names.plural+"."+spec.group`,
    });
  }
  if (spec.scope !== 'Namespaced' && spec.scope !== 'Cluster') {
    causes.push({
      reason: 'FieldValueNotSupported',
      field: 'spec.scope',
      message: `Unsupported value: ${JSON.stringify(spec.scope)}: supported values: "Cluster", "Namespaced"`,
    });
  }
  if (!Array.isArray(spec.versions) || spec.versions.length === 0)
    causes.push({
      reason: 'FieldValueRequired',
      field: 'spec.versions',
      message: 'Required value: must have exactly one version marked as storage version',
    });
  return causes;
}
