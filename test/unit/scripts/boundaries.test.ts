// The module boundaries hold on the real tree, and each rule fires: a small fixture tree that breaks it makes the
// check fail with that rule's name and message.
import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkBoundaries, formatViolation, KNOWLEDGE_RULES, RUNTIME_RULES } from '../../../scripts/boundaries.ts';
import { REPO_ROOT } from '../../support/serve.ts';
import { tempDir } from '../../support/temp-dir.ts';

const cleanups: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const remove of cleanups) await remove();
});

/** A tree of files (path → source) beside the repo's node_modules, so package imports resolve. */
async function tree(files: Record<string, string>): Promise<string> {
  const { dir, remove } = await tempDir('boundaries');
  cleanups.push(remove);
  await symlink(join(REPO_ROOT, 'node_modules'), join(dir, 'node_modules'));
  for (const [path, source] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), source);
  }
  return dir;
}

function message(rule: string): string {
  const found = [...RUNTIME_RULES, ...KNOWLEDGE_RULES].find((r) => r.name === rule);
  if (!found?.comment) throw new Error(`no rule ${rule}`);
  return found.comment;
}

describe('module boundaries', () => {
  it('hold on the production code', async () => {
    const violations = await checkBoundaries(REPO_ROOT);
    expect(violations.map(formatViolation)).toEqual([]);
  });

  it('pass a tree that keeps them', async () => {
    const dir = await tree({
      'api/types.ts': 'export type Zone = { name: string };\nexport const FORMAT = 1;\n',
      'operator/compile/compile.ts': "import { FORMAT } from '../../api/types.ts';\nexport const f = () => FORMAT;\n",
      'dnsserver/wire/parse.ts': 'export const parse = (b: Uint8Array) => b.length;\n',
      'cli/main.ts':
        "import { f } from '../operator/compile/compile.ts';\nimport { parse } from '../dnsserver/wire/parse.ts';\n" +
        'export const run = () => f() + parse(new Uint8Array());\n',
    });
    expect(await checkBoundaries(dir)).toEqual([]);
  });

  const cases: { rule: string; files: Record<string, string>; from: string; to: RegExp }[] = [
    {
      rule: 'pure-logic-reaches-no-io',
      // Through a helper: the rule is about what is reached, not only what is imported.
      files: {
        'operator/compile/compile.ts': "import { read } from '../util/read.ts';\nexport const f = read;\n",
        'operator/util/read.ts': "import { readFileSync } from 'node:fs';\nexport const read = readFileSync;\n",
      },
      from: 'operator/compile/compile.ts',
      to: /^fs$/,
    },
    {
      rule: 'pure-logic-reaches-no-io',
      files: {
        'dnsserver/routing/decide.ts': "import { locate } from '../geoip/db.ts';\nexport const d = locate;\n",
        'dnsserver/geoip/db.ts': "import { open } from 'node:fs/promises';\nexport const locate = open;\n",
      },
      from: 'dnsserver/routing/decide.ts',
      to: /^fs\/promises$/,
    },
    {
      rule: 'pure-logic-reaches-no-io',
      files: {
        'dnsserver/wire/send.ts': "import { createSocket } from 'node:dgram';\nexport const s = createSocket;\n",
      },
      from: 'dnsserver/wire/send.ts',
      to: /^dgram$/,
    },
    {
      rule: 'pure-logic-reaches-no-io',
      // The re-resolution rules decide from answers they are given; asking a resolver is lookup.ts's job.
      files: {
        'operator/resolve/decide.ts': "import { resolve4 } from 'node:dns/promises';\nexport const r = resolve4;\n",
      },
      from: 'operator/resolve/decide.ts',
      to: /dns/,
    },
    {
      rule: 'pure-logic-reaches-no-io',
      // The signer gets its keys as data: reading the key files belongs to a source.
      files: {
        'dnsserver/dnssec/sign.ts': "import { readFileSync } from 'node:fs';\nexport const k = readFileSync;\n",
      },
      from: 'dnsserver/dnssec/sign.ts',
      to: /^fs$/,
    },
    {
      rule: 'pure-logic-reaches-no-io',
      files: {
        'operator/compile/kube.ts':
          "import { KubeConfig } from '@kubernetes/client-node';\nexport const k = new KubeConfig();\n",
      },
      from: 'operator/compile/kube.ts',
      to: /node_modules\/@kubernetes\/client-node\//,
    },
    {
      rule: 'contract-reaches-no-io',
      files: {
        'api/load.ts': "import { readFile } from 'node:fs/promises';\nexport const load = readFile;\n",
      },
      from: 'api/load.ts',
      to: /^fs\/promises$/,
    },
    {
      rule: 'workers-load-no-typebox',
      files: {
        'dnsserver/workers/thread-entry.ts': "import { S } from '../../api/schema.ts';\nexport const w = S;\n",
        'api/schema.ts': "import { Type } from '@sinclair/typebox';\nexport const S = Type.String();\n",
      },
      from: 'dnsserver/workers/thread-entry.ts',
      to: /node_modules\/@sinclair\/typebox\//,
    },
    {
      rule: 'no-import-cycles',
      files: {
        'dnsserver/zone/a.ts': "import { b } from './b.ts';\nexport const a = () => b;\n",
        'dnsserver/zone/b.ts': "import { a } from './a.ts';\nexport const b = () => a;\n",
      },
      from: 'dnsserver/zone/a.ts',
      to: /^dnsserver\/zone\/b\.ts$/,
    },
    {
      rule: 'wire-knows-no-zones',
      // A type import is knowledge too.
      files: {
        'dnsserver/wire/encode.ts':
          "import type { Zone } from '../zone/types.ts';\nexport const e = (z: Zone) => z.name;\n",
        'dnsserver/zone/types.ts': 'export interface Zone { name: string }\n',
      },
      from: 'dnsserver/wire/encode.ts',
      to: /^dnsserver\/zone\/types\.ts$/,
    },
    {
      rule: 'wire-knows-no-zones',
      files: {
        'dnsserver/wire/encode.ts': "import { MAX } from '../../api/constants.ts';\nexport const e = MAX;\n",
        'api/constants.ts': 'export const MAX = 1;\n',
      },
      from: 'dnsserver/wire/encode.ts',
      to: /^api\/constants\.ts$/,
    },
    {
      rule: 'server-never-imports-operator',
      files: {
        'dnsserver/sources/standalone.ts':
          "import { compile } from '../../operator/compile/compile.ts';\nexport const s = compile;\n",
        'operator/compile/compile.ts': 'export const compile = () => 1;\n',
      },
      from: 'dnsserver/sources/standalone.ts',
      to: /^operator\/compile\/compile\.ts$/,
    },
    {
      rule: 'operator-never-imports-server',
      files: {
        'operator/pipeline.ts': "import type { Nodes } from '../dnsserver/workers/nodes.ts';\nexport type N = Nodes;\n",
        'dnsserver/workers/nodes.ts': 'export interface Nodes { size: number }\n',
      },
      from: 'operator/pipeline.ts',
      to: /^dnsserver\/workers\/nodes\.ts$/,
    },
    {
      rule: 'contract-imports-only-contract',
      files: {
        'api/compiled.ts': "import { hash } from '../operator/compile/hash.ts';\nexport const h = hash;\n",
        'operator/compile/hash.ts': 'export const hash = () => 1;\n',
      },
      from: 'api/compiled.ts',
      to: /^operator\/compile\/hash\.ts$/,
    },
    {
      rule: 'lib-knows-neither-side',
      files: {
        'lib/watch.ts': "import type { Zone } from '../api/zone.ts';\nexport type W = Zone;\n",
        'api/zone.ts': 'export interface Zone { name: string }\n',
      },
      from: 'lib/watch.ts',
      to: /^api\/zone\.ts$/,
    },
    {
      rule: 'kube-client-in-its-room',
      files: {
        'operator/pipeline.ts':
          "import { KubeConfig } from '@kubernetes/client-node';\nexport const k = () => new KubeConfig();\n",
      },
      from: 'operator/pipeline.ts',
      to: /node_modules\/@kubernetes\/client-node\//,
    },
    {
      rule: 'kube-client-in-its-room',
      files: {
        'operator/kube/leader.ts':
          "import type { V1Lease } from '@kubernetes/client-node';\nexport type L = V1Lease;\n",
      },
      from: 'operator/kube/leader.ts',
      to: /node_modules\/@kubernetes\/client-node\//,
    },
    {
      rule: 'kube-client-in-its-room',
      files: {
        'dnsserver/sources/cluster.ts':
          "import { Watch } from '@kubernetes/client-node';\nexport const w = (c: never) => new Watch(c);\n",
      },
      from: 'dnsserver/sources/cluster.ts',
      to: /node_modules\/@kubernetes\/client-node\//,
    },
    {
      rule: 'kube-plumbing-through-one-door',
      files: {
        'dnsserver/handler.ts': "import { statusOf } from '../lib/kube/errors.ts';\nexport const s = statusOf;\n",
        'lib/kube/errors.ts': 'export const statusOf = (e: unknown) => e;\n',
      },
      from: 'dnsserver/handler.ts',
      to: /^lib\/kube\/errors\.ts$/,
    },
    {
      rule: 'kube-plumbing-through-one-door',
      files: {
        'operator/pipeline.ts': "import { informer } from '../lib/kube/informer.ts';\nexport const i = informer;\n",
        'lib/kube/informer.ts': 'export const informer = () => 1;\n',
      },
      from: 'operator/pipeline.ts',
      to: /^lib\/kube\/informer\.ts$/,
    },
  ];

  for (const { rule, files, from, to } of cases) {
    it(`${rule} fires for ${Object.keys(files)[0]}`, async () => {
      const violations = await checkBoundaries(await tree(files));
      const hit = violations.find((v) => v.rule === rule && v.from === from);
      expect(hit, violations.map(formatViolation).join('\n') || 'no violations').toBeDefined();
      expect(hit?.to).toMatch(to);
      expect(hit?.message).toBe(message(rule));
      expect(formatViolation(hit!)).toContain(message(rule));
    });
  }

  it('allow the Kubernetes client in lib/kube/, reached through operator/kube/ and the server\u2019s in-cluster source', async () => {
    const client = "import { KubeConfig } from '@kubernetes/client-node';\nexport const k = () => new KubeConfig();\n";
    const dir = await tree({
      'lib/kube/kubeconfig.ts': client,
      'lib/kube/reflector.ts': "export type ChangeType = 'ADDED';\n",
      'operator/kube/caches.ts': "import { k } from '../../lib/kube/kubeconfig.ts';\nexport const c = k;\n",
      'dnsserver/sources/cluster.ts': "import { k } from '../../lib/kube/kubeconfig.ts';\nexport const c = k;\n",
      // A type alone loads nothing: the source's view may name the change types.
      'dnsserver/sources/cluster-view.ts':
        "import type { ChangeType } from '../../lib/kube/reflector.ts';\nexport type T = ChangeType;\n",
      'cli/run-operator.ts': "import { k } from '../lib/kube/kubeconfig.ts';\nexport const c = k;\n",
    });
    expect((await checkBoundaries(dir)).map(formatViolation)).toEqual([]);
  });
});
