import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CliIo } from './cli-io';
import { readBody } from './input';

const io = { out: () => undefined, err: () => undefined, env: {} } as unknown as CliIo;

describe('readBody', () => {
  const dir = mkdtempSync(join(tmpdir(), 'epara-cli-'));
  const file = join(dir, 'body.json');
  writeFileSync(file, '{"inputs":[]}');

  it('reads an inline @FILE as the file, the way curl does, with the content type of its extension', async () => {
    const b = await readBody(io, { inline: `@${file}` });
    expect(Buffer.from(b.bytes).toString()).toBe('{"inputs":[]}');
    expect(b.contentType).toBe('application/json');
  });

  it('sends @@text as the literal @text, and plain text as it is', async () => {
    expect(Buffer.from((await readBody(io, { inline: '@@home' })).bytes).toString()).toBe('@home');
    expect(Buffer.from((await readBody(io, { inline: 'hello' })).bytes).toString()).toBe('hello');
  });

  it('names a missing @FILE', async () => {
    await expect(readBody(io, { inline: '@/nope/body.json' })).rejects.toThrow('cannot read body file /nope/body.json: no such file');
  });
});
