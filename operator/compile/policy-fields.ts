// What a GeoEndpoint's policy makes of its fields: the regional policy's regions checked and compiled (a refusal
// when they cannot work: the CRD's CEL rules again, for objects that never met them), and warnings for the fields
// the policy does not read (regions outside regional, weights outside weighted and regional, ...). Pure.
import type { CompiledLocation, CompiledRegion, CompiledTarget } from '../../api/compiled.ts';
import type { GeoEndpointSpec } from '../../api/geoendpoint.ts';
import { pickLocationFields } from '../../api/location.ts';
import type { Location } from '../../api/schema.ts';
import type { Refusal } from './admission.ts';

export interface PolicyVerdict {
  refusal?: Refusal;
  /** Fields the policy ignores, and regional cautions: served anyway, said in Accepted (IgnoredFields). */
  warnings: string[];
  /** regional: the regions and default of the routed name, and the targets with their region. */
  regional?: { regions: CompiledRegion[]; defaultRegion: string; targets: CompiledTarget[] };
}

const WEIGHTED = new Set(['weighted', 'regional']);
const LOCATED = new Set(['geo', 'proximity']);

function describe(location: Location | CompiledLocation): string {
  const parts: string[] = [];
  if (location.continent) parts.push(`continent ${location.continent}`);
  if (location.country) parts.push(`country ${location.country}`);
  if (location.subdivision) parts.push(`subdivision ${location.subdivision}`);
  if (location.region) parts.push(`region ${location.region}`);
  return parts.join(' ') || 'no fields';
}

/** The same place, written the same way (key order aside). */
const placeKey = (location: CompiledLocation) =>
  JSON.stringify([location.continent, location.country, location.subdivision, location.region]);

const isEmpty = (location: Location | undefined) => !location || Object.keys(location).length === 0;

/** 'on eu-1, eu-2' (at most 5 names, then a count). */
function on(names: readonly string[]): string {
  const shown = names.slice(0, 5).join(', ');
  return names.length > 5 ? `${shown} and ${names.length - 5} more` : shown;
}

/** Fields the policy does not read. */
function ignoredFields(spec: GeoEndpointSpec, policy: string): string[] {
  const warnings: string[] = [];
  const targets = spec.targets ?? [];
  if (policy !== 'regional') {
    if (spec.regions !== undefined)
      warnings.push(`spec.regions: policy ${policy} ignores it (only regional reads regions)`);
    if (spec.defaultRegion !== undefined) {
      warnings.push(`spec.defaultRegion: policy ${policy} ignores it (only regional reads it)`);
    }
    const withRegion = targets.filter((t) => t.region !== undefined).map((t) => t.name);
    if (withRegion.length > 0) {
      warnings.push(`spec.targets[].region on ${on(withRegion)}: policy ${policy} ignores it (only regional reads it)`);
    }
  }
  if (!WEIGHTED.has(policy)) {
    const weighted = targets.filter((t) => t.weight !== undefined && t.weight !== 1).map((t) => t.name);
    if (weighted.length > 0) {
      warnings.push(
        `spec.targets[].weight on ${on(weighted)}: policy ${policy} ignores weights (only weighted and regional read them)`,
      );
    }
  }
  if (policy !== 'failover') {
    const tiered = targets.filter((t) => t.priority !== undefined && t.priority !== 0).map((t) => t.name);
    if (tiered.length > 0) {
      warnings.push(
        `spec.targets[].priority on ${on(tiered)}: policy ${policy} ignores priorities (only failover reads them)`,
      );
    }
  }
  if (!LOCATED.has(policy)) {
    const located = targets.filter((t) => !isEmpty(t.location)).map((t) => t.name);
    if (located.length > 0) {
      const instead = policy === 'regional' ? "; a target's region places it" : '';
      warnings.push(
        `spec.targets[].location on ${on(located)}: policy ${policy} ignores target locations (only geo and proximity read them${instead})`,
      );
    }
  }
  return warnings;
}

/** The regional policy's regions: problems that refuse the name, cautions, and the compiled regions. */
function judgeRegions(
  spec: GeoEndpointSpec,
  resolved: readonly CompiledTarget[],
): { problems: string[]; cautions: string[]; regions: CompiledRegion[] } {
  const problems: string[] = [];
  const cautions: string[] = [];
  const regions = spec.regions ?? [];
  const targets = spec.targets ?? [];
  if (regions.length === 0) problems.push('spec.regions: the regional policy needs regions');
  if (spec.defaultRegion === undefined) {
    problems.push(
      'spec.defaultRegion: the regional policy needs defaultRegion (the region of clients no region matches)',
    );
  }

  const first = new Map<string, number>();
  regions.forEach((region, i) => {
    const earlier = first.get(region.name);
    if (earlier !== undefined)
      problems.push(`spec.regions[${i}].name: "${region.name}" is already spec.regions[${earlier}]`);
    else first.set(region.name, i);
  });
  const known = `(${[...first.keys()].join(', ') || 'none'})`;
  const unknown = (name: string) => !first.has(name);

  if (spec.defaultRegion !== undefined && regions.length > 0 && unknown(spec.defaultRegion)) {
    problems.push(`spec.defaultRegion: "${spec.defaultRegion}" is not one of spec.regions ${known}`);
  }

  const places = new Map<string, string>();
  regions.forEach((region, i) => {
    const at = `spec.regions[${i}]`;
    (region.backups ?? []).forEach((backup, b) => {
      if (backup === region.name) problems.push(`${at}.backups[${b}]: region ${region.name} cannot be its own backup`);
      else if (unknown(backup)) problems.push(`${at}.backups[${b}]: "${backup}" is not one of spec.regions ${known}`);
      const again = (region.backups ?? []).indexOf(backup);
      if (again < b) problems.push(`${at}.backups[${b}]: "${backup}" is already ${at}.backups[${again}]`);
    });
    (region.locations ?? []).forEach((location, l) => {
      const where = `${at}.locations[${l}]`;
      if (!location.continent && !location.country && !location.region) {
        problems.push(`${where}: a region's location needs a continent, country or region`);
        return;
      }
      if (location.latitude !== undefined || location.longitude !== undefined) {
        problems.push(`${where}: coordinates are not matched; give a continent, country, subdivision or region`);
        return;
      }
      const key = placeKey(location);
      const earlier = places.get(key);
      if (earlier !== undefined) {
        cautions.push(
          `${where} (${describe(location)}) is also ${earlier}, which is listed first and takes these clients`,
        );
      } else places.set(key, where);
    });
  });

  targets.forEach((target, t) => {
    if (target.region === undefined)
      problems.push(`spec.targets[${t}] (${target.name}): the regional policy needs a region`);
    else if (regions.length > 0 && unknown(target.region)) {
      problems.push(`spec.targets[${t}].region: "${target.region}" is not one of spec.regions ${known}`);
    }
  });

  const servedNames = new Set(resolved.map((t) => t.name));
  regions.forEach((region, i) => {
    if (first.get(region.name) !== i) return;
    const members = targets.filter((t) => t.region === region.name);
    if (members.length === 0) {
      problems.push(`spec.regions[${i}] (${region.name}): no target has this region`);
    } else if (!members.some((t) => (t.weight ?? 1) > 0)) {
      problems.push(`spec.regions[${i}] (${region.name}): its targets' weights sum to 0`);
    } else if (!members.some((t) => (t.weight ?? 1) > 0 && servedNames.has(t.name))) {
      cautions.push(
        `region ${region.name}: none of its targets resolved (see ResolvedRefs); its clients go to its backups`,
      );
    }
  });

  const compiled = regions
    .filter((region, i) => first.get(region.name) === i)
    .map((region) => ({
      name: region.name,
      locations: (region.locations ?? []).map((l) => pickLocationFields(l)),
      backups: region.backups ?? [],
    }));
  return { problems, cautions, regions: compiled };
}

export function judgePolicy(spec: GeoEndpointSpec, resolved: readonly CompiledTarget[]): PolicyVerdict {
  const policy = spec.policy ?? 'geo';
  const warnings = ignoredFields(spec, policy);
  if (policy !== 'regional') return { warnings };
  const { problems, cautions, regions } = judgeRegions(spec, resolved);
  if (problems.length > 0) {
    return { refusal: { reason: 'InvalidRegions', message: problems.join('; ') }, warnings };
  }
  const regionOf = new Map((spec.targets ?? []).map((t) => [t.name, t.region]));
  return {
    warnings: [...warnings, ...cautions],
    regional: {
      regions,
      defaultRegion: spec.defaultRegion as string,
      targets: resolved.map((t) => ({ ...t, region: regionOf.get(t.name) as string })),
    },
  };
}
