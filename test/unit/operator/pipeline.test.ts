// The pipeline with inputs and outputs of the test's own: what it publishes, what it refuses, what the prober beside
// it feeds into the health table. The probe target is a real HTTP server on loopback.
import pino from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { CompiledZone } from '../../../api/compiled.ts';
import type { HealthTable } from '../../../api/health.ts';
import type { CompileOutput } from '../../../operator/compile/index.ts';
import type { ResourceSnapshot } from '../../../operator/inputs/snapshot.ts';
import type { InputRead, ResourceInput } from '../../../operator/inputs/types.ts';
import { Pipeline, type PipelineOutput } from '../../../operator/pipeline.ts';
import { endpoint, probe, target, zone } from '../../support/resources.ts';
import { spec, startHttp, type TestHttpServer } from '../../support/probe-targets.ts';
import { until } from '../../support/until.ts';

class MemoryInput implements ResourceInput {
  readonly name = 'memory';
  reads: InputRead[] = [];
  #onChange: (() => void) | undefined;

  describe(): string {
    return 'the test';
  }
  async read(): Promise<InputRead> {
    const next = this.reads.shift();
    if (!next) throw new Error('the test gave no more reads');
    return next;
  }
  watch(onChange: () => void): { close(): void } {
    this.#onChange = onChange;
    return { close: () => (this.#onChange = undefined) };
  }
  change(read: InputRead): void {
    this.reads.push(read);
    this.#onChange?.();
  }
  /** Tells of a change without a read of its own (the next run reads what is queued). */
  notify(): void {
    this.#onChange?.();
  }
  /** What readDown() gives; changeDown() tells the pipeline. */
  down: Map<string, string> | undefined;
  #onDownChange: (() => void) | undefined;
  readDown(): ReadonlyMap<string, string> | undefined {
    return this.down;
  }
  watchDown(onChange: () => void): { close(): void } {
    this.#onDownChange = onChange;
    return { close: () => (this.#onDownChange = undefined) };
  }
  changeDown(down: Map<string, string>): void {
    this.down = down;
    this.#onDownChange?.();
  }
}

class MemoryOutput implements PipelineOutput {
  zones: CompiledZone[][] = [];
  health: HealthTable[] = [];
  compiledOutputs: CompileOutput[] = [];
  refusals: (readonly string[])[] = [];
  setZones(zones: CompiledZone[]): void {
    this.zones.push(zones);
  }
  setHealth(table: HealthTable): void {
    this.health.push(table);
  }
  compiled(output: CompileOutput): void {
    this.compiledOutputs.push(output);
  }
  refused(errors: readonly string[]): void {
    this.refusals.push(errors);
  }
}

function snapshot(fields: Partial<ResourceSnapshot> = {}): ResourceSnapshot {
  return {
    zones: [zone('geo')],
    endpoints: [endpoint('web', 'www')],
    probes: [],
    namespaces: [{ name: 'web', labels: {} }],
    services: [],
    ...fields,
  };
}

const log = pino({ level: 'silent' });
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

const runs: string[] = [];
function start(input: MemoryInput, output: MemoryOutput, now = () => new Date('2026-12-01T00:00:00Z')): Pipeline {
  runs.length = 0;
  const pipeline = new Pipeline({ input, output, log, now, onRun: (result) => runs.push(result) });
  cleanups.push(() => pipeline.close());
  return pipeline;
}

describe('Pipeline', () => {
  it('publishes compiled zones, the conditions of every resource and the health table', async () => {
    const input = new MemoryInput();
    const output = new MemoryOutput();
    input.reads.push({ snapshot: snapshot(), errors: [] });
    await start(input, output).start();
    expect(output.zones).toHaveLength(1);
    expect(output.zones[0]!.map((z) => z.zone)).toEqual(['geo.example.com']);
    expect(output.zones[0]![0]!.routed.map((r) => r.name)).toEqual(['www.geo.example.com']);
    const kinds = output.compiledOutputs[0]!.results.map((r) => `${r.kind} ${r.name}`);
    expect(kinds).toEqual(expect.arrayContaining(['GeoZone geo', 'GeoEndpoint www']));
    expect(output.health.at(-1)?.targets).toEqual({});
  });

  it('refuses a read with errors after the first good one, and keeps the serial growing across reads', async () => {
    const input = new MemoryInput();
    const output = new MemoryOutput();
    let clock = Date.parse('2026-12-01T00:00:00Z');
    input.reads.push({ snapshot: snapshot(), errors: [] });
    await start(input, output, () => new Date(clock)).start();
    const first = output.zones[0]![0]!.serial;

    input.change({ snapshot: snapshot({ endpoints: [] }), errors: ['endpoints.yaml: document 1: YAML syntax error'] });
    await until('the refusal', () => output.refusals.length === 1);
    expect(output.refusals[0]).toEqual(['endpoints.yaml: document 1: YAML syntax error']);
    expect(output.zones).toHaveLength(1); // the last good zones keep serving
    expect(runs).toEqual(['ok', 'refused']);

    clock += 1000;
    input.change({ snapshot: snapshot({ endpoints: [endpoint('web', 'api')] }), errors: [] });
    await until('the second publication', () => output.zones.length === 2);
    const second = output.zones[1]![0]!;
    expect(second.routed.map((r) => r.name)).toEqual(['api.geo.example.com']);
    expect(second.serial).toBeGreaterThan(first);
  });

  it("moves the health table alone when only the input's own health changes: no read, no compile, no zones", async () => {
    const input = new MemoryInput();
    const output = new MemoryOutput();
    input.reads.push({ snapshot: snapshot(), errors: [] });
    const downChanges: number[] = [];
    const pipeline = new Pipeline({ input, output, log, onDownChange: () => downChanges.push(1) });
    cleanups.push(() => pipeline.close());
    await pipeline.start();
    const healthBefore = output.health.length;

    input.changeDown(new Map([['web/www/t', 'Service web/s has no ready endpoints']]));
    // Several changes in one turn (a relist) make one update.
    input.changeDown(new Map([['web/www/t', 'Service web/s has no ready endpoints']]));
    await pipeline.settled();
    expect(output.health).toHaveLength(healthBefore + 1);
    expect(output.health.at(-1)?.targets['web/www/t']).toMatchObject({
      up: false,
      reason: 'Service web/s has no ready endpoints',
    });
    expect(pipeline.healthTable().targets['web/www/t']?.up).toBe(false);
    // The same health again is no update at all.
    input.changeDown(new Map([['web/www/t', 'Service web/s has no ready endpoints']]));
    await pipeline.settled();
    expect(output.health).toHaveLength(healthBefore + 1);

    input.changeDown(new Map());
    await pipeline.settled();
    expect(output.health).toHaveLength(healthBefore + 2);
    expect(output.health.at(-1)?.targets['web/www/t']).toBeUndefined();
    expect(downChanges).toHaveLength(2);
    // Nothing was read or compiled again: one read at the start (read() throws on a second) and one publication.
    expect(output.zones).toHaveLength(1);
    expect(output.compiledOutputs).toHaveLength(1);
  });

  it('runs a change after a quiet spell at once, and a stream of changes once per interval', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setImmediate', 'clearImmediate', 'performance'] });
    cleanups.push(async () => void vi.useRealTimers());
    const input = new MemoryInput();
    const output = new MemoryOutput();
    input.reads.push({ snapshot: snapshot(), errors: [] });
    const runs: string[] = [];
    const pipeline = new Pipeline({ input, output, log, minRunIntervalMs: 200, onRun: (result) => runs.push(result) });
    cleanups.push(() => pipeline.close());
    await pipeline.start();
    // Five changes right after the first run: one more run, once the interval since the first has passed.
    input.reads.push({ snapshot: snapshot({ endpoints: [endpoint('web', 'api')] }), errors: [] });
    for (let i = 0; i < 5; i += 1) input.notify();
    await vi.advanceTimersByTimeAsync(150);
    expect(runs).toEqual(['ok']);
    await vi.advanceTimersByTimeAsync(60);
    expect(runs).toEqual(['ok', 'ok']);
    expect(output.zones.at(-1)![0]!.routed.map((r) => r.name)).toEqual(['api.geo.example.com']);
    // After a quiet spell a change runs in the same turn.
    await vi.advanceTimersByTimeAsync(300);
    input.change({ snapshot: snapshot(), errors: [] });
    await vi.advanceTimersByTimeAsync(0);
    expect(runs).toEqual(['ok', 'ok', 'ok']);
  });

  it('keeps the serial when a read changes nothing', async () => {
    const input = new MemoryInput();
    const output = new MemoryOutput();
    let clock = Date.parse('2026-12-01T00:00:00Z');
    input.reads.push({ snapshot: snapshot(), errors: [] });
    const pipeline = start(input, output, () => new Date(clock));
    await pipeline.start();
    clock += 60_000;
    input.reads.push({ snapshot: snapshot(), errors: [] });
    await pipeline.run();
    expect(output.zones[1]![0]!.serial).toBe(output.zones[0]![0]!.serial);
  });

  it('fails to start when the first read yields no zone, and says where it read from', async () => {
    const input = new MemoryInput();
    input.reads.push({ snapshot: snapshot({ zones: [] }), errors: [] });
    await expect(start(input, new MemoryOutput()).start()).rejects.toThrow('no zone could be compiled from the test');
  });

  it('probes the targets that name a HealthProbe and publishes their health as it changes', async () => {
    const server: TestHttpServer = await startHttp();
    cleanups.push(() => server.close());
    const check = { ...probe('web', 'http'), spec: spec({ port: server.port, failureThreshold: 1 }) };
    const probed = endpoint('web', 'www', {
      targets: [target('eu-1', { addresses: ['127.0.0.1'], healthProbeRef: { name: 'http' } })],
    });
    const input = new MemoryInput();
    const output = new MemoryOutput();
    input.reads.push({ snapshot: snapshot({ endpoints: [probed], probes: [check] }), errors: [] });
    await start(input, output).start();
    await until('a probe request', () => server.received.length > 0);

    server.status = 503;
    await until('the target to go down', () => output.health.at(-1)?.targets['web/www/eu-1']?.up === false);
    expect(output.health.at(-1)?.targets['web/www/eu-1']?.downAddresses).toEqual(['127.0.0.1']);
    expect(output.zones).toHaveLength(1); // health moves without a new zone document
  });

  it('logs a problem when it appears, not again on every run while it stays', async () => {
    const lines: { level: number; msg: string }[] = [];
    const logged = pino({ level: 'warn' }, { write: (line: string) => lines.push(JSON.parse(line)) });
    const broken = endpoint('web', 'bad', { hostname: 'bad.example.org' });
    const input = new MemoryInput();
    const output = new MemoryOutput();
    const pipeline = new Pipeline({ input, output, log: logged, now: () => new Date('2026-12-01T00:00:00Z') });
    cleanups.push(() => pipeline.close());
    input.reads.push({ snapshot: snapshot({ endpoints: [endpoint('web', 'www'), broken] }), errors: [] });
    await pipeline.start();
    input.reads.push({ snapshot: snapshot({ endpoints: [endpoint('web', 'www'), broken] }), errors: [] });
    await pipeline.run();
    const outside = (l: { msg: string }) =>
      l.msg.startsWith('GeoEndpoint web/bad: Accepted=False (HostnameOutsideZone)');
    expect(lines.filter(outside)).toHaveLength(1);
    input.reads.push({ snapshot: snapshot({ endpoints: [endpoint('web', 'www')] }), errors: [] });
    await pipeline.run();
    input.reads.push({ snapshot: snapshot({ endpoints: [endpoint('web', 'www'), broken] }), errors: [] });
    await pipeline.run();
    expect(lines.filter(outside)).toHaveLength(2); // gone, then back: said again
  });
});
