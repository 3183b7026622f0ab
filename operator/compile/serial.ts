// The SOA serial. It only moves when the served content changes, and it never decreases — across recompiles and
// across operator restarts — because it is derived from the previously published serial, a floor and the clock.
//
// Serials are compared with RFC 1982 serial-number arithmetic (SERIAL_BITS = 32): s2 is greater than s1 when
// 0 < (s2 - s1) mod 2^32 < 2^31. The next serial is previous+1 (mod 2^32, so 4294967295 wraps to 0, which
// RFC 1982 treats as an increase), raised to the current Unix time in seconds when that is greater in that
// arithmetic, and raised to soa.serialFloor when the floor is numerically higher (the floor is a plain lower
// bound). A jump of 2^31 or more cannot be expressed as an increase (RFC 1982 §3.2), so such a floor is not
// taken and a note says so. Unchanged content keeps its serial unless the serial is below the floor.

const MODULUS = 2 ** 32;
const HALF = 2 ** 31;

/** RFC 1982: is `a` greater than `b`? */
export function serialGreater(a: number, b: number): boolean {
  const diff = (((a - b) % MODULUS) + MODULUS) % MODULUS;
  return diff > 0 && diff < HALF;
}

export interface SerialInput {
  contentHash: string;
  previous: { serial: number; contentHash: string } | undefined;
  serialFloor: number | undefined;
  now: Date;
}

export interface SerialResult {
  serial: number;
  /** Set when a floor could not be honoured; goes into the GeoZone's conditions. */
  note?: string;
}

export function nextSerial({ contentHash, previous, serialFloor, now }: SerialInput): SerialResult {
  const clock = Math.floor(now.getTime() / 1000) % MODULUS;
  const floor = serialFloor === undefined ? undefined : Math.min(Math.max(Math.floor(serialFloor), 0), MODULUS - 1);

  if (!previous) {
    return { serial: Math.max(clock, floor ?? 0) };
  }
  const previousSerial = ((Math.floor(previous.serial) % MODULUS) + MODULUS) % MODULUS;
  const floorHeld = floor === undefined || previousSerial >= floor;
  if (previous.contentHash === contentHash && floorHeld) return { serial: previousSerial };

  let serial = (previousSerial + 1) % MODULUS;
  let note: string | undefined;
  if (serialGreater(clock, serial)) serial = clock;
  if (floor !== undefined && floor > serial) {
    if (serialGreater(floor, serial)) serial = floor;
    else {
      note = `soa.serialFloor ${floor} is 2^31 or more ahead of serial ${serial}; RFC 1982 cannot express that jump, raise the floor in smaller steps`;
    }
  }
  return note ? { serial, note } : { serial };
}
