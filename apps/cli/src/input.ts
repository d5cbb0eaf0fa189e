import { readFile } from 'node:fs/promises';
import { extname } from 'node:path';
import { MediaType } from '@epara/contracts';
import { CliError, CliIo } from './cli-io';

/** Media types by file extension, for `--data FILE` without `--content-type`. */
const BY_EXTENSION: Record<string, string> = {
  '.json': MediaType.Json,
  '.msgpack': MediaType.Msgpack,
  '.mpk': MediaType.Msgpack,
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.webp': 'image/webp',
  '.wav': 'audio/wav',
  '.txt': 'text/plain',
};

async function readStdin(io: CliIo): Promise<Uint8Array> {
  if (io.readStdin) return io.readStdin();
  if (process.stdin.isTTY) io.err('reading the body from stdin (end it with Ctrl-D)…');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Reads a file for the CLI; a missing or unreadable file says which and why. */
export async function readInputFile(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no such file'
        : code === 'EISDIR'
          ? 'it is a directory'
          : code === 'EACCES'
            ? 'permission denied'
            : (e as Error).message;
    throw new CliError(`cannot read ${what} ${path}: ${why}`);
  }
}

/** Parses JSON the user wrote, naming where it came from when it is not JSON. */
export function parseUserJson(text: string, where: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new CliError(`${where} is not valid JSON: ${(e as Error).message}`);
  }
}

export interface Body {
  bytes: Uint8Array;
  /** Guessed from the file extension or the first byte; undefined when nothing says. */
  contentType?: string;
}

/**
 * A request body from `--data FILE`, `--data -` (stdin) or an inline argument; an inline `@FILE` (as
 * curl writes it) is the file's bytes, `@@…` a literal text starting with `@`. The content type comes
 * from the extension, else JSON when it starts with `{` or `[`.
 */
export async function readBody(io: CliIo, source: { data?: string; inline?: string }): Promise<Body> {
  if (source.data !== undefined && source.inline !== undefined) throw new CliError('give the body either inline or with --data, not both');
  if (source.inline?.startsWith('@@')) source = { inline: source.inline.slice(1) };
  else if (source.inline?.startsWith('@') && source.inline.length > 1) source = { data: source.inline.slice(1) };
  let bytes: Uint8Array;
  let contentType: string | undefined;
  if (source.data === '-') bytes = await readStdin(io);
  else if (source.data !== undefined) {
    bytes = await readInputFile(source.data, 'body file');
    contentType = BY_EXTENSION[extname(source.data).toLowerCase()];
  } else bytes = Buffer.from(source.inline ?? '', 'utf8');
  if (!contentType && bytes.byteLength > 0) {
    const first = Buffer.from(bytes.buffer, bytes.byteOffset, Math.min(64, bytes.byteLength)).toString('utf8').trimStart()[0];
    if (first === '{' || first === '[') contentType = MediaType.Json;
  }
  return { bytes, contentType };
}
