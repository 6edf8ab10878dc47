import { describe, expect, it } from 'vitest';
import { parseDataset } from '../../src/pipeline/dataset';

/** A generic CSV with an id per row, two address columns, a UUID, a time of day and ordinary features. */
function flows(rows: number): string {
  const lines = ['flow_id,src,dst,mac,session,clock,proto,service,bytes,verdict'];
  for (let i = 0; i < rows; i++) {
    const session = `${(0x10000000 + i).toString(16)}-0000-4000-8000-${(i * 7919).toString(16).padStart(12, '0')}`;
    const clock = `${String(i % 12).padStart(2, '0')}:30:00`;
    lines.push([`F${i}x${(i * 31) % 97}`, `10.0.${i % 3}.${i % 200}`, i % 2 ? '2001:db8::1' : `192.168.1.${i % 9}`,
      `00:1a:2b:3c:4d:${(i % 256).toString(16).padStart(2, '0')}`, session, clock, i % 3 ? 'tcp' : 'udp',
      ['http', 'dns', 'ssh'][i % 3], 100 + ((i * 37) % 500), i % 10 ? 'ok' : 'bad'].join(','));
  }
  return `${lines.join('\n')}\n`;
}

describe('identifier-like columns of a generic file', () => {
  it('are left out with the reason: nearly unique per row, addresses, UUIDs', () => {
    const data = parseDataset(flows(200), { label: 'verdict', normal: 'ok' }, 'flows.csv');
    expect(data.schema.leftOut).toEqual([
      { column: 'flow_id', reason: '200 distinct values in 200 rows' },
      { column: 'src', reason: 'addresses' },
      { column: 'dst', reason: 'addresses' },
      { column: 'mac', reason: 'addresses' },
      { column: 'session', reason: 'UUIDs' },
    ]);
    expect(data.schema.features.categorical).toEqual(['clock', 'proto', 'service']);
    expect(data.schema.features.numeric).toEqual(['bytes']);
  });

  it('are judged on the fields that hold a value: a missing spelling (`-`, `---`, `NA`) is none', () => {
    const gaps = ['-', '---', 'NA', '?'];
    const text = flows(200).replace(/^([^,]*,)(10\.0\.[^,]*)/gm, (line, first: string, src: string) => (Number(src.split('.')[3]) % 3 === 0 ? `${first}${gaps[Number(src.split('.')[3]) % 4]}` : line));
    expect(text).toContain(',---,');
    expect(parseDataset(text, { label: 'verdict', normal: 'ok' }, 'flows.csv').schema.leftOut).toContainEqual({ column: 'src', reason: 'addresses' });
  });

  it('are left out when they say when a record was or number it, numbers or text: times by name, dates by their values', () => {
    const lines = ['pkSeqID,ts,Timestamp,when,proto,bytes,label'];
    for (let i = 0; i < 200; i++) {
      lines.push([i + 1, 1_700_000_000 + i, `14/02/2018 08:${String(Math.floor(i / 20)).padStart(2, '0')}:00`, `2018-02-14 08:0${i % 5}`, i % 3 ? 'tcp' : 'udp', 100 + ((i * 37) % 500), 'n'].join(','));
    }
    const data = parseDataset(`${lines.join('\n')}\n`, { label: 'label', normal: 'n' }, 'times.csv');
    expect(data.schema.leftOut).toEqual([
      { column: 'pkSeqID', reason: 'a record number' },
      { column: 'ts', reason: 'a time, when a record was rather than what' },
      { column: 'Timestamp', reason: 'a time, when a record was rather than what' },
      { column: 'when', reason: 'dates and times' },
    ]);
    expect(data.schema.features.categorical).toEqual(['proto']);
    expect(data.schema.features.numeric).toEqual(['bytes']);
    const kept = parseDataset(`${lines.join('\n')}\n`, { label: 'label', normal: 'n', log1p: ['ts'] }, 'times.csv');
    expect(kept.schema.features.numeric).toContain('ts');
  });

  it('are left out when numbers count the rows (an index saved in order), or are pandas\' index, by name or as an unnamed first column', () => {
    const lines = [',Unnamed: 0,Unnamed: 0.1,seq,started,bytes,label'];
    for (let i = 0; i < 40; i++) lines.push([(i * 17) % 40, i, (i * 7) % 40, 5 + i, (1_700_000_000 + i * 0.37).toFixed(2), i % 2 ? 40 : 1500, 'n'].join(','));
    const data = parseDataset(`${lines.join('\n')}\n`, { label: 'label', normal: 'n' }, 'saved.csv');
    expect(data.schema.leftOut).toEqual([
      { column: 'column1', reason: 'an index: an unnamed first column of distinct whole numbers' },
      { column: 'Unnamed: 0', reason: 'a record number' },
      { column: 'Unnamed: 0.1', reason: 'a record number' },
      { column: 'seq', reason: 'a record number: it counts the rows' },
    ]);
    expect(data.schema.features.numeric).toEqual(['started', 'bytes']);
  });

  it('keep numbers that only rise or repeat when they do not count the rows: a file sorted by a measure, a sampled counter with a gap', () => {
    const sorted = parseDataset(`bytes,rate,label\n${Array.from({ length: 40 }, (_, i) => `${100 + Math.floor(i / 2)},${(i * 1.5).toFixed(1)},n`).join('\n')}\n`, { label: 'label', normal: 'n' }, 'sorted.csv');
    expect(sorted.schema.leftOut).toEqual([]);
    expect(sorted.schema.features.numeric).toEqual(['bytes', 'rate']);
    const gap = parseDataset(`seq,label\n${Array.from({ length: 40 }, (_, i) => `${i < 20 ? i : i + 1},n`).join('\n')}\n`, { label: 'label', normal: 'n' }, 'gap.csv');
    expect(gap.schema.features.numeric).toEqual(['seq']);
    const named = parseDataset(`bytes,pkts,label\n${Array.from({ length: 40 }, (_, i) => `${(i * 17) % 40},${i % 3},n`).join('\n')}\n`, { label: 'label', normal: 'n' }, 'named.csv');
    expect(named.schema.leftOut, 'a named first column of distinct whole numbers is a measure').toEqual([]);
    const short = parseDataset(`seq,label\n${Array.from({ length: 31 }, (_, i) => `${i},n`).join('\n')}\n`, { label: 'label', normal: 'n' }, 'short.csv');
    expect(short.schema.features.numeric).toEqual(['seq']);
  });

  it('stay when named with --category, and a small file keeps its few distinct values', () => {
    const kept = parseDataset(flows(200), { label: 'verdict', normal: 'ok', categorical: ['src'] }, 'flows.csv');
    expect(kept.schema.features.categorical).toContain('src');
    expect(kept.schema.leftOut!.map((l) => l.column)).not.toContain('src');
    const small = parseDataset('host,bytes,label\nalpha,1,n\nbeta,2,n\ngamma,3,a\n', { label: 'label', normal: 'n' }, 'small.csv');
    expect(small.schema.leftOut).toEqual([]);
    expect(small.schema.features.categorical).toEqual(['host']);
  });

  it('are not looked for in preset files, whose roles are known', () => {
    const zeek = parseDataset(readSample(), { preset: 'zeek-conn' }, 'test.conn.log');
    expect(zeek.schema.leftOut).toBeUndefined();
  });
});

function readSample(): string {
  return `#separator \\x09\n#fields\tts\tuid\tid.orig_h\tid.orig_p\tid.resp_h\tid.resp_p\tproto\tservice\tduration\torig_bytes\tresp_bytes\tconn_state\tmissed_bytes\thistory\torig_pkts\torig_ip_bytes\tresp_pkts\tresp_ip_bytes
#types\ttime\tstring\taddr\tport\taddr\tport\tenum\tstring\tinterval\tcount\tcount\tstring\tcount\tstring\tcount\tcount\tcount\tcount
1.0\tCa\t10.0.0.1\t1\t10.0.0.2\t80\ttcp\thttp\t1\t1\t1\tSF\t0\tSh\t1\t1\t1\t1
2.0\tCb\t10.0.0.1\t2\t10.0.0.2\t80\tudp\tdns\t2\t2\t2\tS0\t0\tD\t2\t2\t2\t2
`;
}
