// Which namespaces may publish GeoEndpoints into a zone: All, a List of names, or a label Selector with
// Kubernetes semantics (an empty selector matches every namespace, a missing one matches none).
import type { AllowedNamespaces, LabelSelector } from '../../api/geozone.ts';

export type NamespaceLabels = ReadonlyMap<string, Record<string, string>>;

export function namespaceAllowed(
  allowed: AllowedNamespaces | undefined,
  namespace: string,
  labelsByNamespace: NamespaceLabels,
): boolean {
  const from = allowed?.from ?? 'All';
  if (from === 'All') return true;
  if (from === 'List') return (allowed?.names ?? []).includes(namespace);
  if (!allowed?.selector) return false;
  return selectorMatches(allowed.selector, labelsByNamespace.get(namespace) ?? {});
}

export function selectorMatches(selector: LabelSelector, labels: Record<string, string>): boolean {
  for (const [key, value] of Object.entries(selector.matchLabels ?? {})) {
    if (labels[key] !== value) return false;
  }
  for (const requirement of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, requirement.key);
    const value = labels[requirement.key];
    const values = requirement.values ?? [];
    switch (requirement.operator) {
      case 'In':
        if (!has || !values.includes(value as string)) return false;
        break;
      case 'NotIn':
        if (has && values.includes(value as string)) return false;
        break;
      case 'Exists':
        if (!has) return false;
        break;
      case 'DoesNotExist':
        if (has) return false;
        break;
      default:
        return false;
    }
  }
  return true;
}

/** How the zone's admission rule reads, for messages. */
export function describeAllowed(allowed: AllowedNamespaces | undefined): string {
  const from = allowed?.from ?? 'All';
  if (from === 'All') return 'all namespaces';
  if (from === 'List') return `namespaces [${(allowed?.names ?? []).join(', ')}]`;
  return 'namespaces matching its selector';
}
