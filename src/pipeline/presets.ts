import type { Format } from './text-table';
import { quote } from './errors';

/** What netae knows about a public data set's files. */
export interface Preset {
  name: string;
  description: string;
  /** How its files are read: a preset for headerless files supplies the names. */
  read: { header?: boolean; names?: string[]; format?: Format };
  /** Said after the preset's name when a file's field count does not match its names. */
  namesNote?: string;
  /** Label column; optional in a file (unlabelled data can still be scored). */
  label: string;
  /** Label values that mean normal traffic (`*` stands for any text). */
  normal: string[];
  /** Label values of attacks, as `normal`; a label neither names is unlabelled. Default: every other label. */
  attack?: string[];
  /** Column holding the attack category; default: the label itself (or its family). */
  categoryColumn?: string;
  /** Label value → attack category; labels not listed are their own category. */
  families?: Record<string, string>;
  categorical: string[];
  numeric: string[];
  /** Feature columns that some releases of the data set lack: used when a file has them. */
  optional?: string[];
  /** Keep this many most frequent categories per categorical column; the rest count as unseen. */
  maxCategories?: number;
  /** The columns that identify a record, copied into results by default so they can be joined back (`--keep`). */
  keep?: string[];
  /** How its files spell a text field that is unset (Zeek: `-`): a null text value of an Arrow or Parquet file reads as it, so the same records read alike in any format. */
  unset?: string;
}

const NSL_KDD_FEATURES = [
  'duration', 'protocol_type', 'service', 'flag', 'src_bytes', 'dst_bytes', 'land', 'wrong_fragment',
  'urgent', 'hot', 'num_failed_logins', 'logged_in', 'num_compromised', 'root_shell', 'su_attempted',
  'num_root', 'num_file_creations', 'num_shells', 'num_access_files', 'num_outbound_cmds',
  'is_host_login', 'is_guest_login', 'count', 'srv_count', 'serror_rate', 'srv_serror_rate',
  'rerror_rate', 'srv_rerror_rate', 'same_srv_rate', 'diff_srv_rate', 'srv_diff_host_rate',
  'dst_host_count', 'dst_host_srv_count', 'dst_host_same_srv_rate', 'dst_host_diff_srv_rate',
  'dst_host_same_src_port_rate', 'dst_host_srv_diff_host_rate', 'dst_host_serror_rate',
  'dst_host_srv_serror_rate', 'dst_host_rerror_rate', 'dst_host_srv_rerror_rate',
];
const NSL_KDD_CATEGORICAL = ['protocol_type', 'service', 'flag'];

/** NSL-KDD attack → family (attack_types.csv, with the attacks that appear only in KDDTest+). */
const NSL_KDD_FAMILIES: Record<string, string> = {
  back: 'dos', land: 'dos', neptune: 'dos', pod: 'dos', smurf: 'dos', teardrop: 'dos',
  apache2: 'dos', mailbomb: 'dos', processtable: 'dos', udpstorm: 'dos',
  ipsweep: 'probe', nmap: 'probe', portsweep: 'probe', satan: 'probe', mscan: 'probe', saint: 'probe',
  ftp_write: 'r2l', guess_passwd: 'r2l', imap: 'r2l', multihop: 'r2l', phf: 'r2l', spy: 'r2l',
  warezclient: 'r2l', warezmaster: 'r2l', named: 'r2l', sendmail: 'r2l', snmpgetattack: 'r2l',
  snmpguess: 'r2l', worm: 'r2l', xlock: 'r2l', xsnoop: 'r2l', httptunnel: 'r2l',
  buffer_overflow: 'u2r', loadmodule: 'u2r', perl: 'u2r', rootkit: 'u2r', ps: 'u2r',
  sqlattack: 'u2r', xterm: 'u2r',
};

const nslKdd: Preset = {
  name: 'nsl-kdd',
  description: 'NSL-KDD (KDDTrain+/KDDTest+): headerless CSV, 41 features, label, difficulty',
  read: { header: false, names: [...NSL_KDD_FEATURES, 'label', 'difficulty'] },
  namesNote: 'KDD Cup 99 files, without the difficulty column, read with --preset kdd99',
  label: 'label',
  normal: ['normal'],
  families: NSL_KDD_FAMILIES,
  categorical: NSL_KDD_CATEGORICAL,
  numeric: NSL_KDD_FEATURES.filter((name) => !NSL_KDD_CATEGORICAL.includes(name)),
};

/**
 * KDD Cup 1999 (kddcup.data, corrected): NSL-KDD's 41 features and label, labels ending in a full
 * stop, or without it as many copies of the files have them.
 */
const kdd99: Preset = {
  name: 'kdd99',
  description: 'KDD Cup 1999 (kddcup.data, corrected): headerless CSV, 41 features, label (`normal.`, `smurf.`, …, or without the full stop)',
  read: { header: false, names: [...NSL_KDD_FEATURES, 'label'] },
  namesNote: 'NSL-KDD files, with a difficulty column, read with --preset nsl-kdd',
  label: 'label',
  normal: ['normal.', 'normal'],
  families: { ...NSL_KDD_FAMILIES, ...Object.fromEntries(Object.entries(NSL_KDD_FAMILIES).map(([attack, family]) => [`${attack}.`, family])) },
  categorical: NSL_KDD_CATEGORICAL,
  numeric: NSL_KDD_FEATURES.filter((name) => !NSL_KDD_CATEGORICAL.includes(name)),
};

const UNSW_NUMERIC = [
  'dur', 'spkts', 'dpkts', 'sbytes', 'dbytes', 'rate', 'sttl', 'dttl', 'sload', 'dload', 'sloss', 'dloss',
  'sinpkt', 'dinpkt', 'sjit', 'djit', 'swin', 'stcpb', 'dtcpb', 'dwin', 'tcprtt', 'synack', 'ackdat',
  'smean', 'dmean', 'trans_depth', 'response_body_len', 'ct_srv_src', 'ct_state_ttl', 'ct_dst_ltm',
  'ct_src_dport_ltm', 'ct_dst_sport_ltm', 'ct_dst_src_ltm', 'is_ftp_login', 'ct_ftp_cmd',
  'ct_flw_http_mthd', 'ct_src_ltm', 'ct_srv_dst', 'is_sm_ips_ports',
];

const unswNb15: Preset = {
  name: 'unsw-nb15',
  description: 'UNSW-NB15 training/testing-set CSV (id, dur, proto, service, state, …, attack_cat, label; label 0 = normal)',
  read: { header: true },
  label: 'label',
  normal: ['0'],
  categoryColumn: 'attack_cat',
  categorical: ['proto', 'service', 'state'],
  numeric: UNSW_NUMERIC,
};

/** CICFlowMeter columns after trimming; the repeated `Fwd Header Length` is read as `Fwd Header Length.1` and left out. */
const CIC_NUMERIC = [
  'Flow Duration', 'Total Fwd Packets', 'Total Backward Packets', 'Total Length of Fwd Packets',
  'Total Length of Bwd Packets', 'Fwd Packet Length Max', 'Fwd Packet Length Min', 'Fwd Packet Length Mean',
  'Fwd Packet Length Std', 'Bwd Packet Length Max', 'Bwd Packet Length Min', 'Bwd Packet Length Mean',
  'Bwd Packet Length Std', 'Flow Bytes/s', 'Flow Packets/s', 'Flow IAT Mean', 'Flow IAT Std', 'Flow IAT Max',
  'Flow IAT Min', 'Fwd IAT Total', 'Fwd IAT Mean', 'Fwd IAT Std', 'Fwd IAT Max', 'Fwd IAT Min', 'Bwd IAT Total',
  'Bwd IAT Mean', 'Bwd IAT Std', 'Bwd IAT Max', 'Bwd IAT Min', 'Fwd PSH Flags', 'Bwd PSH Flags', 'Fwd URG Flags',
  'Bwd URG Flags', 'Fwd Header Length', 'Bwd Header Length', 'Fwd Packets/s', 'Bwd Packets/s',
  'Min Packet Length', 'Max Packet Length', 'Packet Length Mean', 'Packet Length Std', 'Packet Length Variance',
  'FIN Flag Count', 'SYN Flag Count', 'RST Flag Count', 'PSH Flag Count', 'ACK Flag Count', 'URG Flag Count',
  'CWE Flag Count', 'ECE Flag Count', 'Down/Up Ratio', 'Average Packet Size', 'Avg Fwd Segment Size',
  'Avg Bwd Segment Size', 'Fwd Avg Bytes/Bulk', 'Fwd Avg Packets/Bulk', 'Fwd Avg Bulk Rate',
  'Bwd Avg Bytes/Bulk', 'Bwd Avg Packets/Bulk', 'Bwd Avg Bulk Rate', 'Subflow Fwd Packets', 'Subflow Fwd Bytes',
  'Subflow Bwd Packets', 'Subflow Bwd Bytes', 'Init_Win_bytes_forward', 'Init_Win_bytes_backward',
  'act_data_pkt_fwd', 'min_seg_size_forward', 'Active Mean', 'Active Std', 'Active Max', 'Active Min',
  'Idle Mean', 'Idle Std', 'Idle Max', 'Idle Min',
];

const cicIds2017: Preset = {
  name: 'cic-ids2017',
  description: 'CIC-IDS2017 CICFlowMeter CSV (MachineLearningCSV or GeneratedLabelledFlows; Label BENIGN = normal; Destination Port when present)',
  read: { header: true },
  label: 'Label',
  normal: ['BENIGN'],
  categorical: ['Destination Port'],
  numeric: CIC_NUMERIC,
  optional: ['Destination Port'],
  maxCategories: 32,
};

const ctu13: Preset = {
  name: 'ctu-13',
  description: 'CTU-13 (Argus bidirectional flows, .binetflow): labels holding Normal are normal traffic, those holding Botnet attacks, the others (Background) neither',
  read: { header: true },
  label: 'Label',
  normal: ['*Normal*'],
  attack: ['*Botnet*'],
  categorical: ['Proto', 'Dir', 'State', 'Dport'],
  numeric: ['Dur', 'sTos', 'dTos', 'TotPkts', 'TotBytes', 'SrcBytes'],
  optional: ['sTos', 'dTos'],
  maxCategories: 32,
  keep: ['StartTime', 'SrcAddr', 'Sport', 'DstAddr', 'Dport'],
};

const ZEEK_NUMERIC = [
  'duration', 'orig_bytes', 'resp_bytes', 'missed_bytes', 'orig_pkts', 'orig_ip_bytes', 'resp_pkts', 'resp_ip_bytes',
];

const zeekConn: Preset = {
  name: 'zeek-conn',
  description: 'Zeek conn.log (TSV with #fields), optionally with a `label` column: `normal` or an attack name, as the synthetic generator writes; or IoT-23\'s `Benign` or `Malicious`, with its `detailed-label` as the attack category',
  read: {},
  label: 'label',
  normal: ['normal', 'Benign', 'benign'],
  categoryColumn: 'detailed-label',
  categorical: ['proto', 'service', 'conn_state', 'history', 'id.resp_p'],
  numeric: ZEEK_NUMERIC,
  maxCategories: 32,
  keep: ['uid', 'ts', 'id.orig_h', 'id.orig_p', 'id.resp_h', 'id.resp_p'],
  unset: '-',
};

export const PRESETS: readonly Preset[] = [nslKdd, kdd99, unswNb15, cicIds2017, ctu13, zeekConn];

export const presetNames: readonly string[] = PRESETS.map((p) => p.name);

/** The preset of that name; an Error listing the known ones otherwise. */
export function getPreset(name: string): Preset {
  const preset = PRESETS.find((p) => p.name === name);
  if (preset === undefined) throw new Error(`unknown preset ${quote(name)}; known presets: ${presetNames.join(', ')}`);
  return preset;
}
