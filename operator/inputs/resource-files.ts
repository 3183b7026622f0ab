// Reads resource files for the standalone mode and `geodns compile`: files and folders (recursively, *.yaml,
// *.yml, *.json, in sorted order), multi-document YAML, every document of ours validated (core Services and
// Namespaces, Ingresses, Gateways and ReferenceGrants read, other objects of other API groups skipped). Every problem becomes a LoadError that says which file,
// which document, which line and which field.
import { readFile, readdir, stat } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { LineCounter, parseAllDocuments, isMap, isSeq, isPair, isScalar, type Document } from 'yaml';
import { KINDS, type GeoResource } from '../../api/kinds.ts';
import { GROUP } from '../../api/meta.ts';
import { validateResource } from '../../api/validate.ts';
import type { LoadBalancerInfo, ReferenceGrantInfo } from '../compile/index.ts';
import {
  loadBalancerInfo,
  referenceGrantInfo,
  type GatewayObject,
  type IngressObject,
  type ReferenceGrantObject,
} from './cluster-snapshot.ts';

/** A core v1 Service read from a file: standalone mode has no cluster, so `service:` targets resolve to these. */
export interface StandaloneService {
  namespace: string;
  name: string;
  /** spec.externalIPs and status.loadBalancer.ingress[].ip */
  addresses: string[];
  /** spec.clusterIPs (or spec.clusterIP), without "None" */
  clusterIPs: string[];
}

export interface LoadError {
  file: string;
  /** 1-based index of the document in the file; 0 when the problem is the file itself. */
  document: number;
  line?: number;
  kind?: string;
  /** namespace/name for namespaced kinds, name otherwise. */
  name?: string;
  /** The field, e.g. spec.targets[0].weight. */
  path?: string;
  message: string;
}

/** A core v1 Namespace read from a file: gives its labels to allowedNamespaces selectors in standalone mode. */
export interface StandaloneNamespace {
  name: string;
  labels: Record<string, string>;
}

export interface LoadResult {
  resources: GeoResource[];
  services: StandaloneService[];
  namespaces: StandaloneNamespace[];
  /** Ingresses and Gateways: the IPs of their status (their hostnames are resolved only in a cluster). */
  ingresses: LoadBalancerInfo[];
  gateways: LoadBalancerInfo[];
  referenceGrants: ReferenceGrantInfo[];
  errors: LoadError[];
}

/** The other API groups' kinds a target can use, read from files as the cluster's caches hold them. */
const TARGET_KINDS: Readonly<Record<string, string>> = {
  Ingress: 'networking.k8s.io/v1',
  Gateway: 'gateway.networking.k8s.io/v1',
  ReferenceGrant: 'gateway.networking.k8s.io/v1beta1',
};

const EXTENSIONS = ['.yaml', '.yml', '.json'];

/** `examples/x.yaml: document 2 (GeoEndpoint web/www), line 14: spec.targets[0].weight: must be <= 1000` */
export function formatLoadError(e: LoadError): string {
  let where = e.file;
  const parts: string[] = [];
  if (e.document > 0) {
    const what = e.kind ? ` (${e.kind}${e.name ? ` ${e.name}` : ''})` : '';
    parts.push(`document ${e.document}${what}`);
  }
  if (e.line !== undefined) parts.push(`line ${e.line}`);
  if (parts.length > 0) where += `: ${parts.join(', ')}`;
  return `${where}: ${e.path ? `${e.path}: ` : ''}${e.message}`;
}

async function listFiles(path: string, errors: LoadError[]): Promise<string[]> {
  let info;
  try {
    info = await stat(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    errors.push({ file: path, document: 0, message: code === 'ENOENT' ? 'no such file or directory' : String(error) });
    return [];
  }
  if (!info.isDirectory()) return [path];
  const entries = await readdir(path, { recursive: true, withFileTypes: true });
  return entries
    .filter((e) => e.isFile() && EXTENSIONS.some((ext) => e.name.endsWith(ext)))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** The line of the deepest node along `path` that exists in the document (keys point at their key). */
function lineOf(doc: Document, path: (string | number)[], lines: LineCounter): number | undefined {
  let node: unknown = doc.contents;
  let offset = (doc.contents as { range?: [number, number, number] } | null)?.range?.[0];
  for (const segment of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(segment));
      if (!pair) break;
      offset = (pair.key as { range?: [number, number, number] }).range?.[0] ?? offset;
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item: unknown = node.items[segment];
      if (item === undefined) break;
      offset = (item as { range?: [number, number, number] }).range?.[0] ?? offset;
      node = item;
    } else break;
  }
  return offset === undefined ? undefined : lines.linePos(offset).line;
}

/** spec.targets[1].weight → ['spec', 'targets', 1, 'weight'] */
function pathSegments(path: string): (string | number)[] {
  const segments: (string | number)[] = [];
  const pattern = /([^.[\]]+)|\[(\d+)\]|\["((?:[^"\\]|\\.)*)"\]/g;
  for (const m of path.matchAll(pattern)) {
    if (m[2] !== undefined) segments.push(Number(m[2]));
    else if (m[3] !== undefined) segments.push(JSON.parse(`"${m[3]}"`) as string);
    else if (m[1] !== undefined) segments.push(m[1]);
  }
  return segments;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const NAMESPACED = new Set(KINDS.filter((k) => k.scope === 'Namespaced').map((k) => k.kind as string));

/** kind and namespace/name of a raw document, for messages; undefined parts when unknown. */
function identify(value: unknown): { kind?: string; name?: string } {
  if (!isRecord(value)) return {};
  const kind = typeof value.kind === 'string' ? value.kind : undefined;
  const meta = isRecord(value.metadata) ? value.metadata : {};
  if (typeof meta.name !== 'string') return { kind };
  const namespaced =
    kind === 'Service' || (kind !== undefined && (NAMESPACED.has(kind) || TARGET_KINDS[kind] !== undefined));
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
  return { kind, name: namespaced ? `${namespace}/${meta.name}` : meta.name };
}

type FieldProblem = { path: string; message: string };

/** A core v1 Service: its name, namespace and the addresses a standalone server can hand out. */
function readService(value: Record<string, unknown>): { service?: StandaloneService; errors: FieldProblem[] } {
  const errors: FieldProblem[] = [];
  const meta = value.metadata;
  if (!isRecord(meta))
    return { errors: [{ path: 'metadata', message: meta === undefined ? 'is required' : 'must be a mapping' }] };
  if (typeof meta.name !== 'string' || meta.name === '') errors.push({ path: 'metadata.name', message: 'is required' });
  if (meta.namespace !== undefined && typeof meta.namespace !== 'string') {
    errors.push({ path: 'metadata.namespace', message: 'must be a string' });
  }
  const addresses: string[] = [];
  const add = (address: unknown, path: string) => {
    if (typeof address !== 'string' || isIP(address) === 0) {
      errors.push({ path, message: `must be an IPv4 or IPv6 address (got ${JSON.stringify(address)})` });
    } else if (!addresses.includes(address)) addresses.push(address);
  };
  const spec = isRecord(value.spec) ? value.spec : {};
  if (spec.externalIPs !== undefined) {
    if (!Array.isArray(spec.externalIPs)) errors.push({ path: 'spec.externalIPs', message: 'must be a list' });
    else spec.externalIPs.forEach((ip: unknown, i) => add(ip, `spec.externalIPs[${i}]`));
  }
  const clusterIPs: string[] = [];
  const cluster = Array.isArray(spec.clusterIPs)
    ? spec.clusterIPs
    : spec.clusterIP !== undefined
      ? [spec.clusterIP]
      : [];
  cluster.forEach((ip: unknown, i) => {
    if (ip === 'None') return;
    const path = Array.isArray(spec.clusterIPs) ? `spec.clusterIPs[${i}]` : 'spec.clusterIP';
    if (typeof ip !== 'string' || isIP(ip) === 0) {
      errors.push({ path, message: `must be an IPv4 or IPv6 address or "None" (got ${JSON.stringify(ip)})` });
    } else if (!clusterIPs.includes(ip)) clusterIPs.push(ip);
  });
  const status = isRecord(value.status) ? value.status : {};
  const lb = isRecord(status.loadBalancer) ? status.loadBalancer : {};
  if (lb.ingress !== undefined) {
    if (!Array.isArray(lb.ingress)) errors.push({ path: 'status.loadBalancer.ingress', message: 'must be a list' });
    else {
      lb.ingress.forEach((entry: unknown, i) => {
        if (isRecord(entry) && entry.ip !== undefined) add(entry.ip, `status.loadBalancer.ingress[${i}].ip`);
      });
    }
  }
  if (errors.length > 0) return { errors };
  const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
  return { service: { namespace, name: meta.name as string, addresses, clusterIPs }, errors };
}

function readNamespace(value: Record<string, unknown>): { namespace?: StandaloneNamespace; errors: FieldProblem[] } {
  const meta = value.metadata;
  if (!isRecord(meta))
    return { errors: [{ path: 'metadata', message: meta === undefined ? 'is required' : 'must be a mapping' }] };
  if (typeof meta.name !== 'string' || meta.name === '')
    return { errors: [{ path: 'metadata.name', message: 'is required' }] };
  const labels: Record<string, string> = {};
  const errors: FieldProblem[] = [];
  if (meta.labels !== undefined) {
    if (!isRecord(meta.labels)) errors.push({ path: 'metadata.labels', message: 'must be a mapping' });
    else {
      for (const [key, label] of Object.entries(meta.labels)) {
        if (typeof label === 'string') labels[key] = label;
        else errors.push({ path: `metadata.labels[${JSON.stringify(key)}]`, message: 'must be a string' });
      }
    }
  }
  return errors.length > 0 ? { errors } : { namespace: { name: meta.name, labels }, errors };
}

interface Place {
  file: string;
  document: number;
  line?: number;
}

function describePlace(p: Place): string {
  return `${p.file}, document ${p.document}${p.line === undefined ? '' : ` (line ${p.line})`}`;
}

/** Loads every resource under `paths`. Never throws for bad input: problems are returned as errors. */
export async function loadResources(paths: string[]): Promise<LoadResult> {
  const result: LoadResult = {
    resources: [],
    services: [],
    namespaces: [],
    ingresses: [],
    gateways: [],
    referenceGrants: [],
    errors: [],
  };
  const seen = new Map<string, Place>();
  const files: string[] = [];
  for (const path of paths) files.push(...(await listFiles(path, result.errors)));

  for (const file of files) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (error) {
      result.errors.push({ file, document: 0, message: `cannot read: ${(error as Error).message}` });
      continue;
    }
    const lines = new LineCounter();
    const docs = parseAllDocuments(text, { lineCounter: lines });
    if (!Array.isArray(docs)) continue; // an empty stream
    docs.forEach((doc, index) => {
      const document = index + 1;
      if (doc.errors.length > 0) {
        // The first syntax error is the cause; the ones after it are mostly its echoes.
        for (const error of doc.errors.slice(0, 1)) {
          const message = error.message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
          result.errors.push({
            file,
            document,
            line: error.linePos?.[0].line,
            message: `YAML syntax error: ${message}`,
          });
        }
        return;
      }
      if (doc.contents === null) return; // an empty document
      let value: unknown;
      try {
        value = doc.toJS({ maxAliasCount: 1000 });
      } catch (error) {
        result.errors.push({ file, document, line: lineOf(doc, [], lines), message: (error as Error).message });
        return;
      }
      if (value === null || value === undefined) return;
      const id = identify(value);
      const report = (problems: FieldProblem[]) => {
        for (const p of problems) {
          const line = lineOf(doc, pathSegments(p.path), lines);
          result.errors.push({ file, document, line, ...id, ...(p.path ? { path: p.path } : {}), message: p.message });
        }
      };
      const remember = (key: string): boolean => {
        const here: Place = { file, document, line: lineOf(doc, [], lines) };
        const first = seen.get(key);
        if (first) {
          result.errors.push({
            ...here,
            ...id,
            message: `duplicate ${id.kind} ${id.name}: also defined in ${describePlace(first)}`,
          });
          return false;
        }
        seen.set(key, here);
        return true;
      };

      if (isRecord(value) && value.apiVersion === 'v1' && value.kind === 'Service') {
        const { service, errors } = readService(value);
        report(errors);
        if (service && remember(`Service/${service.namespace}/${service.name}`)) result.services.push(service);
        return;
      }
      if (isRecord(value) && value.apiVersion === 'v1' && value.kind === 'Namespace') {
        const { namespace, errors } = readNamespace(value);
        report(errors);
        if (namespace && remember(`Namespace//${namespace.name}`)) result.namespaces.push(namespace);
        return;
      }
      if (isRecord(value) && typeof value.kind === 'string' && TARGET_KINDS[value.kind] === value.apiVersion) {
        const meta = value.metadata;
        if (!isRecord(meta) || typeof meta.name !== 'string' || meta.name === '') {
          report([{ path: 'metadata.name', message: 'is required' }]);
          return;
        }
        const namespace = typeof meta.namespace === 'string' ? meta.namespace : 'default';
        if (!remember(`${value.kind}/${namespace}/${meta.name}`)) return;
        const object = { ...value, metadata: { ...meta, namespace } };
        if (value.kind === 'ReferenceGrant') {
          const grant = referenceGrantInfo(object as ReferenceGrantObject);
          if (grant) result.referenceGrants.push(grant);
          return;
        }
        const kind = value.kind === 'Gateway' ? 'Gateway' : 'Ingress';
        const info = loadBalancerInfo(kind, object as IngressObject | GatewayObject);
        if (info) {
          const { hostnames: _resolvedOnlyInACluster, ...ips } = info;
          (kind === 'Gateway' ? result.gateways : result.ingresses).push(ips);
        }
        return;
      }
      // A folder applied with kubectl holds the workloads too (examples/cluster has its demo backend's
      // Deployment): objects of other API groups are not ours to read or refuse.
      if (isRecord(value) && isForeignApiVersion(value.apiVersion)) return;
      const validated = validateResource(value);
      if (!validated.ok) {
        report(validated.errors);
        return;
      }
      const r = validated.resource;
      if (remember(`${r.kind}/${r.metadata.namespace ?? ''}/${r.metadata.name}`)) result.resources.push(r);
    });
  }
  return result;
}

/** Whether a document's apiVersion names another group than ours (core v1 included: only its Services and
 * Namespaces are read, above). A document without one is ours to refuse. */
function isForeignApiVersion(apiVersion: unknown): boolean {
  return typeof apiVersion === 'string' && apiVersion !== '' && !apiVersion.startsWith(`${GROUP}/`);
}
