// Values that cannot work, refused by the chart's templates (templates/_validate.tpl) at `helm template` with a
// message that names the values and says what to set instead; and the same values' working neighbours render.
// Rules that span several values are checked here rather than in values.schema.json because helm prints a schema
// failure at the value it checked ("value must be true"), never the cause or the fix.
import { cp, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART, deployment, flagValues, render, renderChart } from '../../support/helm-render.ts';
import { tempDir, type TempDir } from '../../support/temp-dir.ts';

const refused: { what: string; set?: string[]; setJson?: string[]; message: RegExp }[] = [
  {
    what: 'several operator replicas without leader election',
    set: ['operator.replicas=2', 'operator.leaderElection.enabled=false'],
    message:
      /operator\.replicas is 2 but operator\.leaderElection\.enabled is false: .* Set operator\.leaderElection\.enabled=true, or operator\.replicas=1/,
  },
  {
    what: 'rate limiting behind SNAT (externalTrafficPolicy Cluster)',
    set: ['dns.rrl.rate=50', 'dns.service.externalTrafficPolicy=Cluster'],
    message:
      /dns\.rrl\.rate is 50 but dns\.service\.externalTrafficPolicy is Cluster: .* Set dns\.service\.externalTrafficPolicy=Local, or dns\.rrl\.rate=0/,
  },
  {
    what: 'split Services for a NodePort Service',
    set: ['dns.service.protocols=split', 'dns.service.type=NodePort'],
    message:
      /dns\.service\.protocols=split is for LoadBalancer Services, and dns\.service\.type is NodePort: .* Set dns\.service\.protocols=mixed, or dns\.service\.type=LoadBalancer/,
  },
  {
    what: 'a peer Service of another type without the peer listener (no cluster name or port)',
    set: ['operator.peers.port=9155', 'operator.peers.service.type=LoadBalancer'],
    message:
      /operator\.peers\.service is set but the operator serves no peer listener, .*: set operator\.peers\.clusterName and operator\.peers\.port, or leave operator\.peers\.service at its defaults/,
  },
  {
    what: 'load-balancer source ranges on a ClusterIP peer Service (they would be dropped)',
    set: ['operator.peers.clusterName=us', 'operator.peers.port=9155'],
    setJson: ['operator.peers.service.loadBalancerSourceRanges=["198.51.100.0/24"]'],
    message:
      /operator\.peers\.service\.loadBalancerSourceRanges is set but operator\.peers\.service\.type is ClusterIP: .* Set operator\.peers\.service\.type=LoadBalancer, or remove operator\.peers\.service\.loadBalancerSourceRanges/,
  },
  {
    what: 'a ServiceMonitor without the metrics Services',
    set: ['metrics.serviceMonitor.enabled=true', 'metrics.service.enabled=false'],
    message: /set metrics\.service\.enabled=true, or metrics\.serviceMonitor\.enabled=false/,
  },
  {
    what: 'a PrometheusRule whose alerts would select nothing (no ServiceMonitor, no selectors)',
    set: ['metrics.prometheusRule.enabled=true', 'metrics.prometheusRule.selectors.operator=job="ops"'],
    message:
      /Set metrics\.serviceMonitor\.enabled=true, or set metrics\.prometheusRule\.selectors\.operator and \.dns to the PromQL label matchers of your own scrape jobs/,
  },
  {
    what: 'more DNS workers than the default CPU request (250m) has cores',
    set: ['dns.workers=2'],
    message:
      /dns\.workers is 2 but the DNS pods ask for 250m CPU: .* Set dns\.workers to 1 or less \(one per whole core, at least 1\), or raise dns\.resources\.requests\.cpu to 2/,
  },
  {
    what: 'more DNS workers than whole cores requested (1.5 cores: 1 worker)',
    set: ['dns.workers=2'],
    setJson: ['dns.resources.requests.cpu="1500m"'],
    message: /dns\.workers is 2 but the DNS pods ask for 1500m CPU: .* Set dns\.workers to 1 or less/,
  },
  {
    what: 'more DNS workers than the CPU limit, when no request is set',
    set: ['dns.workers=4', 'dns.resources.requests=null'],
    setJson: ['dns.resources.limits={"cpu":3,"memory":"512Mi"}'],
    message: /dns\.workers is 4 but the DNS pods ask for 3 CPU: .* Set dns\.workers to 3 or less/,
  },
];

describe('values the templates refuse, saying what to set', () => {
  it.each(refused)('refuses $what', async ({ set, setJson, message }) => {
    const result = await renderChart({ ...(set ? { set } : {}), ...(setJson ? { setJson } : {}) });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/execution error at \(kube-geodns\/templates\//);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('renders as many workers as whole cores requested, and one on less than a core', async () => {
    const workers = async (set: string[], setJson: string[] = []) =>
      flagValues(
        deployment((await render({ set, setJson })).objects, 'geodns-dns').spec.template.spec.containers[0]!.args,
        '--workers',
      );
    expect(await workers([])).toEqual(['1']);
    expect(await workers(['dns.workers=2'], ['dns.resources.requests.cpu="2"'])).toEqual(['2']);
    expect(await workers(['dns.workers=3'], ['dns.resources.requests.cpu=3.5'])).toEqual(['3']);
    expect(await workers(['dns.workers=0'])).toEqual(['0']);
    // No CPU asked for or limited: nothing to compare with.
    expect(await workers(['dns.workers=8', 'dns.resources.requests=null'])).toEqual(['8']);
  });

  it('a PrometheusRule with selectors of the user’s own scrape jobs needs no ServiceMonitor', async () => {
    const { objects } = await render({
      set: [
        'metrics.prometheusRule.enabled=true',
        'metrics.prometheusRule.selectors.operator=job="ops"',
        'metrics.prometheusRule.selectors.dns=job="dns"',
      ],
    });
    expect(objects.some((o) => o.kind === 'PrometheusRule')).toBe(true);
    expect(objects.some((o) => o.kind === 'ServiceMonitor')).toBe(false);
  });
});

describe('the minimum helm version (Chart.yaml annotation geodns.io/minimum-helm-version)', () => {
  let copy: TempDir;
  beforeAll(async () => {
    copy = await tempDir('chart');
  });
  afterAll(async () => {
    await copy?.remove();
  });

  it('is 4.0.0, and the pinned helm 4 renders the chart', async () => {
    const chart = await readFile(path.join(CHART, 'Chart.yaml'), 'utf8');
    expect(chart).toMatch(/^ {2}geodns\.io\/minimum-helm-version: '4\.0\.0'$/m);
    expect((await renderChart()).code).toBe(0);
  });

  it('refuses a helm older than the minimum, naming both versions (a copy of the chart that asks for helm 99)', async () => {
    const chart = path.join(copy.dir, 'kube-geodns');
    await cp(CHART, chart, { recursive: true });
    const file = path.join(chart, 'Chart.yaml');
    await writeFile(
      file,
      (await readFile(file, 'utf8')).replace(/minimum-helm-version: '4\.0\.0'/, "minimum-helm-version: '99.0.0'"),
    );
    const result = await renderChart({ chart });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /kube-geodns needs helm 99\.0\.0 or later, and this is helm v4\.\d+\.\d+: install helm 99\.0\.0 or later/,
    );
  });
});
