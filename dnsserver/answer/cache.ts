// Encoded response bodies, reused across queries. Bounded (oldest entries go first) and tagged by the routed
// names each body depends on, so a health change drops only the bodies of the names it touches.
import type { EncodedBody } from '../wire/types.ts';
import { DEFAULT_ANSWER_CACHE } from './bounds.ts';

interface Entry<T> {
  body: T;
  tags: readonly string[];
}

/** Bodies by key; `T` is an encoded body, or a signed one with its refresh time (signed.ts). */
export class AnswerCache<T = EncodedBody> {
  readonly limit: number;
  readonly #entries = new Map<string, Entry<T>>();
  readonly #byTag = new Map<string, Set<string>>();

  constructor(limit = DEFAULT_ANSWER_CACHE) {
    this.limit = Math.max(1, limit);
  }

  get size(): number {
    return this.#entries.size;
  }

  get(key: string): T | undefined {
    return this.#entries.get(key)?.body;
  }

  /** `tags` name what the body depends on (e.g. 'zone|routed name'). */
  set(key: string, body: T, tags: readonly string[] = []): void {
    if (this.#entries.has(key)) this.#delete(key);
    while (this.#entries.size >= this.limit) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.#delete(oldest.value);
    }
    this.#entries.set(key, { body, tags });
    for (const tag of tags) {
      let keys = this.#byTag.get(tag);
      if (!keys) this.#byTag.set(tag, (keys = new Set()));
      keys.add(key);
    }
  }

  /** Drops every body tagged with one of `tags`; returns how many went. */
  invalidate(tags: Iterable<string>): number {
    let dropped = 0;
    for (const tag of tags) {
      const keys = this.#byTag.get(tag);
      if (!keys) continue;
      for (const key of [...keys]) {
        this.#delete(key);
        dropped++;
      }
    }
    return dropped;
  }

  clear(): void {
    this.#entries.clear();
    this.#byTag.clear();
  }

  #delete(key: string): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    for (const tag of entry.tags) {
      const keys = this.#byTag.get(tag);
      keys?.delete(key);
      if (keys?.size === 0) this.#byTag.delete(tag);
    }
  }
}
