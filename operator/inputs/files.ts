// The file input of standalone mode: GeoZone/GeoEndpoint/HealthProbe (and v1 Service/Namespace) YAML read from
// files and folders, validated, and watched for changes. Every problem names the file, document, line and field.
import { watchPaths, type PathWatcher } from '../../lib/watch-paths.ts';
import { formatLoadError, loadResources } from './resource-files.ts';
import { snapshotFromFiles } from './snapshot.ts';
import type { InputRead, ResourceInput } from './types.ts';

export class FileInput implements ResourceInput {
  readonly name = 'resources';
  readonly #paths: string[];

  constructor(paths: string[]) {
    this.#paths = paths;
  }

  describe(): string {
    return this.#paths.join(', ');
  }

  async read(): Promise<InputRead> {
    const loaded = await loadResources(this.#paths);
    return { snapshot: snapshotFromFiles(loaded), errors: loaded.errors.map(formatLoadError) };
  }

  watch(onChange: () => void): PathWatcher {
    return watchPaths(this.#paths, onChange);
  }
}
