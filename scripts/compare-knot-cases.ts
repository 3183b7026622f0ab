// The edge-case battery of scripts/compare-knot.sh: sends each query (built byte by byte, so malformed ones too)
// to Knot and to geodns on loopback, reduces each reply to what matters (header flags, rcode, section counts,
// EDNS, records with TTL, sorted) and prints a markdown table: case, knot, geodns, same or differs.
// Usage: node scripts/compare-knot-cases.ts APEX KNOT_PORT GEODNS_PORT
import dgram from 'node:dgram';
import net from 'node:net';
import dnsPacket from 'dns-packet';
import type { Answer, Packet } from 'dns-packet';

const HOST = '127.0.0.1';
const TIMEOUT_MS = 1500;

interface QueryOptions {
  type?: number;
  qclass?: number;
  opcode?: number;
  rd?: boolean;
  cd?: boolean;
  id?: number;
  /** EDNS: omitted means no OPT record. */
  edns?: {
    version?: number;
    udpSize?: number;
    dnssecOk?: boolean;
    zFlags?: number;
    /** OPT rdata as hex, instead of the options. */
    rawRdata?: string;
    ownerByte?: number;
    options?: Array<[number, string]>;
  };
  /** Extra header flag bits to set (e.g. 0x8000 QR, 0x0040 Z). */
  extraFlags?: number;
  /** Questions to write (default 1). */
  qdcount?: number;
  /** Add the OPT record twice. */
  twoOpts?: boolean;
  /** The name as raw wire labels (for escaped bytes). */
  rawLabels?: Buffer[];
}

function nameWire(name: string): Buffer {
  const parts = name === '' || name === '.' ? [] : name.replace(/\.$/, '').split('.');
  return Buffer.concat([
    ...parts.flatMap((p) => [Buffer.from([p.length]), Buffer.from(p, 'latin1')]),
    Buffer.from([0]),
  ]);
}

function query(name: string, o: QueryOptions = {}): Buffer {
  const qdcount = o.qdcount ?? 1;
  const header = Buffer.alloc(12);
  header.writeUInt16BE(o.id ?? 0x1234, 0);
  let flags = ((o.opcode ?? 0) & 0xf) << 11;
  if (o.rd) flags |= 0x0100;
  if (o.cd) flags |= 0x0010;
  flags |= o.extraFlags ?? 0;
  header.writeUInt16BE(flags, 2);
  header.writeUInt16BE(qdcount, 4);
  const opt = o.edns ? optRecord(o.edns) : undefined;
  header.writeUInt16BE(opt ? (o.twoOpts ? 2 : 1) : 0, 10);
  const qname = o.rawLabels
    ? Buffer.concat([...o.rawLabels.flatMap((l) => [Buffer.from([l.length]), l]), Buffer.from([0])])
    : nameWire(name);
  const tail = Buffer.alloc(4);
  tail.writeUInt16BE(o.type ?? 1, 0);
  tail.writeUInt16BE(o.qclass ?? 1, 2);
  const questions: Buffer[] = [];
  for (let i = 0; i < qdcount; i++) questions.push(qname, tail);
  return Buffer.concat([header, ...questions, ...(opt ? (o.twoOpts ? [opt, opt] : [opt]) : [])]);
}

function withCounts(message: Buffer, counts: { ar?: number }): Buffer {
  const out = Buffer.from(message);
  if (counts.ar !== undefined) out.writeUInt16BE(counts.ar, 10);
  return out;
}

/** Appends a TSIG record (hmac-sha256, key name 'unknown-key', zeroed MAC) to a query without additional records. */
function withTsig(message: Buffer): Buffer {
  const algorithm = nameWire('hmac-sha256');
  const rdata = Buffer.concat([
    algorithm,
    Buffer.from([0, 0, 0x5f, 0x5e, 0x10, 0x00]), // time signed
    Buffer.from([0x01, 0x2c]), // fudge 300
    Buffer.from([0, 32]),
    Buffer.alloc(32),
    message.subarray(0, 2), // original id
    Buffer.from([0, 0, 0, 0]), // error, other length
  ]);
  const fixed = Buffer.alloc(10);
  fixed.writeUInt16BE(250, 0);
  fixed.writeUInt16BE(255, 2);
  fixed.writeUInt16BE(rdata.length, 8);
  return withCounts(Buffer.concat([message, nameWire('unknown-key'), fixed, rdata]), { ar: 1 });
}

function optRecord(e: NonNullable<QueryOptions['edns']>): Buffer {
  const options = (e.options ?? []).map(([code, hex]) => {
    const data = Buffer.from(hex, 'hex');
    const head = Buffer.alloc(4);
    head.writeUInt16BE(code, 0);
    head.writeUInt16BE(data.length, 2);
    return Buffer.concat([head, data]);
  });
  const rdata = e.rawRdata !== undefined ? Buffer.from(e.rawRdata, 'hex') : Buffer.concat(options);
  const fixed = Buffer.alloc(11);
  if (e.ownerByte !== undefined) fixed[0] = e.ownerByte;
  fixed.writeUInt16BE(41, 1);
  fixed.writeUInt16BE(e.udpSize ?? 1232, 3);
  fixed[5] = 0;
  fixed[6] = e.version ?? 0;
  fixed.writeUInt16BE((e.dnssecOk ? 0x8000 : 0) | (e.zFlags ?? 0), 7);
  fixed.writeUInt16BE(rdata.length, 9);
  return Buffer.concat([fixed, rdata]);
}

function sendUdp(port: number, message: Buffer): Promise<Buffer | null> {
  return new Promise((resolve) => {
    const socket = dgram.createSocket('udp4');
    const timer = setTimeout(() => finish(null), TIMEOUT_MS);
    function finish(reply: Buffer | null): void {
      clearTimeout(timer);
      socket.close();
      resolve(reply);
    }
    socket.on('message', (reply) => finish(reply));
    socket.on('error', () => finish(null));
    socket.send(message, port, HOST);
  });
}

/** Sends all messages in one write (pipelined) and collects as many replies. */
function sendTcp(port: number, messages: Buffer[]): Promise<Buffer[]> {
  return new Promise((resolve) => {
    const replies: Buffer[] = [];
    let pending = Buffer.alloc(0);
    const socket = net.connect(port, HOST);
    const timer = setTimeout(() => finish(), TIMEOUT_MS);
    function finish(): void {
      clearTimeout(timer);
      socket.destroy();
      resolve(replies);
    }
    socket.on('connect', () => {
      socket.write(
        Buffer.concat(
          messages.flatMap((m) => {
            const length = Buffer.alloc(2);
            length.writeUInt16BE(m.length, 0);
            return [length, m];
          }),
        ),
      );
    });
    socket.on('data', (chunk) => {
      pending = Buffer.concat([pending, chunk]);
      while (pending.length >= 2 && pending.length >= 2 + pending.readUInt16BE(0)) {
        replies.push(pending.subarray(2, 2 + pending.readUInt16BE(0)));
        pending = pending.subarray(2 + pending.readUInt16BE(0));
      }
      if (replies.length >= messages.length) finish();
    });
    socket.on('error', () => finish());
    socket.on('close', () => finish());
  });
}

const RCODES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];

/** A name as printable text: bytes outside 0x21..0x7e as \DDD (like dig). */
const printable = (name: string): string =>
  name.replace(/[^\x21-\x7e]/g, (c) => `\\${String(c.charCodeAt(0)).padStart(3, '0')}`);

function rdataText(r: Answer): string {
  if (r.type === 'SOA') return `${r.data.mname} ${r.data.rname}`;
  if (r.type === 'TXT') {
    const strings = (Array.isArray(r.data) ? r.data : [r.data]).map((b) => b.toString());
    return strings.map((t) => JSON.stringify(t.length > 20 ? `${t.slice(0, 8)}…${t.slice(-4)}` : t)).join(' ');
  }
  const data = (r as { data?: unknown }).data;
  if (typeof data === 'string') return data;
  if (Buffer.isBuffer(data)) return data.toString('hex');
  return Object.values(data as object).join(' ');
}

/** The reply reduced to what the comparison looks at. `hideAddresses` drops A/AAAA data (routed names). */
function summarize(reply: Buffer | null, hideAddresses: boolean): string {
  if (!reply) return 'no reply';
  const headerFlags = reply.readUInt16BE(2);
  const counts = [4, 6, 8, 10].map((o) => reply.readUInt16BE(o)).join('/');
  const flags = [
    [0x0400, 'aa'],
    [0x0200, 'tc'],
    [0x0100, 'rd'],
    [0x0080, 'ra'],
    [0x0040, 'z'],
    [0x0020, 'ad'],
    [0x0010, 'cd'],
  ]
    .filter(([bit]) => headerFlags & (bit as number))
    .map(([, name]) => name)
    .join(' ');
  let rcode = headerFlags & 0xf;
  const opcode = (headerFlags >> 11) & 0xf;
  let packet: Packet;
  try {
    packet = dnsPacket.decode(reply);
  } catch (error) {
    return `rcode ${RCODES[rcode] ?? rcode} [${flags}] ${counts} (undecodable: ${(error as Error).message})`;
  }
  const parts: string[] = [];
  let edns = 'no OPT';
  const records: string[] = [];
  for (const [section, list] of [
    ['an', packet.answers],
    ['ns', packet.authorities],
    ['ar', packet.additionals],
  ] as const) {
    for (const r of list ?? []) {
      if (r.type === 'OPT') {
        const opt = r as unknown as {
          extendedRcode: number;
          udpPayloadSize: number;
          flags: number;
          options: Array<{ code: number; data: Buffer }>;
        };
        rcode |= (opt.extendedRcode ?? 0) << 4;
        const codes = (opt.options ?? []).map((x) => `${x.code}:${x.data?.length ?? 0}`).join(',');
        const other = (opt.flags ?? 0) & 0x7fff;
        const bits = `${opt.flags & 0x8000 ? ' do' : ''}${other ? ` flags 0x${other.toString(16)}` : ''}`;
        edns = `OPT ${opt.udpPayloadSize}${bits}${codes ? ` opts ${codes}` : ''}`;
        continue;
      }
      const hidden = hideAddresses && (r.type === 'A' || r.type === 'AAAA') && section === 'an';
      records.push(`${section} ${printable(r.name)} ${r.ttl ?? ''} ${r.type}${hidden ? '' : ` ${rdataText(r)}`}`);
    }
  }
  const rcodeName = rcode === 16 ? 'BADVERS' : (RCODES[rcode] ?? String(rcode));
  parts.push(`${rcodeName}${opcode ? ` op${opcode}` : ''} [${flags}] ${counts} ${edns}`);
  const q = packet.questions?.[0];
  if (q) parts.push(`q ${printable(q.name)}`);
  parts.push(...[...new Set(records)].sort());
  return parts.join('; ');
}

interface Case {
  name: string;
  packets: Buffer[];
  tcp?: boolean;
  /** Routed names: geodns picks addresses per client, Knot serves them all; compare without A/AAAA data. */
  routed?: boolean;
}

function cases(apex: string): Case[] {
  const n = (label: string) => (label ? `${label}.${apex}` : apex);
  const c = (name: string, qname: string, o: QueryOptions = {}, extra: Partial<Case> = {}): Case => ({
    name,
    packets: [query(qname, o)],
    ...extra,
  });
  const e0 = { version: 0, udpSize: 1232 };
  return [
    c('A, static name', n('mail'), { type: 1 }),
    c('NXDOMAIN', n('nope'), { type: 1 }),
    c('NODATA (TXT at mail)', n('mail'), { type: 16 }),
    c('empty non-terminal (ent)', n('ent'), { type: 1 }),
    c('empty non-terminal (_tcp)', n('_tcp'), { type: 1 }),
    c('apex SOA', apex, { type: 6 }),
    c('apex NS', apex, { type: 2 }),
    c('apex MX', apex, { type: 15 }),
    c('SRV', n('_sip._tcp'), { type: 33 }),
    c('referral (lab, A)', n('lab'), { type: 1 }),
    c('referral (lab, NS)', n('lab'), { type: 2 }),
    c('referral (lab, DS)', n('lab'), { type: 43 }),
    c('below delegation', n('host.lab'), { type: 1 }),
    c('glue name below cut', n('ns1.lab'), { type: 1 }),
    c('MX exchange below a cut (no glue as additional)', n('mxlab'), { type: 15 }),
    c('referral with glue > 512 bytes, no EDNS', n('host.wide'), { type: 1 }),
    c('referral with glue > 512 bytes, bufsize 512', n('host.wide'), { type: 1, edns: { udpSize: 512 } }),
    c('referral with glue, bufsize 1232', n('host.wide'), { type: 1, edns: e0 }),
    c('CNAME to routed name', n('docs'), { type: 1 }, { routed: true }),
    c('CNAME chain to routed name', n('alias'), { type: 1 }, { routed: true }),
    c('CNAME, qtype CNAME', n('docs'), { type: 5 }),
    c('CNAME, qtype TXT (target NODATA)', n('docs'), { type: 16 }),
    c('CNAME out of zone', n('ext'), { type: 1 }),
    c('CNAME loop', n('loop1'), { type: 1 }),
    c('wildcard: synthesized A', n('x.wild'), { type: 1 }),
    c('wildcard: synthesized, two labels deep', n('a.b.wild'), { type: 1 }),
    c('wildcard: NODATA (MX)', n('x.wild'), { type: 15 }),
    c('wildcard: the * name itself', n('*.wild'), { type: 1 }),
    c('wildcard: parent (empty non-terminal)', n('wild'), { type: 1 }),
    c('wildcard: existing sibling blocks it (NODATA)', n('exists.wild'), { type: 1 }),
    c('wildcard: below an existing name (NXDOMAIN)', n('x.exists.wild'), { type: 1 }),
    c('wildcard: ANY', n('x.wild'), { type: 255 }),
    c('wildcard CNAME', n('x.wcname'), { type: 1 }),
    c('wildcard: mixed case', 'X.WiLd.geo.example.com', { type: 1 }),
    c('routed A', n('www'), { type: 1 }, { routed: true }),
    c('routed TXT (NODATA)', n('www'), { type: 16 }),
    c('ANY at apex', apex, { type: 255 }),
    c('ANY at mail', n('mail'), { type: 255 }),
    c('ANY at NXDOMAIN', n('nope'), { type: 255 }),
    c('ANY over TCP', n('mail'), { type: 255 }, { tcp: true }),
    c('TYPE65280', n('mail'), { type: 65280 }),
    c('TYPE0', n('mail'), { type: 0 }),
    c('AXFR over UDP', apex, { type: 252 }),
    c('IXFR over UDP', apex, { type: 251 }),
    c('MAILB', n('mail'), { type: 253 }),
    c('MAILA', n('mail'), { type: 254 }),
    c('TYPE128 (meta range)', n('mail'), { type: 128 }),
    c('TYPE249 TKEY', n('mail'), { type: 249 }),
    c('TYPE250 TSIG', n('mail'), { type: 250 }),
    c('OPT as qtype', n('mail'), { type: 41 }),
    c('class CH', n('mail'), { qclass: 3 }),
    c('class HS', n('mail'), { qclass: 4 }),
    c('class NONE', n('mail'), { qclass: 254 }),
    c('class ANY', n('mail'), { qclass: 255 }),
    c('class CH version.bind TXT', 'version.bind', { qclass: 3, type: 16 }),
    c('opcode IQUERY (1)', n('mail'), { opcode: 1 }),
    c('opcode STATUS (2)', n('mail'), { opcode: 2 }),
    c('opcode NOTIFY (4)', apex, { opcode: 4, type: 6 }),
    c('opcode UPDATE (5)', apex, { opcode: 5, type: 6 }),
    c('opcode 3 (unassigned)', n('mail'), { opcode: 3 }),
    c('opcode 15 (unassigned)', n('mail'), { opcode: 15 }),
    c('opcode 15 + EDNS', n('mail'), { opcode: 15, edns: e0 }),
    c('EDNS0', n('mail'), { edns: e0 }),
    c('EDNS version 1', n('mail'), { edns: { version: 1 } }),
    c('EDNS version 1 + NXDOMAIN name', n('nope'), { edns: { version: 1 } }),
    c('EDNS DO bit', n('mail'), { edns: { dnssecOk: true } }),
    c('EDNS unknown option', n('mail'), { edns: { options: [[65001, 'abcd']] } }),
    c('EDNS bufsize 100', n('mail'), { edns: { udpSize: 100 } }),
    c('EDNS bufsize 0', n('mail'), { edns: { udpSize: 0 } }),
    c('no EDNS', n('mail')),
    c('two OPT records', n('mail'), { edns: e0, twoOpts: true }),
    c('EDNS option overruns OPT', n('mail'), { edns: { ...e0, rawRdata: '000800090001' } }),
    c('EDNS option header truncated', n('mail'), { edns: { ...e0, rawRdata: '0008' } }),
    c('EDNS unknown flag bit', n('mail'), { edns: { ...e0, zFlags: 0x4000 } }),
    c('OPT owner not root', n('mail'), { edns: { ...e0, ownerByte: 0xc0 } }),
    c('header Z bit set', n('mail'), { extraFlags: 0x0040 }),
    c('QR set (a response)', n('mail'), { extraFlags: 0x8000 }),
    c('AXFR over TCP', apex, { type: 252 }, { tcp: true }),
    c('IXFR over TCP', apex, { type: 251 }, { tcp: true }),
    c('CNAME into delegation', n('deleg-alias'), { type: 1 }),
    c('DS at non-delegation', n('mail'), { type: 43 }),
    c('DS at the apex', apex, { type: 43 }),
    c('name below a CNAME owner', n('x.docs'), { type: 1 }),
    c('SOA below the apex (NODATA)', n('mail'), { type: 6 }),
    c('NS below the apex, not a cut (NODATA)', n('mail'), { type: 2 }),
    c('EDNS keepalive over TCP', n('mail'), { edns: { ...e0, options: [[11, '']] } }, { tcp: true }),
    c('EDNS padding option', n('mail'), { edns: { ...e0, options: [[12, '0000000000']] } }),
    c('EDNS NSID request', n('mail'), { edns: { ...e0, options: [[3, '']] } }),
    c('ANY at apex over TCP', apex, { type: 255 }, { tcp: true }),
    c('ANY at delegation', n('lab'), { type: 255 }),
    c('NOTIFY + EDNS', apex, { opcode: 4, type: 6, edns: e0 }),
    c('EDNS version 1 + bad ECS', n('mail'), { edns: { version: 1, options: [[8, '0003']] } }),
    c('ECS family 3 + DO', n('mail'), { edns: { dnssecOk: true, options: [[8, '00031800c00002']] } }),
    c('QDCOUNT 2 + EDNS', n('mail'), { qdcount: 2, edns: e0 }),
    c('ECS family 3', n('mail'), { edns: { options: [[8, '00031800c00002']] } }),
    c('ECS IPv4 /33', n('mail'), { edns: { options: [[8, '00012100c0000201ff']] } }),
    c('ECS /24 with host bits', n('mail'), { edns: { options: [[8, '00011800c00002ff']] } }),
    c('ECS scope != 0', n('mail'), { edns: { options: [[8, '00011818c00002']] } }),
    c('ECS /0', n('mail'), { edns: { options: [[8, '00010000']] } }),
    c('ECS valid /24', n('mail'), { edns: { options: [[8, '00011800c00002']] } }),
    c('COOKIE client only', n('mail'), { edns: { options: [[10, '0102030405060708']] } }),
    c('COOKIE client+server', n('mail'), { edns: { options: [[10, '01020304050607080011223344556677']] } }),
    c('COOKIE + opcode 15 (NOTIMP)', n('mail'), { opcode: 15, edns: { ...e0, options: [[10, '0102030405060708']] } }),
    c('COOKIE + EDNS version 1 (BADVERS)', n('mail'), { edns: { version: 1, options: [[10, '0102030405060708']] } }),
    c('COOKIE + QDCOUNT 2 (FORMERR)', n('mail'), { qdcount: 2, edns: { ...e0, options: [[10, '0102030405060708']] } }),
    c('COOKIE + bad ECS (FORMERR)', n('mail'), {
      edns: {
        ...e0,
        options: [
          [10, '0102030405060708'],
          [8, '00031800c00002'],
        ],
      },
    }),
    c('COOKIE + class CH (REFUSED)', n('mail'), { qclass: 3, edns: { ...e0, options: [[10, '0102030405060708']] } }),
    c('COOKIE 7 bytes', n('mail'), { edns: { options: [[10, '01020304050607']] } }),
    c('COOKIE 12 bytes', n('mail'), { edns: { options: [[10, '010203040506070801020304']] } }),
    c('COOKIE 41 bytes', n('mail'), { edns: { options: [[10, '00'.repeat(41)]] } }),
    c('RD set', n('mail'), { rd: true }),
    c('CD set', n('mail'), { cd: true }),
    c('RD+CD, opcode 15 (NOTIMP)', n('mail'), { opcode: 15, rd: true, cd: true }),
    c('RD+CD, opcode 15 + EDNS (NOTIMP)', n('mail'), { opcode: 15, rd: true, cd: true, edns: e0 }),
    c('RD+CD, opcode IQUERY (1)', n('mail'), { opcode: 1, rd: true, cd: true }),
    c('RD+CD, opcode NOTIFY (4)', apex, { opcode: 4, type: 6, rd: true, cd: true }),
    c('RD+CD, QDCOUNT 2 (FORMERR)', n('mail'), { qdcount: 2, rd: true, cd: true }),
    c('RD+CD, bad ECS (FORMERR)', n('mail'), { rd: true, cd: true, edns: { options: [[8, '00031800c00002']] } }),
    c('RD+CD, EDNS version 1 (BADVERS)', n('mail'), { rd: true, cd: true, edns: { version: 1 } }),
    c('RD+CD, class CH (REFUSED)', n('mail'), { qclass: 3, rd: true, cd: true }),
    c('QDCOUNT 0', n('mail'), { qdcount: 0 }),
    c('QDCOUNT 0 + EDNS', n('mail'), { qdcount: 0, edns: e0 }),
    c('QDCOUNT 2', n('mail'), { qdcount: 2 }),
    c('QDCOUNT 0 + COOKIE (RFC 7873 §5.4)', n('mail'), {
      qdcount: 0,
      edns: { ...e0, options: [[10, '0102030405060708']] },
    }),
    c('mixed case', 'MaIl.GeO.eXaMpLe.CoM', {}),
    c('AD set in query', n('mail'), { extraFlags: 0x0020 }),
    c('label of 64 bytes', '', {
      rawLabels: [Buffer.alloc(64, 0x61), Buffer.from('geo'), Buffer.from('example'), Buffer.from('com')],
    }),
    { name: 'trailing garbage after the question', packets: [Buffer.concat([query(n('mail')), Buffer.from('junk')])] },
    { name: 'ARCOUNT 1, no record', packets: [withCounts(query(n('mail')), { ar: 1 })] },
    { name: 'question cut short', packets: [query(n('mail')).subarray(0, 20)] },
    {
      name: 'compression pointer in question',
      packets: [
        Buffer.concat([
          withCounts(query('', { rawLabels: [] }).subarray(0, 12), {}),
          Buffer.from([0xc0, 12, 0, 1, 0, 1]),
        ]),
      ],
    },
    { name: 'TSIG with unknown key', packets: [withTsig(query(n('mail')))] },
    c('escaped byte in label (NXDOMAIN)', '', {
      rawLabels: ['a.b', 'geo', 'example', 'com'].map((l) => Buffer.from(l)),
    }),
    c('NUL byte in label (NXDOMAIN)', '', {
      rawLabels: [Buffer.from([0x61, 0x00]), Buffer.from('geo'), Buffer.from('example'), Buffer.from('com')],
    }),
    c('root SOA', '', { type: 6 }),
    c('name in no zone', 'example.org', {}),
    c('parent of apex', 'example.com', {}),
    c('big TXT, no EDNS (512)', n('big'), { type: 16 }),
    c('big TXT, bufsize 512', n('big'), { type: 16, edns: { udpSize: 512 } }),
    c('big TXT, bufsize 1232', n('big'), { type: 16, edns: e0 }),
    c('big TXT over TCP', n('big'), { type: 16 }, { tcp: true }),
    c('apex NS, bufsize 512 (additional trimmed?)', apex, { type: 2, edns: { udpSize: 512 } }),
    {
      name: 'TCP pipelined (3 queries)',
      tcp: true,
      packets: [query(n('mail'), { id: 1 }), query(n('nope'), { id: 2 }), query(apex, { id: 3, type: 6 })],
    },
  ];
}

async function run(port: number, item: Case): Promise<string> {
  if (item.tcp) {
    const replies = await sendTcp(port, item.packets);
    if (replies.length === 0) return 'no reply';
    return replies.map((r) => `id ${r.readUInt16BE(0)}: ${summarize(r, item.routed ?? false)}`).join(' ‖ ');
  }
  return summarize(await sendUdp(port, item.packets[0] as Buffer), item.routed ?? false);
}

async function main(argv: string[]): Promise<void> {
  const [apex, knotPort, geodnsPort] = argv;
  if (!apex || !knotPort || !geodnsPort) {
    process.stderr.write('usage: node scripts/compare-knot-cases.ts APEX KNOT_PORT GEODNS_PORT\n');
    process.exit(2);
  }
  const cell = (text: string) => text.replace(/[|*_]/g, (c) => `\\${c}`);
  const filter = process.env.CASE;
  process.stdout.write('| case | knot | geodns | verdict |\n|---|---|---|---|\n');
  let differ = 0;
  for (const item of cases(apex)) {
    if (filter && !item.name.includes(filter)) continue;
    const knot = await run(Number(knotPort), item);
    const geodns = await run(Number(geodnsPort), item);
    const same = knot === geodns;
    if (!same) differ++;
    process.stdout.write(
      `| ${cell(item.name)} | ${cell(knot)} | ${same ? '(same)' : cell(geodns)} | ${same ? 'same' : 'differs'} |\n`,
    );
  }
  process.stderr.write(`${differ} case(s) differ\n`);
}

await main(process.argv.slice(2));
