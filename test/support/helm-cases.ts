// The chart's toggles, one case each: the values set and what the rendering must then hold. Every boolean of
// values.yaml is flipped and every enum of values.schema.json taken by some case (toggles.test.ts holds that). The
// offline tests render each case and check it (toggles.test.ts); the real-cluster tests send each rendering to a real
// kube-apiserver (install.test.ts).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { parse } from 'yaml';
import { expect } from 'vitest';
import { REPO_ROOT } from './serve.ts';
import { PEER_LEADER_LABEL } from '../../operator/kube/leader-label.ts';
import { deployment, find, flagValues, type Container, type K8sObject, type PodSpec } from './helm-render.ts';

export const zoneSpec = (
  parse(await readFile(path.join(REPO_ROOT, 'examples/cluster/zone.yaml'), 'utf8')) as { spec: unknown }
).spec;

export interface Case {
  name: string;
  /** Values files (helm -f), e.g. the platform recipes of examples/helm/. */
  values?: string[];
  set?: string[];
  setJson?: string[];
  check: (objects: K8sObject[]) => void;
}

const dnsPod = (objects: K8sObject[]) => deployment(objects, 'geodns-dns').spec.template.spec;
const operatorPod = (objects: K8sObject[]) => deployment(objects, 'geodns-operator').spec.template.spec;
const dnsArgs = (objects: K8sObject[]) => dnsPod(objects).containers[0]!.args;
export const has = (objects: K8sObject[], kind: string) => objects.some((o) => o.kind === kind);
type Spec = { spec: Record<string, unknown> };
type ServiceObject = K8sObject & {
  spec: { type: string; selector: Record<string, string>; ports: unknown[] } & Record<string, unknown>;
};
const peerService = (objects: K8sObject[]) => find(objects, 'Service', 'geodns-operator-peers') as ServiceObject;
const podField = (name: string, fieldPath: string) => ({ name, valueFrom: { fieldRef: { fieldPath } } });

/** The DNS Services a platform recipe of examples/helm/ must give: their names and each one's protocols. */
const PLATFORMS: Record<
  string,
  { type: string; services: Record<string, string[]>; class?: string; loadBalancerIP?: string }
> = {
  'eks.yaml': { type: 'LoadBalancer', services: { 'geodns-dns': ['UDP', 'TCP'] }, class: 'service.k8s.aws/nlb' },
  'eks-in-tree.yaml': { type: 'LoadBalancer', services: { 'geodns-dns': ['UDP'], 'geodns-dns-tcp': ['TCP'] } },
  'gke.yaml': {
    type: 'LoadBalancer',
    services: { 'geodns-dns': ['UDP', 'TCP'] },
    class: 'networking.gke.io/l4-regional-external',
  },
  // Both Services on the one reserved address.
  'gke-split.yaml': {
    type: 'LoadBalancer',
    services: { 'geodns-dns': ['UDP'], 'geodns-dns-tcp': ['TCP'] },
    loadBalancerIP: '203.0.113.53',
  },
  'aks.yaml': { type: 'LoadBalancer', services: { 'geodns-dns': ['UDP', 'TCP'] } },
  'metallb.yaml': { type: 'LoadBalancer', services: { 'geodns-dns': ['UDP', 'TCP'] } },
  'kind.yaml': { type: 'NodePort', services: { 'geodns-dns': ['UDP', 'TCP'] } },
  'minikube.yaml': { type: 'NodePort', services: { 'geodns-dns': ['UDP', 'TCP'] } },
};

export const PLATFORM_RECIPES = path.join(REPO_ROOT, 'examples/helm');

function platformCases(): Case[] {
  return Object.entries(PLATFORMS).map(([file, want]) => ({
    name: `the platform recipe examples/helm/${file}`,
    values: [path.join(PLATFORM_RECIPES, file)],
    check: (objects) => {
      const services = objects.filter((o) => o.kind === 'Service' && !o.metadata.name.endsWith('-metrics'));
      const protocols = Object.fromEntries(
        services.map((s) => [
          s.metadata.name,
          (s as unknown as { spec: { ports: { protocol: string }[] } }).spec.ports.map((p) => p.protocol),
        ]),
      );
      expect(protocols).toEqual(want.services);
      for (const service of services) {
        const spec = (service as unknown as Spec).spec;
        expect(spec.type).toBe(want.type);
        // Every recipe keeps the resolvers' addresses (geo routing without ECS depends on it).
        expect(spec.externalTrafficPolicy).toBe('Local');
        if (want.class) expect(spec.loadBalancerClass).toBe(want.class);
        if (want.loadBalancerIP) expect(spec.loadBalancerIP).toBe(want.loadBalancerIP);
      }
    },
  }));
}

export const cases: Case[] = [
  {
    name: 'resolvers for load-balancer hostnames',
    setJson: ['operator.resolvers=["10.96.0.10","127.0.0.1:5353","[::1]:5353"]'],
    check: (objects) => {
      expect(flagValues(operatorPod(objects).containers[0]!.args, '--resolver')).toEqual([
        '10.96.0.10',
        '127.0.0.1:5353',
        '[::1]:5353',
      ]);
    },
  },
  // Peers: a cluster name and the peer listener, as each cluster of examples/multi-region sets them.
  ...['us', 'eu', 'apac'].map((cluster): Case => ({
    name: `peers: examples/multi-region/overlays/${cluster}/values.yaml (cluster name and peer listener)`,
    values: [path.join(REPO_ROOT, `examples/multi-region/overlays/${cluster}/values.yaml`)],
    check: (objects) => {
      const container = operatorPod(objects).containers[0]!;
      expect(flagValues(container.args, '--cluster-name')).toEqual([cluster]);
      expect(flagValues(container.args, '--peer-listen')).toEqual(['0.0.0.0:9155']);
      expect(container.ports).toContainEqual(expect.objectContaining({ name: 'peers', containerPort: 9155 }));
      expect(container.env).toEqual(expect.arrayContaining([podField('POD_NAME', 'metadata.name')]));
      const service = peerService(objects);
      expect(service.spec.type).toBe('ClusterIP');
      expect(service.spec.ports).toEqual([{ name: 'peers', port: 9155, targetPort: 'peers', protocol: 'TCP' }]);
      // The operator pods, and of them only the one the leader labelled.
      const podLabels = deployment(objects, 'geodns-operator').spec.template.metadata.labels;
      const { [PEER_LEADER_LABEL]: leader, ...operatorPods } = service.spec.selector;
      expect(leader).toBe('true');
      expect(Object.keys(operatorPods).length).toBeGreaterThan(0);
      for (const [label, value] of Object.entries(operatorPods)) expect(podLabels[label]).toBe(value);
      expect(podLabels[PEER_LEADER_LABEL]).toBeUndefined();
      // The leader labels its own Pod: patch on pods in the release namespace, nothing more.
      const role = find(objects, 'Role', 'geodns-operator-peers') as K8sObject & { rules: unknown[] };
      expect(role.metadata.namespace).toBe('geodns-system');
      expect(role.rules).toEqual([{ apiGroups: [''], resources: ['pods'], verbs: ['patch'] }]);
      expect(find(objects, 'RoleBinding', 'geodns-operator-peers')).toMatchObject({
        roleRef: { kind: 'Role', name: 'geodns-operator-peers' },
        subjects: [{ kind: 'ServiceAccount', name: 'geodns-operator', namespace: 'geodns-system' }],
      });
    },
  })),
  {
    name: 'the peer Service as a LoadBalancer, with annotations, source ranges and a NetworkPolicy that admits peers',
    set: [
      'operator.peers.clusterName=eu',
      'operator.peers.port=9155',
      'operator.peers.service.type=LoadBalancer',
      'operator.peers.service.loadBalancerClass=service.k8s.aws/nlb',
      'operator.peers.service.annotations.service\\.beta\\.kubernetes\\.io/aws-load-balancer-scheme=internet-facing',
      'networkPolicy.enabled=true',
    ],
    setJson: ['operator.peers.service.loadBalancerSourceRanges=["198.51.100.0/24","2001:db8::/32"]'],
    check: (objects) => {
      const service = peerService(objects);
      expect(service.metadata.annotations).toEqual({
        'service.beta.kubernetes.io/aws-load-balancer-scheme': 'internet-facing',
      });
      expect(service.spec).toMatchObject({
        type: 'LoadBalancer',
        loadBalancerClass: 'service.k8s.aws/nlb',
        loadBalancerSourceRanges: ['198.51.100.0/24', '2001:db8::/32'],
        selector: { [PEER_LEADER_LABEL]: 'true' },
      });
      const policy = find(objects, 'NetworkPolicy', 'geodns-operator') as K8sObject & Spec;
      expect(policy.spec.ingress).toContainEqual({ ports: [{ port: 'peers', protocol: 'TCP' }] });
    },
  },
  {
    name: 'the peer Service on a NodePort',
    set: ['operator.peers.clusterName=apac', 'operator.peers.port=9155', 'operator.peers.service.type=NodePort'],
    check: (objects) => {
      expect(peerService(objects).spec).toMatchObject({ type: 'NodePort', selector: { [PEER_LEADER_LABEL]: 'true' } });
    },
  },
  {
    name: 'a cluster name without a peer port: no listener, no peer Service, no right to label pods',
    set: ['operator.peers.clusterName=us'],
    check: (objects) => {
      expect(objects.some((o) => o.metadata.name === 'geodns-operator-peers')).toBe(false);
      expect(operatorPod(objects).containers[0]!.env).toBeUndefined();
    },
  },
  {
    name: 'one operator without leader election or anti-affinity',
    set: ['operator.replicas=1', 'operator.leaderElection.enabled=false', 'operator.podAntiAffinity=none'],
    check: (objects) => {
      const pod = operatorPod(objects);
      expect(pod.containers[0]!.args.filter((a) => /^--(leader|lease|renew|retry)/.test(a))).toEqual([]);
      expect(pod.affinity).toBeUndefined();
      // A budget over one replica would block every drain.
      expect(objects.some((o) => o.kind === 'PodDisruptionBudget' && o.metadata.name === 'geodns-operator')).toBe(
        false,
      );
    },
  },
  {
    name: 'hard operator anti-affinity and other lease timings',
    set: [
      'operator.podAntiAffinity=hard',
      'operator.leaderElection.leaseDuration=30',
      'operator.leaderElection.renewDeadline=20',
      'operator.leaderElection.retryPeriod=4',
    ],
    check: (objects) => {
      const pod = operatorPod(objects);
      expect(pod.affinity).toMatchObject({
        podAntiAffinity: {
          requiredDuringSchedulingIgnoredDuringExecution: [{ topologyKey: 'kubernetes.io/hostname' }],
        },
      });
      const args = pod.containers[0]!.args;
      const timings = ['--lease-duration', '--renew-deadline', '--retry-period'].map((f) => flagValues(args, f)[0]);
      expect(timings).toEqual(['30', '20', '4']);
    },
  },
  {
    name: 'an affinity of the user’s own replaces the anti-affinity',
    setJson: [
      'operator.affinity={"nodeAffinity":{"requiredDuringSchedulingIgnoredDuringExecution":{"nodeSelectorTerms":[{"matchExpressions":[{"key":"role","operator":"In","values":["infra"]}]}]}}}',
      'dns.affinity={"nodeAffinity":{"preferredDuringSchedulingIgnoredDuringExecution":[{"weight":1,"preference":{"matchExpressions":[{"key":"edge","operator":"Exists"}]}}]}}',
    ],
    check: (objects) => {
      expect(Object.keys(operatorPod(objects).affinity ?? {})).toEqual(['nodeAffinity']);
      expect(Object.keys(dnsPod(objects).affinity ?? {})).toEqual(['nodeAffinity']);
    },
  },
  {
    name: 'a GeoZone from values, whose ConfigMap joins the fallback',
    set: ['geoZone.create=true', 'geoZone.name=geo-example'],
    setJson: [`geoZone.spec=${JSON.stringify(zoneSpec)}`, 'dns.fallback.zones=["other-zone"]'],
    check: (objects) => {
      const zone = find(objects, 'GeoZone', 'geo-example') as unknown as Spec & K8sObject;
      expect(zone.spec).toEqual(zoneSpec);
      // Turning geoZone.create off, or uninstalling, must not delete a zone that answers (install.test.ts).
      expect(zone.metadata.annotations).toEqual({ 'helm.sh/resource-policy': 'keep' });
      const pod = dnsPod(objects);
      expect(flagValues(pod.containers[0]!.args, '--config')).toEqual(['/etc/geodns/fallback']);
      expect(pod.containers[0]!.volumeMounts).toContainEqual({
        name: 'fallback',
        mountPath: '/etc/geodns/fallback',
        readOnly: true,
      });
      expect(volume(pod, 'fallback')).toEqual({
        name: 'fallback',
        projected: {
          sources: [
            { configMap: { name: 'geodns-zone-other-zone', optional: true } },
            { configMap: { name: 'geodns-zone-geo-example', optional: true } },
            { configMap: { name: 'geodns-health', optional: true } },
          ],
        },
      });
      // helm test asks the zone's apex.
      const test = find(objects, 'Pod', 'geodns-dns-test') as unknown as { spec: PodSpec };
      expect(test.spec.containers[0]!.args[0]).toMatch(/dig @"\$server" -p 53 geo\.example\.com SOA/);
    },
  },
  {
    name: 'the fallback turned off',
    set: ['dns.fallback.enabled=false'],
    setJson: ['dns.fallback.zones=["geo-example"]'],
    check: (objects) => {
      expect(dnsArgs(objects)).not.toContain('--config');
      expect(volume(dnsPod(objects), 'fallback')).toBeUndefined();
    },
  },
  {
    name: 'a GeoIP database from a volume (an existing PVC), geoipupdate off',
    set: ['dns.geoip.source=volume', 'dns.geoip.file=GeoLite2-City.mmdb'],
    setJson: ['dns.geoip.volume={"persistentVolumeClaim":{"claimName":"geoip","readOnly":true}}'],
    check: (objects) => {
      expect(flagValues(dnsArgs(objects), '--geoip')).toEqual(['/etc/geodns/geoip/GeoLite2-City.mmdb']);
      expect(volume(dnsPod(objects), 'geoip')).toEqual({
        name: 'geoip',
        persistentVolumeClaim: { claimName: 'geoip', readOnly: true },
      });
      expect(dnsPod(objects).containers[0]!.volumeMounts).toContainEqual({
        name: 'geoip',
        mountPath: '/etc/geodns/geoip',
        readOnly: true,
      });
      expect(dnsPod(objects).containers.map((c) => c.name)).toEqual(['dns']);
      expect(dnsPod(objects).initContainers).toBeUndefined();
    },
  },
  {
    name: 'a GeoIP database in a writable PVC that the geoipupdate sidecar keeps current',
    set: [
      'dns.geoip.source=volume',
      'dns.geoip.file=GeoLite2-Country.mmdb',
      'dns.geoip.geoipupdate.enabled=true',
      'dns.geoip.geoipupdate.editionIds=GeoLite2-Country',
      'dns.geoip.geoipupdate.frequencyHours=12',
      'dns.geoip.geoipupdate.secret.name=maxmind',
    ],
    setJson: ['dns.geoip.volume={"persistentVolumeClaim":{"claimName":"geoip"}}'],
    check: (objects) => {
      const pod = dnsPod(objects);
      expect(flagValues(dnsArgs(objects), '--geoip')).toEqual(['/etc/geodns/geoip/GeoLite2-Country.mmdb']);
      // The PVC already holds a database: no download before the server starts, only the sidecar.
      expect(pod.initContainers).toBeUndefined();
      expectGeoipupdate(geoipContainer(pod.containers, 'geoipupdate'), 'GeoLite2-Country', 12);
      expect(volume(pod, 'geoipupdate-account')).toEqual({
        name: 'geoipupdate-account',
        secret: { secretName: 'maxmind' },
      });
    },
  },
  {
    name: 'a GeoIP database in an image volume (Kubernetes 1.33+)',
    set: [
      'dns.geoip.source=image',
      'dns.geoip.file=GeoLite2-City.mmdb',
      'dns.geoip.image.reference=registry.example.com/geoip/geolite2-city:2026-12-01',
    ],
    check: (objects) => {
      expect(flagValues(dnsArgs(objects), '--geoip')).toEqual(['/etc/geodns/geoip/GeoLite2-City.mmdb']);
      expect(volume(dnsPod(objects), 'geoip')).toEqual({
        name: 'geoip',
        image: { reference: 'registry.example.com/geoip/geolite2-city:2026-12-01', pullPolicy: 'IfNotPresent' },
      });
    },
  },
  {
    name: 'a GeoIP database copied from an image by an init container, then kept current by geoipupdate',
    set: [
      'dns.geoip.source=initContainer',
      'dns.geoip.file=GeoLite2-City.mmdb',
      'dns.geoip.initContainer.image=registry.example.com/geoip/geolite2-city:2026-12-01',
      'dns.geoip.initContainer.path=/GeoLite2-City.mmdb',
      'dns.geoip.geoipupdate.enabled=true',
      'dns.geoip.geoipupdate.secret.name=maxmind',
    ],
    check: (objects) => {
      const pod = dnsPod(objects);
      expect(flagValues(dnsArgs(objects), '--geoip')).toEqual(['/etc/geodns/geoip/GeoLite2-City.mmdb']);
      const copy = geoipContainer(pod.initContainers, 'geoip-copy');
      expect(copy).toMatchObject({
        image: 'registry.example.com/geoip/geolite2-city:2026-12-01',
        command: ['cp', '/GeoLite2-City.mmdb', '/geoip/GeoLite2-City.mmdb'],
        volumeMounts: [{ name: 'geoip', mountPath: '/geoip' }],
      });
      expect(pod.initContainers).toHaveLength(1);
      expect(volume(pod, 'geoip')).toEqual({ name: 'geoip', emptyDir: { sizeLimit: '512Mi' } });
      expectGeoipupdate(geoipContainer(pod.containers, 'geoipupdate'), 'GeoLite2-City', 24);
    },
  },
  {
    name: 'a GeoIP database downloaded by geoipupdate before the server starts (no sidecar)',
    set: [
      'dns.geoip.source=geoipupdate',
      'dns.geoip.geoipupdate.editionIds=GeoLite2-City GeoLite2-Country',
      'dns.geoip.geoipupdate.frequencyHours=0',
      'dns.geoip.geoipupdate.secret.name=maxmind',
      'dns.geoip.geoipupdate.secret.accountIdKey=id',
      'dns.geoip.geoipupdate.secret.licenseKeyKey=key',
    ],
    check: (objects) => {
      const pod = dnsPod(objects);
      // The file defaults to the first edition's.
      expect(flagValues(dnsArgs(objects), '--geoip')).toEqual(['/etc/geodns/geoip/GeoLite2-City.mmdb']);
      const first = geoipContainer(pod.initContainers, 'geoipupdate-first');
      expectGeoipupdate(first, 'GeoLite2-City GeoLite2-Country', 0);
      expect(first.env).toContainEqual({ name: 'GEOIPUPDATE_ACCOUNT_ID_FILE', value: '/etc/geoipupdate/id' });
      expect(first.env).toContainEqual({ name: 'GEOIPUPDATE_LICENSE_KEY_FILE', value: '/etc/geoipupdate/key' });
      expect(pod.containers.map((c) => c.name)).toEqual(['dns']);
      expect(volume(pod, 'geoip')).toEqual({ name: 'geoip', emptyDir: { sizeLimit: '512Mi' } });
    },
  },
  {
    name: 'the GeoIP recipe examples/helm/geoip.yaml (GeoLite2 City from geoipupdate, refreshed daily)',
    values: [path.join(PLATFORM_RECIPES, 'geoip.yaml')],
    check: (objects) => {
      const pod = dnsPod(objects);
      expect(flagValues(dnsArgs(objects), '--geoip')).toEqual(['/etc/geodns/geoip/GeoLite2-City.mmdb']);
      expectGeoipupdate(geoipContainer(pod.initContainers, 'geoipupdate-first'), 'GeoLite2-City', 0);
      expectGeoipupdate(geoipContainer(pod.containers, 'geoipupdate'), 'GeoLite2-City', 24);
      expect(pod.containers[0]!.name).toBe('dns');
    },
  },
  {
    name: 'response rate limiting on',
    set: ['dns.rrl.rate=50', 'dns.rrl.slip=3', 'dns.rrl.window=10', 'dns.rrl.tableSize=1000000'],
    setJson: ['dns.rrl.exempt=["192.0.2.0/28","2001:db8::/48"]'],
    check: (objects) => {
      const args = dnsArgs(objects);
      expect(flagValues(args, '--rrl-rate')).toEqual(['50']);
      expect(flagValues(args, '--rrl-slip')).toEqual(['3']);
      expect(flagValues(args, '--rrl-window')).toEqual(['10']);
      expect(flagValues(args, '--rrl-ipv4-prefix')).toEqual(['24']);
      expect(flagValues(args, '--rrl-ipv6-prefix')).toEqual(['56']);
      expect(flagValues(args, '--rrl-table-size')).toEqual(['1000000']);
      expect(flagValues(args, '--rrl-exempt')).toEqual(['192.0.2.0/28', '2001:db8::/48']);
    },
  },
  {
    name: 'the cache bounds raised',
    set: ['dns.answerCache=200000', 'dns.dnssec.cache=10000000'],
    check: (objects) => {
      expect(flagValues(dnsArgs(objects), '--answer-cache')).toEqual(['200000']);
      expect(flagValues(dnsArgs(objects), '--dnssec-cache')).toEqual(['10000000']);
      expect(flagValues(dnsArgs(objects), '--reply-cache')).toEqual(['32768']);
    },
  },
  {
    name: 'the reply cache off',
    set: ['dns.replyCache=0'],
    check: (objects) => {
      expect(flagValues(dnsArgs(objects), '--reply-cache')).toEqual(['0']);
    },
  },
  {
    name: 'a NodePort Service with fixed ports and the Cluster traffic policy',
    set: [
      'dns.service.type=NodePort',
      'dns.service.externalTrafficPolicy=Cluster',
      'dns.service.nodePorts.udp=30053',
      'dns.service.nodePorts.tcp=30054',
    ],
    check: (objects) => {
      const service = find(objects, 'Service', 'geodns-dns') as unknown as Spec;
      expect(service.spec).toMatchObject({
        type: 'NodePort',
        externalTrafficPolicy: 'Cluster',
        ports: [
          { name: 'dns-udp', protocol: 'UDP', port: 53, nodePort: 30053 },
          { name: 'dns-tcp', protocol: 'TCP', port: 53, nodePort: 30054 },
        ],
      });
    },
  },
  {
    name: 'split Services: UDP and TCP apart, sharing one address',
    set: [
      'dns.service.protocols=split',
      'dns.service.loadBalancerIP=192.0.2.53',
      'dns.service.nodePorts.tcp=30054',
      'dns.service.annotations.example\\.com/team=dns',
    ],
    check: (objects) => {
      const udp = find(objects, 'Service', 'geodns-dns') as unknown as Spec & K8sObject;
      const tcp = find(objects, 'Service', 'geodns-dns-tcp') as unknown as Spec & K8sObject;
      const sharing = {
        'example.com/team': 'dns',
        'metallb.io/allow-shared-ip': 'geodns-dns',
        'metallb.universe.tf/allow-shared-ip': 'geodns-dns',
      };
      for (const service of [udp, tcp]) {
        expect(service.spec).toMatchObject({ type: 'LoadBalancer', loadBalancerIP: '192.0.2.53' });
        expect(service.metadata.annotations).toEqual(sharing);
        expect(service.spec.selector).toEqual(udp.spec.selector);
      }
      expect(udp.spec.ports).toEqual([{ name: 'dns-udp', port: 53, targetPort: 'dns-udp', protocol: 'UDP' }]);
      expect(tcp.spec.ports).toEqual([
        { name: 'dns-tcp', port: 53, targetPort: 'dns-tcp', protocol: 'TCP', nodePort: 30054 },
      ]);
      // helm test asks over TCP through the TCP Service.
      const test = find(objects, 'Pod', 'geodns-dns-test') as unknown as { spec: { containers: { args: string[] }[] } };
      expect(test.spec.containers[0]!.args.join('\n')).toContain('tcp_server=geodns-dns-tcp.geodns-system.svc');
    },
  },
  ...platformCases(),
  {
    name: 'a ClusterIP Service on another port',
    set: ['dns.service.type=ClusterIP', 'dns.service.port=1053', 'dns.service.nodePorts.udp=30053'],
    check: (objects) => {
      const service = find(objects, 'Service', 'geodns-dns') as unknown as Spec & { spec: { ports: object[] } };
      expect(service.spec.type).toBe('ClusterIP');
      expect(service.spec.externalTrafficPolicy).toBeUndefined();
      expect(service.spec.ports).toEqual([
        { name: 'dns-udp', port: 1053, targetPort: 'dns-udp', protocol: 'UDP' },
        { name: 'dns-tcp', port: 1053, targetPort: 'dns-tcp', protocol: 'TCP' },
      ]);
    },
  },
  {
    name: 'a dual-stack LoadBalancer with a fixed address (MetalLB), and IPv6 listening in the pods',
    set: [
      'dns.service.loadBalancerIP=192.0.2.53',
      'dns.service.loadBalancerClass=metallb',
      'dns.service.ipFamilyPolicy=PreferDualStack',
      'dns.service.annotations.metallb\\.universe\\.tf/address-pool=anycast',
      'dns.service.labels.bgp=announce',
      'dns.port=8053',
    ],
    setJson: [
      'dns.service.loadBalancerSourceRanges=["0.0.0.0/0"]',
      'dns.service.ipFamilies=["IPv4","IPv6"]',
      'dns.listenAddresses=["0.0.0.0","::"]',
    ],
    check: (objects) => {
      const service = find(objects, 'Service', 'geodns-dns') as unknown as Spec & K8sObject;
      expect(service.spec).toMatchObject({
        type: 'LoadBalancer',
        externalTrafficPolicy: 'Local',
        loadBalancerIP: '192.0.2.53',
        loadBalancerClass: 'metallb',
        loadBalancerSourceRanges: ['0.0.0.0/0'],
        ipFamilyPolicy: 'PreferDualStack',
        ipFamilies: ['IPv4', 'IPv6'],
      });
      expect(service.metadata.annotations).toEqual({ 'metallb.universe.tf/address-pool': 'anycast' });
      expect(service.metadata.labels?.bgp).toBe('announce');
      expect(flagValues(dnsArgs(objects), '--listen')).toEqual(['0.0.0.0:8053', '[::]:8053']);
      expect(
        dnsPod(objects)
          .containers[0]!.ports.slice(0, 2)
          .map((p) => p.containerPort),
      ).toEqual([8053, 8053]);
    },
  },
  {
    name: 'the IPv6 listen address as values.yaml suggests it, with brackets or without',
    setJson: ['dns.listenAddresses=["0.0.0.0","[::]","::1"]'],
    check: (objects) => {
      expect(flagValues(dnsArgs(objects), '--listen')).toEqual(['0.0.0.0:5353', '[::]:5353', '[::1]:5353']);
    },
  },
  {
    name: 'no metrics Services',
    set: ['metrics.service.enabled=false'],
    check: (objects) => {
      expect(objects.filter((o) => o.metadata.name.endsWith('-metrics'))).toEqual([]);
    },
  },
  {
    name: 'ServiceMonitors for both components',
    set: [
      'metrics.serviceMonitor.enabled=true',
      'metrics.serviceMonitor.labels.release=prometheus',
      'metrics.serviceMonitor.scrapeTimeout=10s',
    ],
    check: (objects) => {
      for (const component of ['dns', 'operator']) {
        const monitor = find(objects, 'ServiceMonitor', `geodns-${component}`) as unknown as Spec & K8sObject;
        const service = find(objects, 'Service', `geodns-${component}-metrics`);
        expect(monitor.metadata.labels?.release).toBe('prometheus');
        const selector = (monitor.spec.selector as { matchLabels: Record<string, string> }).matchLabels;
        expect(service.metadata.labels).toMatchObject(selector);
        expect(monitor.spec.endpoints).toEqual([
          { port: 'metrics', path: '/metrics', interval: '30s', scrapeTimeout: '10s' },
        ]);
      }
    },
  },
  {
    name: 'a PrometheusRule with the documented alerts, selecting the jobs of the chart’s ServiceMonitors',
    set: [
      'metrics.serviceMonitor.enabled=true',
      'metrics.prometheusRule.enabled=true',
      'metrics.prometheusRule.healthStaleSeconds=90',
    ],
    setJson: ['metrics.prometheusRule.answerLatencySeconds=0.05'],
    check: (objects) => {
      const rules = alertRules(objects);
      expect(rules.map((r) => r.alert)).toEqual(ALERTS);
      const expr = (alert: string) => rules.find((r) => r.alert === alert)?.expr;
      const operator = 'job="geodns-operator-metrics", namespace="geodns-system"';
      const dns = 'job="geodns-dns-metrics", namespace="geodns-system"';
      // prometheus-operator names a ServiceMonitor's job after the Service it scrapes.
      for (const [component, selector] of [
        ['operator', operator],
        ['dns', dns],
      ] as const) {
        expect(find(objects, 'Service', `geodns-${component}-metrics`).metadata.name).toBe(
          /job="([^"]+)"/.exec(selector)![1],
        );
      }
      for (const rule of rules)
        expect(rule.expr, rule.alert).toMatch(/\{job="geodns-(operator|dns)-metrics", namespace="geodns-system"/);
      // Without the chart's series (another scrape setup) the leader alert is empty instead of firing for ever;
      // absent() says instead that no operator or DNS pod is scraped.
      expect(expr('GeoDNSOperatorNoLeader')).toBe(`sum(geodns_operator_leader{${operator}}) < 1`);
      expect(expr('GeoDNSOperatorDown')).toBe(`absent(up{${operator}} == 1)`);
      expect(expr('GeoDNSPodsDown')).toBe(`absent(up{${dns}} == 1)`);
      expect(expr('GeoDNSPodDown')).toBe(`up{${dns}} == 0`);
      expect(expr('GeoDNSNameWithoutHealthyTarget')).toBe(
        `max by (zone) (geodns_operator_names_without_healthy_target{${operator}}) > 0`,
      );
      expect(expr('GeoDNSAnswerLatency')).toMatch(
        /^histogram_quantile\(0\.99, sum by \(le\) \(rate\(geodns_dns_request_duration_seconds_bucket\{job="geodns-dns-metrics", namespace="geodns-system"\}\[5m\]\)\)\)\n\s+> 0\.05$/,
      );
      expect(expr('GeoDNSHealthTableStale')).toMatch(/geodns_health_age_seconds\{[^}]+\}\) > 90$/);
    },
  },
  {
    name: 'a PrometheusRule over the user’s own scrape jobs (no ServiceMonitor)',
    set: [
      'metrics.prometheusRule.enabled=true',
      'metrics.prometheusRule.selectors.operator=job="kube-geodns-operator"',
      'metrics.prometheusRule.selectors.dns=job="kube-geodns-dns"',
    ],
    check: (objects) => {
      expect(has(objects, 'ServiceMonitor')).toBe(false);
      const rules = alertRules(objects);
      expect(rules.map((r) => r.alert)).toEqual(ALERTS);
      for (const rule of rules) expect(rule.expr, rule.alert).toMatch(/\{job="kube-geodns-(operator|dns)"[,}]/);
      expect(rules.find((r) => r.alert === 'GeoDNSOperatorDown')?.expr).toBe(
        'absent(up{job="kube-geodns-operator"} == 1)',
      );
    },
  },
  {
    name: 'the Grafana dashboard as a ConfigMap for the sidecar',
    set: ['metrics.grafanaDashboard.enabled=true'],
    check: (objects) => {
      const map = find(objects, 'ConfigMap', 'geodns-dashboard') as unknown as K8sObject & {
        data: Record<string, string>;
      };
      expect(map.metadata.labels?.grafana_dashboard).toBe('1');
      expect((JSON.parse(map.data['kube-geodns.json']!) as { title: string }).title).toBe('kube-geodns');
    },
  },
  {
    name: 'NetworkPolicies',
    set: ['networkPolicy.enabled=true'],
    setJson: [
      'networkPolicy.metricsFrom=[{"namespaceSelector":{"matchLabels":{"kubernetes.io/metadata.name":"monitoring"}}}]',
    ],
    check: (objects) => {
      const dns = find(objects, 'NetworkPolicy', 'geodns-dns') as unknown as Spec;
      expect(dns.spec.policyTypes).toEqual(['Ingress']);
      const [query, scrape] = dns.spec.ingress as { ports: unknown[]; from?: unknown[] }[];
      expect(query).toEqual({
        ports: [
          { port: 'dns-udp', protocol: 'UDP' },
          { port: 'dns-tcp', protocol: 'TCP' },
        ],
      });
      expect(scrape!.from).toHaveLength(1);
      const operator = find(objects, 'NetworkPolicy', 'geodns-operator') as unknown as Spec;
      expect(operator.spec.ingress).toEqual([{ ports: [{ port: 'metrics', protocol: 'TCP' }], from: scrape!.from }]);
    },
  },
  {
    name: 'NetworkPolicies that admit DNS from some peers only (and from the operator)',
    set: ['networkPolicy.enabled=true'],
    setJson: ['networkPolicy.dnsFrom=[{"ipBlock":{"cidr":"192.0.2.0/24"}}]'],
    check: (objects) => {
      const dns = find(objects, 'NetworkPolicy', 'geodns-dns') as unknown as Spec;
      const [query] = dns.spec.ingress as { from?: unknown[] }[];
      const testPod = find(objects, 'Pod', 'geodns-dns-test');
      expect(query!.from).toEqual([
        { ipBlock: { cidr: '192.0.2.0/24' } },
        { podSelector: { matchLabels: deployment(objects, 'geodns-operator').spec.selector.matchLabels } },
        { podSelector: { matchLabels: expect.any(Object) } },
      ]);
      // The `helm test` pod is one of the admitted peers (else `helm test` times out behind the policy).
      const admitted = (query!.from as { podSelector?: { matchLabels: Record<string, string> } }[]).filter((peer) =>
        Object.entries(peer.podSelector?.matchLabels ?? { none: '' }).every(
          ([label, value]) => testPod.metadata.labels?.[label] === value,
        ),
      );
      expect(admitted).toHaveLength(1);
    },
  },
  {
    name: 'service accounts made elsewhere',
    set: [
      'operator.serviceAccount.create=false',
      'operator.serviceAccount.name=my-operator',
      'dns.serviceAccount.create=false',
      'dns.serviceAccount.name=my-dns',
    ],
    check: (objects) => {
      expect(has(objects, 'ServiceAccount')).toBe(false);
      expect(operatorPod(objects).serviceAccountName).toBe('my-operator');
      expect(dnsPod(objects).serviceAccountName).toBe('my-dns');
      const binding = find(objects, 'RoleBinding', 'geodns-dns') as unknown as { subjects: { name: string }[] };
      expect(binding.subjects[0]!.name).toBe('my-dns');
    },
  },
  {
    name: 'no helm test pod, topology spread or disruption budgets; strict spread elsewhere',
    set: [
      'tests.enabled=false',
      'dns.topologySpread.enabled=false',
      'dns.podDisruptionBudget.enabled=false',
      'operator.podDisruptionBudget.enabled=false',
      'dns.nsidFromPodName=false',
      'dns.dnssec.enabled=false',
    ],
    check: (objects) => {
      expect(has(objects, 'Pod')).toBe(false);
      expect(has(objects, 'PodDisruptionBudget')).toBe(false);
      expect(dnsPod(objects).topologySpreadConstraints).toBeUndefined();
      expect(dnsArgs(objects)).not.toContain('--nsid');
      expect(dnsArgs(objects)).not.toContain('--dnssec-keys');
      expect(dnsArgs(objects)).not.toContain('--dnssec-cache');
      expect(dnsPod(objects).volumes?.map((v) => v.name)).not.toContain('dnssec-keys');
    },
  },
  {
    name: 'a strict topology spread over one key',
    set: ['dns.topologySpread.whenUnsatisfiable=DoNotSchedule', 'dns.topologySpread.maxSkew=2'],
    setJson: ['dns.topologySpread.topologyKeys=["topology.kubernetes.io/zone"]'],
    check: (objects) => {
      expect(dnsPod(objects).topologySpreadConstraints).toEqual([
        expect.objectContaining({
          topologyKey: 'topology.kubernetes.io/zone',
          maxSkew: 2,
          whenUnsatisfiable: 'DoNotSchedule',
        }),
      ]);
    },
  },
  {
    name: 'names, labels, image, scheduling and extra settings',
    set: [
      'fullnameOverride=edge-dns',
      'commonLabels.team=platform',
      'image.repository=registry.example.com/kube-geodns',
      'image.digest=sha256:' + 'a'.repeat(64),
      'image.pullPolicy=Always',
      'dns.podLabels.tier=edge',
      'dns.podAnnotations.note=hi',
      'operator.podLabels.tier=control',
      'operator.podAnnotations.note=hi',
      'dns.priorityClassName=system-cluster-critical',
      'operator.priorityClassName=system-cluster-critical',
      'dns.nodeSelector.edge=yes',
      'operator.nodeSelector.infra=yes',
      'dns.workers=4',
      'dns.logLevel=debug',
      'operator.logLevel=warn',
      'dns.drainTimeout=20',
      'dns.kubeWait=2',
      'dns.metricsPort=9253',
      'operator.metricsPort=9254',
      'dns.replicas=5',
      'dns.serviceAccount.annotations.team=dns',
      'operator.serviceAccount.annotations.team=ops',
    ],
    setJson: [
      'imagePullSecrets=[{"name":"registry"}]',
      'dns.queryLogSample=0.01',
      'dns.tolerations=[{"key":"edge","operator":"Exists","effect":"NoSchedule"}]',
      'operator.tolerations=[{"key":"infra","operator":"Exists"}]',
      'dns.extraArgs=["--tcp-max-connections","500"]',
      'operator.extraArgs=["--log-level","debug"]',
      'dns.extraEnv=[{"name":"NODE_OPTIONS","value":"--max-old-space-size=384"}]',
      'operator.extraEnv=[{"name":"NODE_OPTIONS","value":"--max-old-space-size=384"}]',
      'dns.resources={"requests":{"cpu":"4","memory":"256Mi"},"limits":{"memory":"1Gi"}}',
    ],
    check: (objects) => {
      for (const object of objects) expect(object.metadata.labels?.team, object.metadata.name).toBe('platform');
      const dns = deployment(objects, 'edge-dns-dns');
      const operator = deployment(objects, 'edge-dns-operator');
      expect(dns.spec.replicas).toBe(5);
      const container = dns.spec.template.spec.containers[0]!;
      expect(container.image).toBe(`registry.example.com/kube-geodns@sha256:${'a'.repeat(64)}`);
      expect(flagValues(container.args, '--workers')).toEqual(['4']);
      expect(flagValues(container.args, '--query-log-sample')).toEqual(['0.01']);
      expect(flagValues(container.args, '--log-level')).toEqual(['debug']);
      expect(flagValues(container.args, '--drain-timeout')).toEqual(['20']);
      expect(flagValues(container.args, '--kube-wait')).toEqual(['2']);
      expect(flagValues(container.args, '--metrics')).toEqual(['0.0.0.0:9253']);
      expect(container.args.slice(-2)).toEqual(['--tcp-max-connections', '500']);
      expect(container.env).toContainEqual({ name: 'NODE_OPTIONS', value: '--max-old-space-size=384' });
      expect(container.resources).toEqual({ requests: { cpu: '4', memory: '256Mi' }, limits: { memory: '1Gi' } });
      expect((dns.spec.template.spec as unknown as Record<string, unknown>).terminationGracePeriodSeconds).toBe(30);
      expect(dns.spec.template.metadata.labels.tier).toBe('edge');
      expect(operator.spec.template.metadata.labels.tier).toBe('control');
      expect(flagValues(operator.spec.template.spec.containers[0]!.args, '--metrics')).toEqual(['0.0.0.0:9254']);
      expect(flagValues(operator.spec.template.spec.containers[0]!.args, '--dns-service')).toEqual(['edge-dns-dns']);
      expect(find(objects, 'Service', 'edge-dns-dns-metrics')).toMatchObject({ spec: { ports: [{ port: 9253 }] } });
    },
  },
];

type GeoipContainer = Container & { command?: string[]; env?: { name: string; value?: string }[] };

function geoipContainer(containers: Container[] | undefined, name: string): GeoipContainer {
  const container = containers?.find((c) => c.name === name);
  if (!container) throw new Error(`no container ${name}`);
  return container;
}

/** MaxMind's geoipupdate writing `editions` into the geoip volume every `hours` (0: once), its keys from files. */
function expectGeoipupdate(container: GeoipContainer, editions: string, hours: number): void {
  expect(container.image).toBe('ghcr.io/maxmind/geoipupdate:v7.1.0');
  expect(container.env).toEqual(
    expect.arrayContaining([
      { name: 'GEOIPUPDATE_EDITION_IDS', value: editions },
      { name: 'GEOIPUPDATE_FREQUENCY', value: String(hours) },
      { name: 'GEOIPUPDATE_DB_DIR', value: '/geoip' },
    ]),
  );
  expect(container.env?.some((e) => e.name === 'GEOIPUPDATE_LICENSE_KEY')).toBe(false);
  expect(container.volumeMounts).toEqual([
    { name: 'geoip', mountPath: '/geoip' },
    { name: 'geoipupdate-account', mountPath: '/etc/geoipupdate', readOnly: true },
    { name: 'geoipupdate-state', mountPath: '/var/lib/geoipupdate' },
  ]);
}

function volume(pod: PodSpec, name: string): Record<string, unknown> | undefined {
  return pod.volumes?.find((v) => v.name === name);
}

/** The alerts of the PrometheusRule, in the order docs/observability.md lists them. */
export const ALERTS = [
  'GeoDNSOperatorDown',
  'GeoDNSOperatorNoLeader',
  'GeoDNSOperatorReconcileErrors',
  'GeoDNSPodsDown',
  'GeoDNSPodDown',
  'GeoDNSNameWithoutHealthyTarget',
  'GeoDNSAnswerLatency',
  'GeoDNSHealthTableStale',
  'GeoDNSPodOnOldSerial',
  'GeoDNSServfailRate',
  'GeoDNSReloadFailures',
];

function alertRules(objects: K8sObject[]): { alert: string; expr: string }[] {
  const rule = find(objects, 'PrometheusRule', 'geodns') as unknown as {
    spec: { groups: { rules: { alert: string; expr: string }[] }[] };
  };
  return rule.spec.groups.flatMap((g) => g.rules);
}
