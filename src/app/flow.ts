/**
 * The fields that tell an analyst which flow a record is, found by the names that Zeek,
 * CICFlowMeter, Argus/UNSW-NB15, NSL-KDD and common CSV exports give them: when it started, its
 * id, who talked to whom (`host:port → host:port`), and its protocol and service.
 */
export interface FlowColumns {
  readonly time: string | null;
  readonly id: string | null;
  readonly origin: { readonly host: string; readonly port: string | null } | null;
  readonly responder: { readonly host: string; readonly port: string | null } | null;
  readonly proto: string | null;
  readonly service: string | null;
}

const NAMES: Record<'time' | 'id' | 'originHost' | 'originPort' | 'responderHost' | 'responderPort' | 'proto' | 'service', string[]> = {
  time: ['ts', 'timestamp', 'stime', 'start_time', 'starttime'],
  id: ['uid', 'flow id', 'flow_id', 'flowid', 'id'],
  originHost: ['id.orig_h', 'source ip', 'src ip', 'src_ip', 'srcip', 'saddr', 'src_addr', 'src'],
  originPort: ['id.orig_p', 'source port', 'src port', 'src_port', 'sport', 'srcport'],
  responderHost: ['id.resp_h', 'destination ip', 'dst ip', 'dst_ip', 'dstip', 'daddr', 'dst_addr', 'dst'],
  responderPort: ['id.resp_p', 'destination port', 'dst port', 'dst_port', 'dsport', 'dport', 'dstport'],
  proto: ['proto', 'protocol', 'protocol_type'],
  service: ['service'],
};

/** The flow columns a file has, matched by name regardless of case and surrounding spaces. */
export function flowColumns(columns: readonly string[]): FlowColumns {
  const byName = new Map(columns.map((c) => [c.trim().toLowerCase(), c]));
  const find = (names: string[]) => names.map((n) => byName.get(n)).find((c) => c !== undefined) ?? null;
  const originHost = find(NAMES.originHost);
  const responderHost = find(NAMES.responderHost);
  return {
    time: find(NAMES.time),
    id: find(NAMES.id),
    origin: originHost === null ? null : { host: originHost, port: find(NAMES.originPort) },
    responder: responderHost === null ? null : { host: responderHost, port: find(NAMES.responderPort) },
    proto: find(NAMES.proto),
    service: find(NAMES.service),
  };
}

export type FlowPart = 'time' | 'id' | 'endpoints' | 'proto' | 'service';

/** The parts a file has, in the order time, id, endpoints, proto, service, each with the column (or columns) behind it. */
export function flowHeadings(flow: FlowColumns): { readonly part: FlowPart; readonly name: string }[] {
  const endpoint = (end: FlowColumns['origin']) => (end === null ? '?' : end.port === null ? end.host : `${end.host}:${end.port}`);
  const headings: { part: FlowPart; name: string }[] = [];
  if (flow.time) headings.push({ part: 'time', name: flow.time });
  if (flow.id) headings.push({ part: 'id', name: flow.id });
  if (flow.origin || flow.responder) headings.push({ part: 'endpoints', name: `${endpoint(flow.origin)} → ${endpoint(flow.responder)}` });
  if (flow.proto) headings.push({ part: 'proto', name: flow.proto });
  if (flow.service) headings.push({ part: 'service', name: flow.service });
  return headings;
}

/** One row's parts under `flowHeadings`; `get(column)` is the row's text in a column. */
export function flowParts(flow: FlowColumns, get: (column: string) => string): string[] {
  const endpoint = (end: FlowColumns['origin']) => {
    if (end === null) return '?';
    const host = get(end.host);
    const port = end.port === null ? '' : get(end.port);
    return port === '' ? host : `${host.includes(':') ? `[${host}]` : host}:${port}`;
  };
  const parts: string[] = [];
  if (flow.time) parts.push(formatTime(get(flow.time)));
  if (flow.id) parts.push(get(flow.id));
  if (flow.origin || flow.responder) parts.push(`${endpoint(flow.origin)} → ${endpoint(flow.responder)}`);
  if (flow.proto) parts.push(get(flow.proto));
  if (flow.service) parts.push(get(flow.service));
  return parts;
}

/** Seconds since 1970 (Zeek's `ts`) as UTC date and time to the millisecond; other text as it is. */
export function formatTime(text: string): string {
  const seconds = Number(text);
  if (text.trim() === '' || !Number.isFinite(seconds) || seconds < 1e8 || seconds > 1e10) return text;
  return new Date(seconds * 1000).toISOString().replace('T', ' ').replace('Z', '');
}
