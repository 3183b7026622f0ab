// The operator's port to the API server: what the publishers and the status writer need of it, as plain shapes.
// It belongs to the operator, not to publish/: operator/kube/api.ts implements it (through lib/kube/), tests may
// implement it in memory.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

/** The metadata the operator reads and writes of its ConfigMaps and Secrets. */
export interface ObjectMetadata {
  name: string;
  namespace: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  resourceVersion?: string;
  ownerReferences?: OwnerReference[];
}

export interface ConfigMapObject {
  metadata: ObjectMetadata;
  data?: Record<string, string>;
  binaryData?: Record<string, string>;
}

export interface ObjectRef {
  kind: 'GeoZone' | 'GeoEndpoint' | 'HealthProbe';
  namespace?: string;
  name: string;
}

export interface EventRecord {
  regarding: ObjectRef & { uid?: string };
  type: 'Normal' | 'Warning';
  reason: string;
  note: string;
}

export interface ClusterWriter {
  createConfigMap(configMap: ConfigMapObject): Promise<ConfigMapObject>;
  /** Replaces the object; a stale metadata.resourceVersion fails with status 409. */
  replaceConfigMap(configMap: ConfigMapObject): Promise<ConfigMapObject>;
  readConfigMap(namespace: string, name: string): Promise<ConfigMapObject | undefined>;
  deleteConfigMap(namespace: string, name: string): Promise<void>;
  /** A JSON merge patch of the status subresource. */
  patchStatus(ref: ObjectRef, status: Record<string, unknown>): Promise<void>;
  createEvent(namespace: string, event: EventRecord): Promise<void>;
}

/** A Secret as the operator reads and writes it: one by name, in its own namespace. */
export interface SecretObject {
  metadata: ObjectMetadata;
  type?: string;
  /** Values base64-encoded, as the API has them. */
  data?: Record<string, string>;
}

/** The operator's Secrets (the DNSSEC keys): got by name, never listed or watched. */
export interface SecretWriter {
  readSecret(namespace: string, name: string): Promise<SecretObject | undefined>;
  createSecret(secret: SecretObject): Promise<SecretObject>;
  /** Replaces the object; a stale metadata.resourceVersion fails with status 409. */
  replaceSecret(secret: SecretObject): Promise<SecretObject>;
}

/** An API error with its HTTP status (0 when the server could not be reached). */
export class ApiError extends Error {
  readonly status: number;
  constructor(status: number, message: string) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
  }
}

export function statusOf(error: unknown): number | undefined {
  return error instanceof ApiError ? error.status : undefined;
}
