// One run at a time of something that re-reads a source (a folder, a file): a call while a run is in progress
// asks for one more run after it, however many calls came, so a burst of changes costs at most two reads and the
// last read always sees the last change.

/** Wraps `run`; the returned function resolves with the outcome of the last run that covers the call. */
export function coalesced<T>(run: () => Promise<T>): () => Promise<T> {
  let running: Promise<T> | undefined;
  let again = false;
  return () => {
    if (running) {
      again = true;
      return running;
    }
    running = (async () => {
      try {
        let outcome: T;
        do {
          again = false;
          outcome = await run();
        } while (again);
        return outcome;
      } finally {
        running = undefined;
      }
    })();
    return running;
  };
}
