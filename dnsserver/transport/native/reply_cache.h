// The reply cache of the native UDP path: replies JavaScript made, kept by the exact bytes of the query that asked
// (all but its ID) and the part of the source address the reply depends on, so a repeated query is answered here
// without a call into JavaScript. What may be kept, and for which sources, is JavaScript's decision
// (udp-native.ts, from the handler's ReuseHint); this file only stores, finds and forgets.
//
// Layout: 4-way sets of fixed-size entries, with the hash and epoch of each apart (tags) so that a lookup reads one
// cache line per set it probes and an entry's bytes only when its hash matches. A reply that holds for every source lives in the set of its query bytes
// alone; one that holds for a network of the source lives in the set of its query bytes and the source's first
// SOURCE_BITS (/24 IPv4, /56 IPv6), so the clients of one network find it and other networks miss. Forgetting
// everything is one increment of the epoch.
#ifndef GEODNS_REPLY_CACHE_H
#define GEODNS_REPLY_CACHE_H

#include <stddef.h>
#include <stdint.h>

/** Query (less its ID) and reply (less its ID) together; larger pairs are not kept. */
#define REPLY_CACHE_BYTES 488
#define REPLY_CACHE_WAYS 4

/* What a lookup reads of each way of a set first: 32 bytes a set, so a probe touches one cache line of these. */
typedef struct ReplyTag {
  uint32_t epoch; /* valid while equal to the cache's epoch */
  uint32_t hash;
} ReplyTag;

typedef struct ReplyEntry {
  uint64_t expires; /* CLOCK_MONOTONIC milliseconds from which the reply no longer holds; 0: until forgotten */
  uint16_t key_length;
  uint16_t reply_length;
  uint8_t prefix; /* source bits the reply depends on (0: none) */
  uint8_t source[16]; /* the source address, bits past `prefix` cleared */
  uint8_t bytes[REPLY_CACHE_BYTES]; /* the query less its ID, then the reply less its ID */
} ReplyEntry;

typedef struct ReplyCache {
  ReplyTag *tags;
  ReplyEntry *entries;
  uint8_t *victims; /* per set: the way the next insert replaces when all are in use */
  uint32_t sets; /* a power of two */
  uint32_t epoch;
  uint64_t seed;
  unsigned address_bytes; /* 4 or 16 */
} ReplyCache;

/** Where a query was not found: the hashes and the slots a reply to it would take. */
typedef struct ReplyMiss {
  uint32_t any_hash, network_hash;
  int32_t any_slot, network_slot;
} ReplyMiss;

/** The entries of a cache asked for `entries`: whole sets, a power of two of them. */
size_t reply_cache_slots(uint32_t entries);
/** Prepares a cache of reply_cache_slots(entries) entries; 0 on success. */
int reply_cache_init(ReplyCache *cache, uint32_t entries, int family);
void reply_cache_free(ReplyCache *cache);
/** Forgets every entry. */
void reply_cache_forget(ReplyCache *cache);
/** The slot holding the reply to `query` from `source` at `now` (milliseconds), or -1 with `miss` filled. */
int32_t reply_cache_find(ReplyCache *cache, const uint8_t *query, size_t length, const uint8_t *source,
                         uint64_t now, ReplyMiss *miss);
/** The bits of the source an entry may depend on at most (24 for IPv4, 56 for IPv6). */
unsigned reply_cache_source_bits(const ReplyCache *cache);
/**
 * Keeps `reply` for `query` at the slot `find` offered (miss->any_slot for prefix 0, else miss->network_slot),
 * until `expires` (milliseconds as `now` of find; 0: until forgotten). Returns 0, or -1 when the pair is too large
 * or the prefix too long: nothing kept, and the slot emptied.
 */
int reply_cache_keep(ReplyCache *cache, const ReplyMiss *miss, unsigned prefix, uint64_t expires,
                     const uint8_t *query, size_t query_length, const uint8_t *source, const uint8_t *reply,
                     size_t reply_length);
/** The reply of a slot `find` returned, less its first two bytes (the ID). */
const uint8_t *reply_cache_reply(const ReplyCache *cache, int32_t slot, size_t *length);

#endif
