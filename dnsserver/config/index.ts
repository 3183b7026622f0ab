export {
  loadConfigDir,
  scanConfigDir,
  listConfigFiles,
  resolveScan,
  type LoadedConfig,
  type ScannedFile,
} from './load.ts';
export { validateDocument, semanticZoneErrors, mergeHealthTables, type DocumentVerdict } from './validate.ts';
export { watchConfigDir, dirFingerprint, type ConfigWatcher, type WatchOptions } from './watch.ts';
export { ConfigReloader, type ConfigSnapshot, type ReloadOutcome, type ConfigReloaderOptions } from './reloader.ts';
