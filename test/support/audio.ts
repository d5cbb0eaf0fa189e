import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { decodeWav } from '../../libs/kinds/src/audio-vad/audio-codec';

const run = promisify(execFile);

/**
 * Real audio for the audio-vad tests: speech from espeak-ng, resampled to 16 kHz mono 16-bit by sox, and
 * silence or noise made by sox. `npm test` installs both (scripts/lib/os-packages.mjs); a missing tool
 * fails with how to install it, never skips.
 */
async function tool(command: string, args: string[]): Promise<void> {
  try {
    await run(command, args);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(
        `${command} is not installed: the audio-vad tests need espeak-ng and sox (sudo apt-get install espeak-ng sox; npm test installs them as root)`,
      );
    throw e;
  }
}

/** Runs `make(path)` in a fresh temporary directory and returns the WAV it wrote. */
async function made(make: (dir: string, out: string) => Promise<void>): Promise<Buffer> {
  const dir = mkdtempSync(join(tmpdir(), 'epara-audio-'));
  try {
    const out = join(dir, 'out.wav');
    await make(dir, out);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const SOX_16K = ['-r', '16000', '-c', '1', '-b', '16', '-e', 'signed-integer'];

/** `text` spoken by espeak-ng, as a 16 kHz mono 16-bit WAV with `padBeforeS` and `padAfterS` seconds of silence. */
export function speechWav(text: string, padBeforeS: number, padAfterS: number): Promise<Buffer> {
  return made(async (dir, out) => {
    const raw = join(dir, 'speech.wav');
    await tool('espeak-ng', ['-w', raw, text]);
    await tool('sox', [raw, ...SOX_16K, out, 'pad', String(padBeforeS), String(padAfterS)]);
  });
}

/** `seconds` of digital silence, 16 kHz mono 16-bit WAV. */
export function silenceWav(seconds: number): Promise<Buffer> {
  return made((_dir, out) => tool('sox', ['-n', ...SOX_16K, out, 'trim', '0', String(seconds)]));
}

/** `seconds` of pink noise at `volume` (0–1), 16 kHz mono 16-bit WAV. */
export function noiseWav(seconds: number, volume: number): Promise<Buffer> {
  return made((_dir, out) => tool('sox', ['-n', ...SOX_16K, out, 'synth', String(seconds), 'pinknoise', 'vol', String(volume)]));
}

/** A WAV's samples, cut into frames of `frameSamples` (the last one may be shorter). */
export function framesOf(wav: Uint8Array, frameSamples: number): Float32Array[] {
  const samples = decodeWav(wav);
  const frames: Float32Array[] = [];
  for (let at = 0; at < samples.length; at += frameSamples) frames.push(samples.subarray(at, at + frameSamples));
  return frames;
}
