// Label selectors (=, ==, !=, in, notin, exists, !exists) and field selectors (metadata.name, metadata.namespace,
// plus the few fields the API server indexes for the kinds here), as in list and watch requests.
import { badRequest } from './errors.ts';
import type { KubeObject } from './types.ts';

export type Matcher = (object: KubeObject) => boolean;

type Requirement = { key: string; op: 'in' | 'notin'; values: string[] } | { key: string; op: 'exists' | '!exists' };

/** Splits at commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < text.length; i += 1) {
    const c = text[i];
    if (c === '(') depth += 1;
    else if (c === ')') depth -= 1;
    else if (c === ',' && depth === 0) {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

const LABEL_KEY = /^([a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?\/)?[a-z0-9A-Z]([-a-z0-9A-Z_.]*[a-z0-9A-Z])?$/;

function parseRequirement(term: string): Requirement {
  const set = /^(\S+)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
  let requirement: Requirement;
  if (set) {
    const values = (set[3] ?? '').split(',').map((v) => v.trim());
    requirement = { key: set[1] ?? '', op: set[2] === 'in' ? 'in' : 'notin', values };
  } else if (term.startsWith('!')) {
    requirement = { key: term.slice(1).trim(), op: '!exists' };
  } else {
    const eq = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (eq) {
      requirement = { key: eq[1] ?? '', op: eq[2] === '!=' ? 'notin' : 'in', values: [eq[3] ?? ''] };
    } else {
      requirement = { key: term, op: 'exists' };
    }
  }
  if (!LABEL_KEY.test(requirement.key)) {
    throw badRequest(`unable to parse requirement: invalid label key "${requirement.key}"`);
  }
  return requirement;
}

export function labelMatcher(selector: string | undefined): Matcher {
  if (!selector) return () => true;
  const requirements = splitTerms(selector).map(parseRequirement);
  return (object) => {
    const labels = object.metadata.labels ?? {};
    return requirements.every((r) => {
      const has = Object.hasOwn(labels, r.key);
      switch (r.op) {
        case 'exists':
          return has;
        case '!exists':
          return !has;
        case 'in':
          return has && r.values.includes(labels[r.key] ?? '');
        case 'notin':
          return !has || !r.values.includes(labels[r.key] ?? '');
      }
    });
  };
}

/** Fields every kind can be selected by, and a few per kind (what the real API server registers). */
const FIELDS: Record<string, (o: KubeObject) => unknown> = {
  'metadata.name': (o) => o.metadata.name,
  'metadata.namespace': (o) => o.metadata.namespace,
};

const KIND_FIELDS: Record<string, Record<string, (o: KubeObject) => unknown>> = {
  Event: {
    'involvedObject.kind': (o) => (o.involvedObject as Record<string, unknown> | undefined)?.kind,
    'involvedObject.name': (o) => (o.involvedObject as Record<string, unknown> | undefined)?.name,
    'involvedObject.uid': (o) => (o.involvedObject as Record<string, unknown> | undefined)?.uid,
    reason: (o) => o.reason,
    type: (o) => o.type,
  },
  Pod: {
    'status.phase': (o) => (o.status as Record<string, unknown> | undefined)?.phase,
    'spec.nodeName': (o) => (o.spec as Record<string, unknown> | undefined)?.nodeName,
  },
  Namespace: { 'status.phase': (o) => (o.status as Record<string, unknown> | undefined)?.phase },
};

export function fieldMatcher(selector: string | undefined, kind: string): Matcher {
  if (!selector) return () => true;
  const terms = splitTerms(selector).map((term) => {
    const m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (!m) throw badRequest(`invalid selector: '${selector}'; can't understand '${term}'`);
    const field = m[1] ?? '';
    const get = FIELDS[field] ?? KIND_FIELDS[kind]?.[field];
    if (!get) {
      throw badRequest(`field label not supported: ${field}`);
    }
    return { get, negate: m[2] === '!=', value: m[3] ?? '' };
  });
  return (object) =>
    terms.every((t) => {
      const actual = t.get(object);
      const text = actual === undefined || actual === null ? '' : String(actual);
      return t.negate ? text !== t.value : text === t.value;
    });
}
