// Renders helm/kube-geodns with the real, pinned helm (`helm template`, no cluster: scripts/kube/build-binaries.sh
// builds it) and validates what it renders against the Kubernetes schemas offline. test/integration/helm/install.test.ts checks
// the same renderings against a real kube-apiserver.
import { execFile } from 'node:child_process';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { validateResource } from '../../api/validate.ts';
import { helmBinary, renderEnv } from '../../scripts/plain-manifests.ts';
import { REPO_ROOT } from './serve.ts';

export const CHART = path.join(REPO_ROOT, 'helm/kube-geodns');
export const RELEASE = 'geodns';
export const NAMESPACE = 'geodns-system';

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  [field: string]: unknown;
}

export interface Rendered {
  code: number;
  stdout: string;
  stderr: string;
  objects: K8sObject[];
  /** The template file each object came from (`# Source:` line), in the same order as objects. */
  sources: string[];
}

export interface RenderOptions {
  set?: string[];
  setJson?: string[];
  values?: string[];
  release?: string;
  namespace?: string;
  args?: string[];
  /** Another copy of the chart (default: helm/kube-geodns). */
  chart?: string;
}

export function renderChart(options: RenderOptions = {}): Promise<Rendered> {
  const args = ['template', options.release ?? RELEASE, options.chart ?? CHART, '-n', options.namespace ?? NAMESPACE];
  for (const s of options.set ?? []) args.push('--set', s);
  for (const s of options.setJson ?? []) args.push('--set-json', s);
  for (const f of options.values ?? []) args.push('-f', f);
  args.push(...(options.args ?? []));
  return new Promise((resolve, reject) => {
    const settings = { timeout: 20_000, maxBuffer: 32 << 20, env: renderEnv() };
    execFile(helmBinary(), args, settings, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      const code = error ? (error.code as number) : 0;
      const { objects, sources } = code === 0 ? parseRendered(stdout) : { objects: [], sources: [] };
      resolve({ code, stdout, stderr, objects, sources });
    });
  });
}

/** Renders and fails with helm's message when it refuses. */
export async function render(options: RenderOptions = {}): Promise<Rendered> {
  const result = await renderChart(options);
  if (result.code !== 0) throw new Error(`helm template exited ${result.code}: ${result.stderr}`);
  return result;
}

export function parseRendered(text: string): { objects: K8sObject[]; sources: string[] } {
  const objects: K8sObject[] = [];
  const sources: string[] = [];
  for (const doc of parseAllDocuments(text)) {
    if (doc.errors.length > 0) throw new Error(`rendered YAML does not parse: ${doc.errors[0]!.message}`);
    const value = doc.toJS() as K8sObject | null;
    if (value === null) continue;
    objects.push(value);
    // The `# Source:` line after `---` is the comment of the document's first node (the yaml package's reading).
    const comment = doc.commentBefore ?? (doc.contents as { commentBefore?: string | null } | null)?.commentBefore;
    sources.push(/Source: (\S+)/.exec(comment ?? '')?.[1] ?? '');
  }
  return { objects, sources };
}

interface Validatable {
  validate(): void;
}
type ModelClass = new (data: never) => Validatable;

async function modelOf(apiVersion: string, kind: string): Promise<ModelClass> {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const module =
    group === 'monitoring.coreos.com'
      ? `@kubernetes-models/prometheus-operator/${group}/${version}/${kind}`
      : `kubernetes-models/${group ? `${group}/` : ''}${version}/${kind}`;
  const loaded = (await import(module)) as Record<string, ModelClass>;
  const model = loaded[kind];
  if (!model) throw new Error(`no schema for ${apiVersion} ${kind} (${module})`);
  return model;
}

/**
 * Validates one object against its schema: kubernetes-models for Kubernetes and prometheus-operator kinds, the
 * project's own validator (the CRDs' schema and CEL rules) for geodns.io. Throws with the object and the reason.
 */
export async function validateObject(object: K8sObject): Promise<void> {
  const what = `${object.kind} ${object.metadata?.name}`;
  if (object.apiVersion.startsWith('geodns.io/')) {
    const result = validateResource(object);
    if (!result.ok) throw new Error(`${what}: ${JSON.stringify(result.errors)}`);
    return;
  }
  const Model = await modelOf(object.apiVersion, object.kind);
  try {
    new Model(structuredClone(object) as never).validate();
  } catch (error) {
    throw new Error(`${what} does not validate: ${(error as Error).message}`, { cause: error });
  }
}

export function find(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) {
    throw new Error(`no ${kind} ${name}; rendered: ${objects.map((o) => `${o.kind}/${o.metadata.name}`).join(', ')}`);
  }
  return found;
}

// The parts of the rendered workload the tests look into.
export interface Container {
  name: string;
  image: string;
  args: string[];
  ports: { name: string; containerPort: number; protocol: string }[];
  env?: { name: string; valueFrom?: { fieldRef?: { fieldPath: string } } }[];
  livenessProbe?: { httpGet: { path: string; port: string } };
  readinessProbe?: { httpGet: { path: string; port: string } };
  startupProbe?: { httpGet: { path: string; port: string } };
  securityContext: Record<string, unknown>;
  resources: Record<string, unknown>;
  volumeMounts?: { name: string; mountPath: string; readOnly?: boolean }[];
}

export interface PodSpec {
  serviceAccountName?: string;
  automountServiceAccountToken?: boolean;
  securityContext: Record<string, unknown>;
  containers: Container[];
  initContainers?: Container[];
  volumes?: ({ name: string } & Record<string, unknown>)[];
  affinity?: Record<string, unknown>;
  topologySpreadConstraints?: Record<string, unknown>[];
}

export interface Workload {
  spec: {
    replicas: number;
    selector: { matchLabels: Record<string, string> };
    template: { metadata: { labels: Record<string, string> }; spec: PodSpec };
  };
}

export function deployment(objects: K8sObject[], name: string): Workload {
  return find(objects, 'Deployment', name) as unknown as Workload;
}

/** The value following `flag` in args (undefined when the flag is absent); all values for repeated flags. */
export function flagValues(args: string[], flag: string): string[] {
  const values: string[] = [];
  args.forEach((arg, i) => {
    if (arg === flag && args[i + 1] !== undefined) values.push(args[i + 1]!);
  });
  return values;
}
