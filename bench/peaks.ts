import type { AdapterReport } from '../src/gpu/device';

/** A GPU's peak FP32 rate without tensor cores (CUDA cores × 2 × boost clock), as its vendor states it. */
export interface Peak {
  readonly gpu: string;
  readonly fp32Tflops: number;
  readonly source: string;
}

interface PeakEntry extends Peak {
  /** Matched against the adapter's description and device strings, e.g. "NVIDIA H100 80GB HBM3". */
  readonly match: RegExp;
}

const H100_DATASHEET = 'NVIDIA H100 Tensor Core GPU datasheet, https://resources.nvidia.com/en-us-tensor-core/nvidia-tensor-core-gpu-datasheet';
const H200_PAGE = 'NVIDIA H200 Tensor Core GPU, specifications, https://www.nvidia.com/en-us/data-center/h200/';
const A100_DATASHEET = 'NVIDIA A100 Tensor Core GPU datasheet, https://www.nvidia.com/content/dam/en-zz/Solutions/Data-Center/a100/pdf/nvidia-a100-datasheet-us-nvidia-1758950-r4-web.pdf';
const V100_DATASHEET = 'NVIDIA V100 Tensor Core GPU datasheet, https://images.nvidia.com/content/technologies/volta/pdf/volta-v100-datasheet-update-us-1165301-r5.pdf';
const ADA_WHITEPAPER = 'NVIDIA Ada GPU Architecture whitepaper, https://images.nvidia.com/aem-dam/Solutions/geforce/ada/nvidia-ada-gpu-architecture.pdf';
const GA102_WHITEPAPER = 'NVIDIA Ampere GA102 GPU Architecture whitepaper, https://www.nvidia.com/content/PDF/nvidia-ampere-ga-102-gpu-architecture-whitepaper-v2.pdf';

/** Most specific names first: the first entry that matches wins. */
const PEAKS: readonly PeakEntry[] = [
  { gpu: 'NVIDIA H100 NVL', match: /\bH100\b.*\bNVL\b/i, fp32Tflops: 60, source: H100_DATASHEET },
  { gpu: 'NVIDIA H100 PCIe', match: /\bH100\b.*\bPCIe\b/i, fp32Tflops: 51, source: H100_DATASHEET },
  { gpu: 'NVIDIA H100 SXM5', match: /\bH100\b/i, fp32Tflops: 67, source: H100_DATASHEET },
  { gpu: 'NVIDIA H200 NVL', match: /\bH200\b.*\bNVL\b/i, fp32Tflops: 60, source: H200_PAGE },
  { gpu: 'NVIDIA H200 SXM', match: /\bH200\b/i, fp32Tflops: 67, source: H200_PAGE },
  { gpu: 'NVIDIA A100', match: /\bA100\b/i, fp32Tflops: 19.5, source: A100_DATASHEET },
  { gpu: 'NVIDIA L40S', match: /\bL40S\b/i, fp32Tflops: 91.6, source: 'NVIDIA L40S GPU, specifications, https://www.nvidia.com/en-us/data-center/l40s/' },
  { gpu: 'NVIDIA L40', match: /\bL40\b/i, fp32Tflops: 90.5, source: 'NVIDIA L40 GPU datasheet, https://www.nvidia.com/en-us/data-center/l40/' },
  { gpu: 'NVIDIA L4', match: /\bL4\b/i, fp32Tflops: 30.3, source: 'NVIDIA L4 Tensor Core GPU, specifications, https://www.nvidia.com/en-us/data-center/l4/' },
  { gpu: 'NVIDIA A10', match: /\bA10\b/i, fp32Tflops: 31.2, source: 'NVIDIA A10 Tensor Core GPU, specifications, https://www.nvidia.com/en-us/data-center/products/a10-gpu/' },
  { gpu: 'NVIDIA T4', match: /\bT4\b/i, fp32Tflops: 8.1, source: 'NVIDIA T4 Tensor Core GPU, specifications, https://www.nvidia.com/en-us/data-center/tesla-t4/' },
  { gpu: 'NVIDIA V100 PCIe', match: /\bV100\b.*\bPCIe\b/i, fp32Tflops: 14, source: V100_DATASHEET },
  { gpu: 'NVIDIA V100 SXM2', match: /\bV100\b/i, fp32Tflops: 15.7, source: V100_DATASHEET },
  { gpu: 'NVIDIA GeForce RTX 4090', match: /\bRTX 4090\b/i, fp32Tflops: 82.6, source: ADA_WHITEPAPER },
  { gpu: 'NVIDIA GeForce RTX 3090', match: /\bRTX 3090\b(?! Ti)/i, fp32Tflops: 35.6, source: GA102_WHITEPAPER },
];

/** The peak of the adapter's GPU, or null where the table does not know it. */
export function peakFor(adapter: Pick<AdapterReport, 'description' | 'device'>): Peak | null {
  const text = `${adapter.description} ${adapter.device}`;
  const entry = PEAKS.find((p) => p.match.test(text));
  return entry ? { gpu: entry.gpu, fp32Tflops: entry.fp32Tflops, source: entry.source } : null;
}
