// The health table before any has been loaded: no overrides, every target as compiled. Its own module, apart from
// validate.ts, so that what the worker threads load (answer/state.ts) does not load the schemas with it.
import { HEALTH_FORMAT } from '../../api/constants.ts';
import type { HealthTable } from '../../api/health.ts';

export const EMPTY_HEALTH: HealthTable = Object.freeze({ format: HEALTH_FORMAT, targets: Object.freeze({}) });
