// Assertions shared by the chart tests.
import { expect } from 'vitest';
import type { Container, PodSpec } from './helm-render.ts';

/** Asserts the security settings every pod of the chart has. */
export function expectLockedDown(pod: PodSpec): void {
  expect(pod.securityContext).toMatchObject({
    runAsNonRoot: true,
    runAsUser: 65532,
    seccompProfile: { type: 'RuntimeDefault' },
  });
  for (const container of [...pod.containers, ...(pod.initContainers ?? [])]) {
    expect(container.securityContext, container.name).toEqual({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      privileged: false,
      runAsNonRoot: true,
      capabilities: { drop: ['ALL'] },
      seccompProfile: { type: 'RuntimeDefault' },
    });
  }
}

export function expectProbes(container: Container): void {
  expect(container.livenessProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
  expect(container.readinessProbe?.httpGet).toEqual({ path: '/readyz', port: 'metrics' });
  expect(container.startupProbe?.httpGet).toEqual({ path: '/healthz', port: 'metrics' });
}
