import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { packagesReachable } from './support/require-graph';

// What each built app can load: the scheduler decides from records and kind capabilities (plain data), so
// it must not pull in the native inference stack; the gateway partitions models (onnxruntime) and cuts sp
// images (sharp) but never generates text.
const ROOT = join(__dirname, '..');
const entryOf = (app: string) => join(ROOT, 'dist', 'apps', app, 'apps', app, 'src', 'main.js');

describe('built apps load only what they use', () => {
  beforeAll(() => {
    const missing = ['scheduler', 'gateway', 'worker'].filter((app) => !existsSync(entryOf(app)));
    if (missing.length) throw new Error(`${missing.join(', ')} not built: run \`npx nest build --all\` (npm test builds dist/ first)`);
  });

  it('the worker reaches the whole inference stack (the walk follows the libs)', () => {
    const sut = packagesReachable(entryOf('worker'));

    expect([...sut]).toEqual(expect.arrayContaining(['onnxruntime-node', 'sharp', 'gpt-tokenizer', '@nats-io/transport-node']));
  });

  it('the scheduler reaches neither onnxruntime-node nor sharp', () => {
    const sut = packagesReachable(entryOf('scheduler'));

    expect(sut.has('@nats-io/transport-node')).toBe(true);
    expect([...sut].filter((p) => p === 'onnxruntime-node' || p === 'sharp')).toEqual([]);
  });

  it('the gateway does not reach gpt-tokenizer', () => {
    const sut = packagesReachable(entryOf('gateway'));

    expect(sut.has('onnxruntime-node')).toBe(true);
    expect(sut.has('gpt-tokenizer')).toBe(false);
  });
});
