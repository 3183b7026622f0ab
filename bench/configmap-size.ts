// How large a zone fits one ConfigMap: the API server refuses objects above 1 MiB, and the operator writes a
// zone's document as it is, or gzip-compressed into binaryData when it is large (api/configmaps.ts). This finds,
// by bisection, the most routed names (GeoEndpoints with three targets of two addresses each, as bench's zone)
// and the most static A records a zone can hold and still be published.
//
// Usage: node bench/configmap-size.ts
import { CONFIGMAP_LIMIT_BYTES, encodeZoneDocument } from '../api/configmaps.ts';
import { serializeCompiledZone } from '../operator/compile/index.ts';
import { bigZone } from './gen-big-zone.ts';

function encodedSize(staticNames: number, routedNames: number): { json: number; stored: number } {
  const zone = bigZone({ staticNames, routedNames, serial: 1, variant: 0 });
  const json = serializeCompiledZone(zone);
  return { json: Buffer.byteLength(json), stored: encodeZoneDocument(zone.zone, json).size };
}

function largest(size: (n: number) => number): number {
  let low = 1;
  let high = 2;
  while (size(high) <= CONFIGMAP_LIMIT_BYTES) high *= 2;
  while (high - low > 1) {
    const mid = Math.floor((low + high) / 2);
    if (size(mid) <= CONFIGMAP_LIMIT_BYTES) low = mid;
    else high = mid;
  }
  return low;
}

const routed = largest((n) => encodedSize(0, n).stored);
const statics = largest((n) => encodedSize(n, 0).stored);
const atRouted = encodedSize(0, routed);
const atStatic = encodedSize(statics, 0);
console.log(`limit for the document: ${CONFIGMAP_LIMIT_BYTES} bytes`);
console.log(
  `routed names (3 targets x 2 addresses): ${routed} (JSON ${atRouted.json} bytes, stored ${atRouted.stored} bytes, ` +
    `gzip ratio ${(atRouted.json / atRouted.stored).toFixed(1)})`,
);
console.log(
  `static A records: ${statics} (JSON ${atStatic.json} bytes, stored ${atStatic.stored} bytes, ` +
    `gzip ratio ${(atStatic.json / atStatic.stored).toFixed(1)})`,
);
