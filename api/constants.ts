// Plain values of the API that the DNS worker threads need. No schema library here: importing the TypeBox
// schemas would load several hundred modules into every worker thread for a few strings.

export const HEALTH_FORMAT = 'geodns.io/health/v1';

export const Policies = ['geo', 'proximity', 'weighted', 'failover', 'multivalue', 'regional'] as const;
export type Policy = (typeof Policies)[number];
