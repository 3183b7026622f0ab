// See reply_cache.h.
#include "reply_cache.h"

#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#define SOURCE_BITS_4 24
#define SOURCE_BITS_6 56
#define MULTIPLIER 0x9e3779b97f4a7c15ull
#define NETWORK_SEED 0x5851f42d4c957f2dull

size_t reply_cache_slots(uint32_t entries) {
  size_t sets = 1;
  while (sets * REPLY_CACHE_WAYS < entries) sets <<= 1;
  return sets * REPLY_CACHE_WAYS;
}

int reply_cache_init(ReplyCache *cache, uint32_t entries, int family) {
  memset(cache, 0, sizeof *cache);
  uint32_t sets = (uint32_t)(reply_cache_slots(entries) / REPLY_CACHE_WAYS);
  /* calloc: pages never written stay unbacked; entries fall anywhere in the table, so a few thousand kept replies
     touch most of its pages (about 520 bytes an entry). */
  cache->tags = calloc((size_t)sets * REPLY_CACHE_WAYS, sizeof *cache->tags);
  cache->entries = calloc((size_t)sets * REPLY_CACHE_WAYS, sizeof *cache->entries);
  cache->victims = calloc(sets, 1);
  if (!cache->tags || !cache->entries || !cache->victims) {
    reply_cache_free(cache);
    return -1;
  }
  cache->sets = sets;
  cache->epoch = 1;
  /* A seed of its own per cache, so which queries share a set cannot be worked out from outside. */
  if (getrandom(&cache->seed, sizeof cache->seed, GRND_NONBLOCK) != sizeof cache->seed)
    cache->seed = (uint64_t)(uintptr_t)cache->entries * MULTIPLIER;
  cache->address_bytes = family == 4 ? 4 : 16;
  return 0;
}

void reply_cache_free(ReplyCache *cache) {
  free(cache->tags);
  cache->tags = NULL;
  free(cache->entries);
  free(cache->victims);
  cache->entries = NULL;
  cache->victims = NULL;
  cache->sets = 0;
}

void reply_cache_forget(ReplyCache *cache) {
  if (++cache->epoch == 0) {
    /* After 2^32 forgets: clear for real, so no entry of epoch 1 comes back. */
    memset(cache->tags, 0, (size_t)cache->sets * REPLY_CACHE_WAYS * sizeof *cache->tags);
    cache->epoch = 1;
  }
}

unsigned reply_cache_source_bits(const ReplyCache *cache) {
  return cache->address_bytes == 4 ? SOURCE_BITS_4 : SOURCE_BITS_6;
}

/* Eight bytes at a time, each multiplied in; then murmur3's 64-bit finalizer, so every input bit reaches the low
   bits that pick the set (the bytes of a query are few: speed over strength). */
static uint32_t hash_bytes(uint64_t h, const uint8_t *bytes, size_t length) {
  uint64_t word;
  for (; length >= 8; bytes += 8, length -= 8) {
    memcpy(&word, bytes, 8);
    h = (h ^ word) * MULTIPLIER;
    h ^= h >> 32;
  }
  word = 0;
  memcpy(&word, bytes, length);
  h ^= word ^ ((uint64_t)length << 56);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdull;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ull;
  h ^= h >> 33;
  return (uint32_t)h;
}

/* The source's bits up to `prefix`, the rest cleared, into out (16 bytes). */
static void mask_source(const uint8_t *source, unsigned address_bytes, unsigned prefix, uint8_t *out) {
  memset(out, 0, 16);
  unsigned whole = prefix / 8, rest = prefix % 8;
  if (whole > address_bytes) whole = address_bytes;
  memcpy(out, source, whole);
  if (rest && whole < address_bytes) out[whole] = source[whole] & (uint8_t)(0xff << (8 - rest));
}

static int32_t pick_victim(ReplyCache *cache, uint32_t set) {
  ReplyTag *ways = cache->tags + (size_t)set * REPLY_CACHE_WAYS;
  for (int w = 0; w < REPLY_CACHE_WAYS; w++)
    if (ways[w].epoch != cache->epoch) return (int32_t)(set * REPLY_CACHE_WAYS + w);
  uint8_t w = cache->victims[set];
  return (int32_t)(set * REPLY_CACHE_WAYS + (w % REPLY_CACHE_WAYS));
}

/* Whether the entry of `slot`, which matches, holds at `now`; one that no longer does is dropped, its way free. */
static int holds(ReplyCache *cache, size_t slot, uint64_t now) {
  uint64_t expires = cache->entries[slot].expires;
  if (expires == 0 || now < expires) return 1;
  cache->tags[slot].epoch = 0;
  return 0;
}

int32_t reply_cache_find(ReplyCache *cache, const uint8_t *query, size_t length, const uint8_t *source,
                         uint64_t now, ReplyMiss *miss) {
  const uint8_t *key = query + 2;
  size_t key_length = length - 2;
  uint32_t mask = cache->sets - 1;
  uint32_t any = hash_bytes(cache->seed, key, key_length);
  size_t first = (size_t)(any & mask) * REPLY_CACHE_WAYS;
  for (size_t slot = first; slot < first + REPLY_CACHE_WAYS; slot++) {
    if (cache->tags[slot].hash != any || cache->tags[slot].epoch != cache->epoch) continue;
    ReplyEntry *e = &cache->entries[slot];
    if (e->prefix == 0 && e->key_length == key_length && memcmp(e->bytes, key, key_length) == 0 &&
        holds(cache, slot, now))
      return (int32_t)slot;
  }
  uint8_t network[16];
  unsigned bits = reply_cache_source_bits(cache);
  mask_source(source, cache->address_bytes, bits, network);
  uint32_t near = hash_bytes(cache->seed ^ NETWORK_SEED ^ any, network, (bits + 7) / 8);
  first = (size_t)(near & mask) * REPLY_CACHE_WAYS;
  for (size_t slot = first; slot < first + REPLY_CACHE_WAYS; slot++) {
    if (cache->tags[slot].hash != near || cache->tags[slot].epoch != cache->epoch) continue;
    ReplyEntry *e = &cache->entries[slot];
    if (e->prefix == 0 || e->key_length != key_length) continue;
    uint8_t masked[16];
    mask_source(source, cache->address_bytes, e->prefix, masked);
    if (memcmp(masked, e->source, cache->address_bytes) == 0 && memcmp(e->bytes, key, key_length) == 0 &&
        holds(cache, slot, now))
      return (int32_t)slot;
  }
  miss->any_hash = any;
  miss->network_hash = near;
  miss->any_slot = pick_victim(cache, any & mask);
  miss->network_slot = pick_victim(cache, near & mask);
  return -1;
}

int reply_cache_keep(ReplyCache *cache, const ReplyMiss *miss, unsigned prefix, uint64_t expires,
                     const uint8_t *query, size_t query_length, const uint8_t *source, const uint8_t *reply,
                     size_t reply_length) {
  int32_t slot = prefix == 0 ? miss->any_slot : miss->network_slot;
  if (query_length < 2 || reply_length < 2 || query_length + reply_length - 4 > REPLY_CACHE_BYTES ||
      prefix > reply_cache_source_bits(cache)) {
    /* The slot was offered for this reply: what it held goes too, as the caller now counts the slot as this one. */
    cache->tags[slot].epoch = 0;
    return -1;
  }
  size_t key_length = query_length - 2, body_length = reply_length - 2;
  ReplyEntry *e = &cache->entries[slot];
  cache->tags[slot].epoch = cache->epoch;
  cache->tags[slot].hash = prefix == 0 ? miss->any_hash : miss->network_hash;
  e->expires = expires;
  e->key_length = (uint16_t)key_length;
  e->reply_length = (uint16_t)body_length;
  e->prefix = (uint8_t)prefix;
  mask_source(source, cache->address_bytes, prefix, e->source);
  memcpy(e->bytes, query + 2, key_length);
  memcpy(e->bytes + key_length, reply + 2, body_length);
  uint32_t set = (uint32_t)slot / REPLY_CACHE_WAYS;
  cache->victims[set] = (uint8_t)((uint32_t)slot % REPLY_CACHE_WAYS + 1);
  return 0;
}

const uint8_t *reply_cache_reply(const ReplyCache *cache, int32_t slot, size_t *length) {
  const ReplyEntry *e = &cache->entries[slot];
  *length = e->reply_length;
  return e->bytes + e->key_length;
}
