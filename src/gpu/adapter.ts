/** What an adapter says of itself, and its name as people and files read it. */
export interface AdapterReport {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  backend: string;
  isFallbackAdapter: boolean;
}

/** Whether the adapter runs on the CPU (lavapipe, SwiftShader, WARP, any fallback adapter). */
export function runsOnCpu(report: AdapterReport): boolean {
  const text = `${report.vendor} ${report.architecture} ${report.device} ${report.description}`.toLowerCase();
  return report.isFallbackAdapter || /llvmpipe|lavapipe|swiftshader|software|warp/.test(text);
}

/** The adapter as people read it: its description, else its device, else its vendor and architecture. */
export function adapterTitle(report: Pick<AdapterReport, 'description' | 'device' | 'vendor'> & Partial<Pick<AdapterReport, 'architecture'>>): string {
  return report.description || report.device || [report.vendor, report.architecture].filter(Boolean).join(' ') || 'unknown adapter';
}

/** One short name for the adapter, for file names and tables. */
export function adapterName(report: AdapterReport): string {
  return adapterTitle(report).split(/[:(]/)[0].trim() || 'unknown-adapter';
}
