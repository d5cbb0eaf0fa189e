import { ModelProfile } from './types';

const MiB = 1024 * 1024;

/**
 * Named profiles from numbers measured on a 2-vCPU machine with onnxruntime-node at 1 intra-op thread
 * (batch-1, 8 and 32 runs of each model). Execution times are measured; memory is an estimate
 * (about 2 × the model file plus the arena, the categorizer's own rule) and so are load times
 * except PP-OCR det/rec (174 / 111 ms measured). Re-measure before trusting absolute memory figures.
 */
export const BUILTIN_PROFILES: Readonly<Record<string, Readonly<ModelProfile>>> = Object.freeze({
  vad: {
    execMsByBatch: { '1': 0.34, '8': 0.8, '32': 2.7 },
    memoryBytes: 16 * MiB,
    loadMs: 40,
    source: 'silero v5, 512 samples at 16 kHz, T=1: exec measured, memory and load estimated',
  },
  ocr_det: {
    execMsByBatch: { '1': 29.9, '8': 314, '32': 1157 },
    memoryBytes: 64 * MiB,
    loadMs: 174,
    source: 'PP-OCRv4 det 320×320, T=1: exec and load measured, memory estimated',
  },
  ocr_det_640: {
    execMsByBatch: { '1': 126.7, '4': 558 },
    memoryBytes: 128 * MiB,
    loadMs: 174,
    source: 'PP-OCRv4 det 640×640, T=1: exec measured, load as det 320 (same file), memory estimated',
  },
  ocr_rec: {
    execMsByBatch: { '1': 31.2, '8': 317, '32': 1412 },
    memoryBytes: 96 * MiB,
    loadMs: 111,
    source: 'PP-OCRv4 rec 48×320, T=1: exec and load measured, memory estimated',
  },
  ocr_cls: {
    execMsByBatch: { '1': 1.8, '8': 11, '32': 47.7 },
    memoryBytes: 8 * MiB,
    loadMs: 30,
    source: 'PP-OCR cls 48×192, T=1: exec measured, memory and load estimated',
  },
  ocr_receipt: {
    execMsByBatch: { '1': 127 },
    memoryBytes: 176 * MiB,
    loadMs: 315,
    source:
      'PP-OCR text recognition of a 3-line image (the ocr kind: det → cls → rec): an estimate from the stage profiles above (det 29.9 ms, cls about 1.8 ms and rec 31.2 ms per line), not a measurement of the chain; the simulator runs it as one unit, not as three pipeline stages',
  },
  ocr_page: {
    execMsByBatch: { '1': 265 },
    memoryBytes: 128 * MiB,
    loadMs: 174,
    source:
      'PP-OCRv4 text detection of a 1920×1280 PNG page on one device, end to end incl. decode and resize (bench:modes, quiet machine, 2026-11-27); the simulator does not model sp, so split requests count as not simulated',
  },
  gpt: {
    execMsByBatch: { '1': 63, '8': 400 },
    memoryBytes: 32 * MiB,
    loadMs: 300,
    source:
      'tiny GPT (d 64, 2 layers, r50k) generating 32 tokens: one request ≈ prefill + 32 decode steps at ≈ 1.9 ms (bench:modes); batch 8 estimated; the simulator runs a generation as one request-level job, not token by token',
  },
  cnn: {
    execMsByBatch: { '1': 0.51, '8': 3.01, '32': 12.26 },
    memoryBytes: 8 * MiB,
    loadMs: 20,
    source: 'synthetic CNN [N,3,64,64], T=1: exec measured, memory and load estimated',
  },
  mlp: {
    execMsByBatch: { '1': 0.138, '8': 0.169, '32': 0.606 },
    memoryBytes: 8 * MiB,
    loadMs: 15,
    source: 'synthetic MLP 256→512→512→10, T=1: exec measured, memory and load estimated',
  },
  oww_embedding: {
    execMsByBatch: { '1': 2.2, '8': 14.4, '32': 60.1 },
    memoryBytes: 8 * MiB,
    loadMs: 30,
    source: 'openWakeWord embedding, T=1: exec measured, memory and load estimated',
  },
});

export const BUILTIN_PROFILE_NAMES = Object.keys(BUILTIN_PROFILES);
