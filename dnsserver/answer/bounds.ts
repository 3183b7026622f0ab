// The bounds of a DNS thread's caches: `geodns serve --answer-cache N` and `--dnssec-cache N` (docs/serve.md,
// docs/dnssec.md). Each cache drops its oldest entries beyond its bound (the plan cache starts over).

/** Plans (one per name and type asked) and encoded unsigned answers kept per DNS thread, by default. */
export const DEFAULT_ANSWER_CACHE = 50_000;
/** Signatures kept per signed zone and signed answers kept per DNS thread, by default. */
export const DEFAULT_DNSSEC_CACHE = 50_000;
/** Replies the native UDP path keeps per socket for queries asked again (`--reply-cache`; 0: none), by default. */
export const DEFAULT_REPLY_CACHE = 32_768;
/** The most the reply cache may keep per socket (the addon's bound): at about 520 bytes an entry, some 2 GB. */
export const MAX_REPLY_CACHE = 4_194_304;
/** The most either bound may be: at about 2.2 KB a signature and signed answer, some 22 GB a thread. */
export const MAX_CACHE_ENTRIES = 10_000_000;

export interface CacheBounds {
  /** Plans and encoded unsigned answers (each cache holds this many). */
  answers: number;
  /** Signatures per signed zone, and signed answers; signing in advance is bounded by it too (ahead.ts). */
  dnssec: number;
  /** Replies kept per UDP socket by the native path's reply cache (0: none). */
  replies: number;
}

export const DEFAULT_CACHE_BOUNDS: CacheBounds = {
  answers: DEFAULT_ANSWER_CACHE,
  dnssec: DEFAULT_DNSSEC_CACHE,
  replies: DEFAULT_REPLY_CACHE,
};
