import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { openGeoDatabase } from '../../../../dnsserver/geoip/database.ts';
import { createLocator } from '../../../../dnsserver/geoip/locator.ts';
import { compileNetworks } from '../../../../dnsserver/geoip/networks.ts';
import { parseAddress, parseCidr } from '../../../../dnsserver/geoip/address.ts';
import { WireClientSubnet } from '../../../../dnsserver/wire/subnet.ts';
import { SubnetMemo, subnetHash } from '../../../../dnsserver/geoip/subnet-memo.ts';
import { mulberry32 } from '../../../../tools/random.ts';

const fixture = (name: string) => fileURLToPath(new URL(`../../../fixtures/mmdb/${name}`, import.meta.url));

describe('addresses', () => {
  it('parses dotted quads, and refuses near misses the same way the general parser would', () => {
    expect(parseAddress('203.0.113.7')).toEqual({ family: 4, bytes: [203, 0, 113, 7], text: '203.0.113.7' });
    expect(parseAddress('0.0.0.0')).toMatchObject({ bytes: [0, 0, 0, 0] });
    for (const bad of ['256.1.1.1', '1.2.3.4.5', '1..3.4', '1.2.3.x', '']) {
      expect(parseAddress(bad), bad).toBeUndefined();
    }
  });
  it('turns IPv4-mapped IPv6 into IPv4', () => {
    expect(parseAddress('::ffff:198.51.100.7')).toMatchObject({ family: 4, text: '198.51.100.7' });
    expect(parseCidr('::ffff:10.0.0.0/104')).toMatchObject({ family: 4, prefixLength: 8 });
  });
  it('rejects bad input with a message', () => {
    expect(parseAddress('nope')).toBeUndefined();
    expect(parseCidr('10.0.0.0/33')).toEqual({ error: expect.stringContaining('prefix must be 0..32') });
    expect(parseCidr('x/8')).toEqual({ error: expect.stringContaining("'x' is not an IP address") });
  });
});

describe('custom networks', () => {
  const networks = [
    { cidr: '10.0.0.0/8', location: { region: 'corp' } },
    { cidr: '10.1.0.0/16', location: { region: 'dc-east', country: 'US' } },
    { cidr: '10.1.2.0/24', location: { region: 'lab' } },
    { cidr: 'fd00::/8', location: { region: 'ula' } },
    { cidr: 'fd00:1::/32', location: { region: 'ula-1' } },
    { cidr: 'bogus', location: { region: 'x' } },
  ];

  it('picks the most specific network, IPv4 and IPv6, and reports bad CIDRs', () => {
    const locator = createLocator(networks, undefined);
    expect(locator.locate('10.9.9.9')).toMatchObject({ region: 'corp', source: 'network', network: '10.0.0.0/8' });
    expect(locator.locate('10.1.9.9')).toMatchObject({ region: 'dc-east', country: 'US', network: '10.1.0.0/16' });
    expect(locator.locate('10.1.2.3')).toMatchObject({ region: 'lab', prefixLength: 24 });
    expect(locator.locate('::ffff:10.1.2.3')).toMatchObject({ region: 'lab' });
    expect(locator.locate('fd00:1::5')).toMatchObject({ region: 'ula-1' });
    expect(locator.locate('fd99::5')).toMatchObject({ region: 'ula' });
    expect(locator.locate('192.0.2.1')).toMatchObject({ source: 'none' });
    expect(locator.networks.errors).toEqual([expect.stringContaining("networks[5]: 'bogus' is not a CIDR")]);
  });

  it('never reports a scope wider than the bits that decided the match', () => {
    const matcher = compileNetworks(networks);
    // 10.1.128.x matches 10.1.0.0/16; the /24 inside it starts with a 0 bit after the /16, so 17 bits decide.
    const inSixteen = matcher.match(parseAddress('10.1.128.1')!);
    expect(inSixteen.network?.cidr).toBe('10.1.0.0/16');
    expect(inSixteen.decidingBits).toBe(17);
    // 10.1.3.x shares 23 bits with 10.1.2.0/24: all 24 are needed.
    expect(matcher.match(parseAddress('10.1.3.1')!).decidingBits).toBe(24);
    // A leaf network decides at its own prefix.
    expect(matcher.match(parseAddress('10.1.2.200')!).decidingBits).toBe(24);
  });
});

describe('GeoIP databases', () => {
  it('reads the GeoIP2-City shape with subdivision, coordinates and prefix length', async () => {
    const locator = createLocator([], await openGeoDatabase(fixture('city.mmdb')));
    expect(locator.locate('198.51.100.7')).toEqual({
      continent: 'EU',
      country: 'DE',
      subdivision: 'BY',
      latitude: 48.1374,
      longitude: 11.5755,
      source: 'geoip',
      prefixLength: 24,
      network: '198.51.100.0/24',
    });
    expect(locator.locate('2001:db8:100::1')).toMatchObject({ country: 'FR', prefixLength: 48 });
    expect(locator.locate('::ffff:203.0.113.9')).toMatchObject({ country: 'JP', continent: 'AS' });
  });

  it('gives every address of one network the same location object, so answers remembered per location are shared', async () => {
    const locator = createLocator(
      [{ cidr: '10.1.0.0/16', location: { country: 'DE' } }],
      await openGeoDatabase(fixture('city.mmdb')),
    );
    expect(locator.locate('198.51.100.99')).toBe(locator.locate('198.51.100.7'));
    expect(locator.locate('10.1.200.1')).toBe(locator.locate('10.1.3.4'));
    expect(locator.locate('10.1.3.4')).not.toBe(locator.locate('198.51.100.7'));
    expect(Object.isFrozen(locator.locate('198.51.100.7'))).toBe(true);
  });

  it('fills continent and centroid coordinates when the record lacks them', async () => {
    const locator = createLocator([], await openGeoDatabase(fixture('city.mmdb')));
    const us = locator.locate('192.0.2.10');
    expect(us).toMatchObject({ country: 'US', subdivision: 'CA', continent: 'NA', centroid: true });
    expect(us.latitude).toBeCloseTo(38, 0);
    expect(locator.locate('2001:db8:2ff::1')).toMatchObject({ country: 'AU', continent: 'OC', centroid: true });
  });

  it('reads the flat ip-location-db shape (country_code)', async () => {
    const locator = createLocator([], await openGeoDatabase(fixture('country.mmdb')));
    expect(locator.locate('203.0.113.5')).toMatchObject({
      country: 'JP',
      continent: 'AS',
      centroid: true,
      source: 'geoip',
      prefixLength: 25,
    });
    expect(locator.locate('203.0.113.200')).toMatchObject({ source: 'none' });
  });

  it('prefers custom networks over the database', async () => {
    const locator = createLocator(
      [{ cidr: '198.51.100.128/25', location: { region: 'edge', country: 'AT' } }],
      await openGeoDatabase(fixture('city.mmdb')),
    );
    expect(locator.locate('198.51.100.200')).toMatchObject({ region: 'edge', source: 'network', prefixLength: 25 });
    // Outside the custom /25 but inside the db /24: scope must not be wider than 25 bits.
    expect(locator.locate('198.51.100.1')).toMatchObject({ country: 'DE', source: 'geoip', prefixLength: 25 });
  });

  it('locates ECS subnets by their bytes exactly as by their text, at every prefix length', async () => {
    const networks = [
      { cidr: '198.51.100.128/25', location: { region: 'edge' } },
      { cidr: '10.0.0.0/8', location: { region: 'corp' } },
      { cidr: '10.1.2.3/32', location: { region: 'host' } },
    ];
    const database = await openGeoDatabase(fixture('city.mmdb'));
    const bySubnet = createLocator(networks, database);
    const byText = createLocator(networks, database);
    const random = mulberry32(7);
    const starts = [
      [198, 51, 100, 200],
      [198, 51, 100, 7],
      [10, 1, 2, 3],
      [192, 0, 2, 10],
      [203, 0, 113, 5],
      [0x20, 0x01, 0x0d, 0xb8, 0x01, 0x00, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    ];
    for (let i = 0; i < 2000; i++) {
      const start = starts[i % starts.length]!;
      const family = start.length === 4 ? 1 : 2;
      const prefix = 1 + Math.floor(random() * start.length * 8);
      // Keep the first `prefix` bits of the start address (flipping the last one now and then), zero the rest.
      const bytes = start.slice(0, Math.ceil(prefix / 8)).map((byte, index) => {
        const keep = Math.min(8, prefix - index * 8);
        return byte & (0xff << (8 - keep)) & 0xff;
      });
      if (random() < 0.3) bytes[bytes.length - 1]! ^= 0x80 >> ((prefix - 1) % 8);
      const option = Buffer.from([0, family, prefix, 0, ...bytes]);
      const subnet = new WireClientSubnet(option, 0, option.length);
      const expected = byText.locate(subnet.address);
      expect(bySubnet.locateSubnet(subnet), `${subnet.address}/${prefix}`).toEqual(expected);
      // Asked again, it is the very same object (remembered, and shared with the text path's interning).
      expect(bySubnet.locateSubnet(new WireClientSubnet(option, 0, option.length))).toBe(bySubnet.locateSubnet(subnet));
    }
    expect(bySubnet.locateSubnet(new WireClientSubnet(Buffer.from([0, 1, 32, 0, 10, 1, 2, 3]), 0, 8))).toMatchObject({
      region: 'host',
      prefixLength: 32,
    });
    expect(bySubnet.locateSubnet(new WireClientSubnet(Buffer.from([0, 1, 31, 0, 10, 1, 2, 2]), 0, 8))).toMatchObject({
      region: 'corp',
      prefixLength: 32,
    });
  });

  it('keeps two subnets whose hashes collide apart', () => {
    // Random IPv6 /64s: by the birthday bound, about 2^15 of them share a 30-bit hash.
    const random = mulberry32(11);
    const subnets: WireClientSubnet[] = [];
    const byHash = new Map<number, number>();
    let pair: [number, number] | undefined;
    for (let i = 0; !pair && i < 1_000_000; i++) {
      const option = Buffer.from([0, 2, 64, 0, ...Array.from({ length: 8 }, () => Math.floor(random() * 256))]);
      subnets.push(new WireClientSubnet(option, 0, option.length));
      const hash = subnetHash(subnets[i]!);
      const other = byHash.get(hash);
      if (other !== undefined) pair = [other, i];
      else byHash.set(hash, i);
    }
    if (!pair) throw new Error('no hash collision among a million subnets');
    const subnetOf = (i: number) => subnets[i]!;
    const [a, b] = pair.map(subnetOf) as [WireClientSubnet, WireClientSubnet];
    const memo = new SubnetMemo(10);
    const hash = subnetHash(a);
    memo.set(hash, a, { source: 'none', prefixLength: 1 });
    expect(memo.get(hash, a)).toEqual({ source: 'none', prefixLength: 1 });
    expect(memo.get(hash, b)).toBeUndefined();
    memo.set(hash, b, { source: 'none', prefixLength: 2 });
    expect(memo.get(hash, b)).toEqual({ source: 'none', prefixLength: 2 });
    expect(memo.get(hash, a)).toBeUndefined();
  });

  it('names the file when a database cannot be opened', async () => {
    await expect(openGeoDatabase('/nonexistent/geo.mmdb')).rejects.toThrow('/nonexistent/geo.mmdb');
  });

  it('loads the embedded database and answers a country for a public address (lookup only)', async () => {
    const locator = createLocator([], await openGeoDatabase());
    expect(locator.locate('8.8.8.8')).toMatchObject({ source: 'geoip', country: expect.stringMatching(/^[A-Z]{2}$/) });
  });
});
