// The published CRDs as offline validators read them (kubeconform, IDE schemas from the openAPIV3Schema): they apply
// no defaults, so a field that has a default must not also be required, and every example must validate as written.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { StructuralSchema } from '../../../api/crd.ts';
import { KINDS } from '../../../api/kinds.ts';
import { crdFileName } from '../../../api/crd.ts';
import { yamlObjects } from '../../support/objects.ts';
import { REPO_ROOT } from '../../support/serve.ts';

interface PublishedCrd {
  spec: { names: { kind: string }; versions: { schema: { openAPIV3Schema: StructuralSchema } }[] };
}

/** The openAPIV3Schema of every committed CRD (crds/ and the chart's copy), by kind. */
function publishedSchemas(dir: string): Map<string, StructuralSchema> {
  return new Map(
    KINDS.map((info) => {
      const crd = parse(readFileSync(`${REPO_ROOT}/${dir}/${crdFileName(info)}`, 'utf8')) as PublishedCrd;
      return [crd.spec.names.kind, crd.spec.versions[0]!.schema.openAPIV3Schema];
    }),
  );
}

function* nodes(node: StructuralSchema, path: string): Generator<{ node: StructuralSchema; path: string }> {
  yield { node, path };
  for (const [name, child] of Object.entries(node.properties ?? {})) yield* nodes(child, `${path}.${name}`);
  if (node.items) yield* nodes(node.items, `${path}[]`);
  if (node.additionalProperties) yield* nodes(node.additionalProperties, `${path}{}`);
}

/** As kubeconform's openapi2jsonschema --strict: objects with properties refuse the ones they do not list. */
function strictJsonSchema(schema: StructuralSchema): Record<string, unknown> {
  const out: Record<string, unknown> = { ...schema };
  if (schema.properties) {
    out.properties = Object.fromEntries(Object.entries(schema.properties).map(([k, v]) => [k, strictJsonSchema(v)]));
    if (!schema.additionalProperties && !schema['x-kubernetes-preserve-unknown-fields']) {
      out.additionalProperties = false;
    }
  }
  if (schema.items) out.items = strictJsonSchema(schema.items);
  if (schema.additionalProperties) out.additionalProperties = strictJsonSchema(schema.additionalProperties);
  return out;
}

function offlineValidators(dir: string): Map<string, ValidateFunction> {
  const ajv = new Ajv({ allErrors: true, useDefaults: false, strict: false });
  addFormats.default(ajv, ['ipv4', 'ipv6', 'date-time']);
  return new Map([...publishedSchemas(dir)].map(([kind, schema]) => [kind, ajv.compile(strictJsonSchema(schema))]));
}

const CRD_DIRS = ['crds', 'helm/kube-geodns/crds'];
const EXAMPLES = ['examples/cluster', 'examples/standalone', 'examples/regional'];

describe('the published CRDs, read offline', () => {
  for (const dir of CRD_DIRS) {
    it(`${dir}: no field is both required and defaulted (offline validators apply no defaults)`, () => {
      const both: string[] = [];
      for (const [kind, root] of publishedSchemas(dir)) {
        for (const { node, path } of nodes(root, kind)) {
          for (const name of node.required ?? []) {
            if (node.properties?.[name]?.default !== undefined) both.push(`${path}.${name}`);
          }
        }
      }
      expect(both).toEqual([]);
    });

    it(`${dir}: every geodns.io document of ${EXAMPLES.join(', ')} validates without defaults applied`, () => {
      const validators = offlineValidators(dir);
      const objects = yamlObjects(...EXAMPLES).filter((o) => o.apiVersion.startsWith('geodns.io/'));
      expect(new Set(objects.map((o) => o.kind))).toEqual(new Set(KINDS.map((k) => k.kind)));
      const failures: string[] = [];
      for (const object of objects) {
        const validate = validators.get(object.kind);
        if (!validate) {
          failures.push(`${object.kind} ${object.metadata.name}: no CRD`);
          continue;
        }
        const copy = structuredClone(object);
        if (!validate(copy)) {
          for (const e of validate.errors ?? []) {
            failures.push(`${object.kind} ${object.metadata.name}: ${e.instancePath} ${e.message ?? e.keyword}`);
          }
        }
        expect(copy, 'the offline validator added nothing').toEqual(object);
      }
      expect(failures).toEqual([]);
    });
  }

  it('the offline validator is not lenient: it refuses a missing required field and an unknown one', () => {
    const validate = offlineValidators('crds').get('GeoEndpoint')!;
    const [example] = yamlObjects('examples/standalone/endpoints.yaml');
    const spec = structuredClone(example!.spec) as Record<string, unknown>;
    delete spec.hostname;
    expect(validate({ ...example, spec })).toBe(false);
    expect(validate({ ...example, spec: { ...(example!.spec as object), wieght: 1 } })).toBe(false);
    expect(validate(example)).toBe(true);
  });
});
