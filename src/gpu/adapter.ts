/** What an adapter says of itself, and its name as people and files read it. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: string;
  isFallbackAdapter: boolean;
}

/** The adapter as people read it: its description, else its device, else its vendor and architecture. */
export function adapterTitle(report: Pick<AdapterReport, 'description' | 'device' | 'vendor'> & Partial<Pick<AdapterReport, 'architecture'>>): string {
  return report.description || report.device || [report.vendor, report.architecture].filter(Boolean).join(' ') || 'unknown adapter';
}

/** One short name for the adapter, for file names and tables. */
export function adapterName(report: AdapterReport): string {
  return adapterTitle(report).split(/[:(]/)[0].trim() || 'unknown-adapter';
}
