import { table, type ColumnTable } from 'arquero';
import { Rng } from './rng';

export const ATTACK_KINDS = ['port_scan', 'syn_flood', 'ssh_bruteforce', 'exfiltration', 'dns_tunnel'] as const;
type AttackKind = (typeof ATTACK_KINDS)[number];

export interface TrafficOptions {
  rows: number;
  /** Same seed, same records (default 1). */
  seed?: number;
  /** Share of rows that are attacks, spread at random positions (default 0.1). */
  attackFraction?: number;
  /** Attack kinds to draw from, equally often (default all). */
  attacks?: readonly AttackKind[];
  /** Timestamp of the first record, in epoch seconds (default 1,700,000,000). */
  start?: number;
}

/** One connection as Zeek's conn.log records it; NaN is Zeek's unset field (`-`). */
interface Flow {
  orig_h: string;
  orig_p: number;
  resp_h: string;
  resp_p: number;
  proto: 'tcp' | 'udp';
  service: string;
  duration: number;
  orig_bytes: number;
  resp_bytes: number;
  conn_state: string;
  missed_bytes: number;
  history: string;
  orig_pkts: number;
  orig_ip_bytes: number;
  resp_pkts: number;
  resp_ip_bytes: number;
}

const NUMBER_COLUMNS = [
  'ts', 'id.orig_p', 'id.resp_p', 'duration', 'orig_bytes', 'resp_bytes', 'missed_bytes',
  'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes',
] as const;
const TEXT_COLUMNS = ['uid', 'id.orig_h', 'id.resp_h', 'proto', 'service', 'conn_state', 'history', 'label'] as const;

/** conn.log column order, then `label`. */
export const TRAFFIC_COLUMNS = [
  'ts', 'uid', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p', 'proto', 'service', 'duration',
  'orig_bytes', 'resp_bytes', 'conn_state', 'missed_bytes', 'history', 'orig_pkts', 'orig_ip_bytes',
  'resp_pkts', 'resp_ip_bytes', 'label',
] as const;

/**
 * Labelled flow records in the Zeek conn.log shape. Normal traffic: web (HTTP and TLS, with
 * heavy-tailed response sizes, some uploads and keep-alive idling), DNS, mail (SMTP, IMAPS), SSH
 * (interactive sessions, git/scp transfers), NTP, and a few failed connections. Attacks: port
 * scan, SYN flood, SSH brute force, data exfiltration over TLS/HTTP, DNS tunnelling; each overlaps
 * some normal traffic in part, so they are detectable but not trivially.
 */
export function generateTraffic(options: TrafficOptions): ColumnTable {
  const { rows, seed = 1, attackFraction = 0.1, attacks = ATTACK_KINDS, start = 1_700_000_000 } = options;
  if (!Number.isInteger(rows) || rows < 0) throw new Error(`rows must be a non-negative integer, got ${rows}`);
  if (!(attackFraction >= 0 && attackFraction <= 1)) throw new Error(`attackFraction must be within 0–1, got ${attackFraction}`);
  if (attacks.length === 0 && attackFraction > 0) throw new Error('attackFraction > 0 needs at least one attack kind');
  const rng = new Rng(seed);
  const isAttack = attackRows(rng, rows, Math.round(rows * attackFraction));
  const numbers = Object.fromEntries(NUMBER_COLUMNS.map((c) => [c, new Float64Array(rows)])) as Record<(typeof NUMBER_COLUMNS)[number], Float64Array>;
  const texts = Object.fromEntries(TEXT_COLUMNS.map((c) => [c, new Array<string>(rows)])) as Record<(typeof TEXT_COLUMNS)[number], string[]>;
  let ts = start;
  for (let i = 0; i < rows; i++) {
    ts += rng.exponential(0.05);
    const label = isAttack[i] ? rng.pick(attacks) : 'normal';
    const flow = label === 'normal' ? normalFlow(rng) : ATTACKS[label](rng);
    numbers.ts[i] = round(ts, 6);
    numbers['id.orig_p'][i] = flow.orig_p;
    numbers['id.resp_p'][i] = flow.resp_p;
    numbers.duration[i] = round(flow.duration, 6);
    numbers.orig_bytes[i] = flow.orig_bytes;
    numbers.resp_bytes[i] = flow.resp_bytes;
    numbers.missed_bytes[i] = flow.missed_bytes;
    numbers.orig_pkts[i] = flow.orig_pkts;
    numbers.orig_ip_bytes[i] = flow.orig_ip_bytes;
    numbers.resp_pkts[i] = flow.resp_pkts;
    numbers.resp_ip_bytes[i] = flow.resp_ip_bytes;
    texts.uid[i] = uid(rng);
    texts['id.orig_h'][i] = flow.orig_h;
    texts['id.resp_h'][i] = flow.resp_h;
    texts.proto[i] = flow.proto;
    texts.service[i] = flow.service;
    texts.conn_state[i] = flow.conn_state;
    texts.history[i] = flow.history;
    texts.label[i] = label;
  }
  const data: Record<string, Float64Array | string[]> = { ...numbers, ...texts };
  return table(data, [...TRAFFIC_COLUMNS]);
}

function attackRows(rng: Rng, rows: number, count: number): Uint8Array {
  const order = Array.from({ length: rows }, (_, i) => i);
  const marks = new Uint8Array(rows);
  for (let k = 0; k < count; k++) {
    const j = k + Math.floor(rng.next() * (rows - k));
    [order[k], order[j]] = [order[j], order[k]];
    marks[order[k]] = 1;
  }
  return marks;
}

const BASE62 = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz';

function uid(rng: Rng): string {
  let id = 'C';
  for (let k = 0; k < 17; k++) id += BASE62[rng.int(0, 61)];
  return id;
}

function round(value: number, digits: number): number {
  if (!Number.isFinite(value)) return value;
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

const MSS = 1448;
const TCP_HEADER = 52;
const UDP_HEADER = 28;

function client(rng: Rng): string {
  return `10.0.${rng.int(0, 3)}.${rng.int(2, 254)}`;
}

function external(rng: Rng): string {
  return rng.chance(0.5) ? `198.51.100.${rng.int(1, 254)}` : `203.0.113.${rng.int(1, 254)}`;
}

function ephemeral(rng: Rng): number {
  return rng.int(32768, 60999);
}

function clampInt(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, Math.round(value)));
}

interface TcpShape {
  orig_h: string;
  resp_h: string;
  resp_p: number;
  service: string;
  origBytes: number;
  respBytes: number;
  duration: number;
  state?: string;
  history?: string;
}

/** A completed TCP connection: packets from payload sizes (MSS segments, handshake, FIN, ACKs). */
function tcp(rng: Rng, s: TcpShape): Flow {
  const origBytes = Math.max(0, Math.round(s.origBytes));
  const respBytes = Math.max(0, Math.round(s.respBytes));
  const origData = Math.ceil(origBytes / MSS);
  const respData = Math.ceil(respBytes / MSS);
  const origPkts = 3 + origData + Math.ceil(respData / 2) + rng.int(0, 2);
  const respPkts = 2 + respData + Math.ceil(origData / 2) + rng.int(0, 1);
  const [state, history] = s.state === undefined ? closeState(rng) : [s.state, s.history ?? 'ShADadFf'];
  return {
    orig_h: s.orig_h,
    orig_p: ephemeral(rng),
    resp_h: s.resp_h,
    resp_p: s.resp_p,
    proto: 'tcp',
    service: s.service,
    duration: s.duration,
    orig_bytes: origBytes,
    resp_bytes: respBytes,
    conn_state: state,
    missed_bytes: rng.chance(0.004) ? Math.round(rng.lognormal(3000, 1)) : 0,
    history,
    orig_pkts: origPkts,
    orig_ip_bytes: origBytes + origPkts * TCP_HEADER,
    resp_pkts: respPkts,
    resp_ip_bytes: respBytes + respPkts * TCP_HEADER,
  };
}

function closeState(rng: Rng): [string, string] {
  return rng.weighted<[string, string]>([
    [['SF', 'ShADadFf'], 50],
    [['SF', 'ShADadfF'], 25],
    [['SF', 'ShADdaFf'], 12],
    [['RSTO', 'ShADadR'], 5],
    [['RSTR', 'ShADadr'], 4],
    [['S1', 'ShADad'], 2],
    [['SH', 'ShADaF'], 1],
    [['OTH', 'DadA'], 1],
  ]);
}

interface UdpShape {
  orig_h: string;
  resp_h: string;
  resp_p: number;
  service: string;
  origPkts: number;
  respPkts: number;
  origBytes: number;
  respBytes: number;
  duration: number;
}

function udp(rng: Rng, s: UdpShape): Flow {
  const answered = s.respPkts > 0;
  const single = s.origPkts === 1 && !answered;
  return {
    orig_h: s.orig_h,
    orig_p: ephemeral(rng),
    resp_h: s.resp_h,
    resp_p: s.resp_p,
    proto: 'udp',
    service: s.service,
    duration: single ? NaN : s.duration,
    orig_bytes: Math.round(s.origBytes),
    resp_bytes: answered ? Math.round(s.respBytes) : 0,
    conn_state: answered ? 'SF' : 'S0',
    missed_bytes: 0,
    history: answered ? 'Dd' : 'D',
    orig_pkts: s.origPkts,
    orig_ip_bytes: Math.round(s.origBytes) + s.origPkts * UDP_HEADER,
    resp_pkts: s.respPkts,
    resp_ip_bytes: answered ? Math.round(s.respBytes) + s.respPkts * UDP_HEADER : 0,
  };
}

/** A connection that never completed: S0 (no answer) or REJ (reset); single-SYN S0 leaves duration and bytes unset. */
function failed(rng: Rng, s: { orig_h: string; resp_h: string; resp_p: number; state: 'S0' | 'REJ'; synBytes: number; retransmits: boolean }): Flow {
  if (s.state === 'REJ') {
    return {
      orig_h: s.orig_h, orig_p: ephemeral(rng), resp_h: s.resp_h, resp_p: s.resp_p, proto: 'tcp', service: '-',
      duration: rng.lognormal(0.0004, 0.8), orig_bytes: 0, resp_bytes: 0, conn_state: 'REJ', missed_bytes: 0,
      history: 'Sr', orig_pkts: 1, orig_ip_bytes: s.synBytes, resp_pkts: 1, resp_ip_bytes: 40,
    };
  }
  const pkts = s.retransmits ? rng.weighted([[1, 1], [2, 1], [3, 1.2], [4, 0.8]] as const) : 1;
  const single = pkts === 1;
  return {
    orig_h: s.orig_h, orig_p: ephemeral(rng), resp_h: s.resp_h, resp_p: s.resp_p, proto: 'tcp', service: '-',
    duration: single ? NaN : (2 ** pkts - 1) * rng.lognormal(1, 0.05), orig_bytes: single ? NaN : 0,
    resp_bytes: single ? NaN : 0, conn_state: 'S0', missed_bytes: 0, history: 'S', orig_pkts: pkts,
    orig_ip_bytes: pkts * s.synBytes, resp_pkts: 0, resp_ip_bytes: 0,
  };
}

function normalFlow(rng: Rng): Flow {
  return rng.weighted<(r: Rng) => Flow>([
    [web, 52],
    [dns, 26],
    [mail, 8],
    [ssh, 6],
    [ntp, 4],
    [failedNormal, 2.5],
  ])(rng);
}

function web(rng: Rng): Flow {
  const tls = rng.chance(0.75);
  const upload = rng.chance(0.04);
  const origBytes = upload ? rng.lognormal(150_000, 1.6) : rng.lognormal(tls ? 1400 : 520, 0.7);
  const respBytes = Math.min(2e9, rng.lognormal(upload ? 1500 : 14_000, upload ? 0.8 : 1.9));
  const rtt = rng.lognormal(0.04, 0.7);
  const throughput = rng.lognormal(3e6, 1.0);
  const idle = rng.chance(0.35) ? rng.exponential(12) : 0;
  const duration = rtt * (3 + rng.int(0, 4)) + (origBytes + respBytes) / throughput + idle;
  return tcp(rng, {
    orig_h: client(rng), resp_h: external(rng), resp_p: tls ? 443 : 80, service: tls ? 'ssl' : 'http',
    origBytes, respBytes, duration,
  });
}

function dns(rng: Rng): Flow {
  const retries = rng.chance(0.04) ? rng.int(1, 2) : 0;
  const answered = rng.chance(0.96);
  const query = clampInt(rng.lognormal(38, 0.25), 17, 120);
  return udp(rng, {
    orig_h: client(rng), resp_h: rng.pick(['10.0.0.53', '10.0.0.54']), resp_p: 53, service: 'dns',
    origPkts: 1 + retries, respPkts: answered ? 1 + (retries > 0 && rng.chance(0.5) ? 1 : 0) : 0,
    origBytes: query * (1 + retries), respBytes: clampInt(rng.lognormal(120, 0.6), 30, 1400),
    duration: rng.lognormal(0.02, 1.0) * (1 + retries),
  });
}

function mail(rng: Rng): Flow {
  if (rng.chance(0.55)) {
    return tcp(rng, {
      orig_h: client(rng), resp_h: '10.0.0.25', resp_p: rng.pick([25, 587]), service: 'smtp',
      origBytes: rng.lognormal(25_000, 1.6), respBytes: rng.lognormal(620, 0.3), duration: rng.lognormal(1.5, 0.8),
    });
  }
  return tcp(rng, {
    orig_h: client(rng), resp_h: '10.0.0.26', resp_p: 993, service: 'ssl',
    origBytes: rng.lognormal(1500, 0.7), respBytes: rng.lognormal(40_000, 1.8), duration: rng.lognormal(30, 1.5),
  });
}

function ssh(rng: Rng): Flow {
  const server = rng.pick(['10.0.0.22', '10.0.0.23', '10.0.5.10']);
  if (rng.chance(0.55)) {
    const origBytes = rng.lognormal(30_000, 1.2);
    const respBytes = rng.lognormal(150_000, 1.5);
    const flow = tcp(rng, { orig_h: client(rng), resp_h: server, resp_p: 22, service: 'ssh', origBytes, respBytes, duration: rng.lognormal(600, 1.2) });
    const origPkts = flow.orig_pkts + Math.ceil(origBytes / rng.lognormal(90, 0.4));
    const respPkts = flow.resp_pkts + Math.ceil(origBytes / rng.lognormal(120, 0.4));
    return { ...flow, orig_pkts: origPkts, orig_ip_bytes: flow.orig_bytes + origPkts * TCP_HEADER, resp_pkts: respPkts, resp_ip_bytes: flow.resp_bytes + respPkts * TCP_HEADER };
  }
  const upload = rng.chance(0.2);
  return tcp(rng, {
    orig_h: client(rng), resp_h: server, resp_p: 22, service: 'ssh',
    origBytes: upload ? rng.lognormal(5e6, 1.5) : rng.lognormal(4000, 0.6),
    respBytes: upload ? rng.lognormal(6000, 0.5) : rng.lognormal(200_000, 1.8),
    duration: rng.lognormal(3, 1.2),
  });
}

function ntp(rng: Rng): Flow {
  return udp(rng, {
    orig_h: client(rng), resp_h: rng.pick(['10.0.0.123', '203.0.113.123']), resp_p: 123, service: 'ntp',
    origPkts: 1, respPkts: 1, origBytes: 48, respBytes: 48, duration: rng.lognormal(0.015, 0.5),
  });
}

function failedNormal(rng: Rng): Flow {
  return failed(rng, {
    orig_h: client(rng), resp_h: external(rng), resp_p: rng.pick([443, 443, 80, 22, 993]),
    state: rng.chance(0.7) ? 'S0' : 'REJ', synBytes: 60, retransmits: true,
  });
}

const COMMON_PORTS = [21, 22, 23, 25, 53, 80, 110, 135, 139, 143, 443, 445, 993, 1433, 3306, 3389, 5432, 5900, 8080, 8443];

const ATTACKS: Record<AttackKind, (rng: Rng) => Flow> = {
  port_scan(rng) {
    const port = rng.chance(0.3) ? rng.pick(COMMON_PORTS) : rng.int(1, 65535);
    const orig_h = rng.pick(['192.0.2.66', '192.0.2.67']);
    const resp_h = `10.0.${rng.int(0, 1)}.${rng.int(2, 40)}`;
    const kind = rng.weighted([['REJ', 55], ['S0', 35], ['open', 10]] as const);
    if (kind !== 'open') return failed(rng, { orig_h, resp_h, resp_p: port, state: kind, synBytes: 44, retransmits: false });
    return {
      orig_h, orig_p: ephemeral(rng), resp_h, resp_p: port, proto: 'tcp', service: '-',
      duration: rng.lognormal(0.0008, 0.6), orig_bytes: 0, resp_bytes: 0, conn_state: 'RSTO', missed_bytes: 0,
      history: 'ShR', orig_pkts: 2, orig_ip_bytes: 84, resp_pkts: 1, resp_ip_bytes: 44,
    };
  },
  syn_flood(rng) {
    return failed(rng, {
      orig_h: `${rng.int(1, 223)}.${rng.int(0, 255)}.${rng.int(0, 255)}.${rng.int(1, 254)}`,
      resp_h: '10.0.1.10', resp_p: rng.chance(0.8) ? 80 : 443, state: 'S0', synBytes: 40, retransmits: false,
    });
  },
  ssh_bruteforce(rng) {
    const rejected = rng.chance(0.2);
    return tcp(rng, {
      orig_h: rng.pick(['192.0.2.101', '192.0.2.102', '192.0.2.103']), resp_h: rng.pick(['10.0.0.22', '10.0.0.23']),
      resp_p: 22, service: 'ssh', origBytes: rng.lognormal(2200, 0.15), respBytes: rng.lognormal(3200, 0.15),
      duration: rng.lognormal(3, 0.5), state: rejected ? 'RSTO' : 'SF', history: rejected ? 'ShAdDaR' : 'ShAdDaFf',
    });
  },
  exfiltration(rng) {
    const tls = rng.chance(0.8);
    return tcp(rng, {
      orig_h: rng.pick(['10.0.2.77', '10.0.3.15']), resp_h: '203.0.113.200', resp_p: tls ? 443 : 80,
      service: tls ? 'ssl' : 'http', origBytes: rng.lognormal(40e6, 1.0), respBytes: rng.lognormal(20_000, 0.8),
      duration: rng.lognormal(120, 0.8),
    });
  },
  dns_tunnel(rng) {
    const single = rng.chance(0.1);
    const pkts = single ? 1 : clampInt(rng.lognormal(300, 0.8), 2, 20_000);
    const origPkts = pkts;
    const respPkts = single ? 1 : Math.max(1, pkts - rng.int(0, Math.ceil(pkts * 0.05)));
    return udp(rng, {
      orig_h: '10.0.3.44', resp_h: '10.0.0.53', resp_p: 53, service: 'dns', origPkts, respPkts,
      origBytes: origPkts * rng.int(140, 240), respBytes: respPkts * rng.int(220, 420),
      duration: single ? rng.lognormal(0.03, 0.8) : pkts * rng.lognormal(0.1, 0.5),
    });
  },
};
