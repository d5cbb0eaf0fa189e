import { randomBytes } from 'node:crypto';

/** Bytes read per step while uploading; progress is told at most once per step. */
const CHUNK_BYTES = 1 << 20;

/**
 * A multipart deploy body (`spec` field + `model` file) as a stream that says how far the upload got:
 * fetch's FormData gives no progress, and a model may be 512 MB. The length is known, so the request
 * carries a Content-Length (the gateway refuses an over-limit upload before reading it).
 */
export function multipartDeploy(
  spec: string,
  model: Uint8Array,
  filename: string,
  onProgress: (sentBytes: number, totalBytes: number) => void,
): { body: ReadableStream<Uint8Array>; headers: Record<string, string> } {
  const boundary = `epara-${randomBytes(12).toString('hex')}`;
  const head = Buffer.from(
    `--${boundary}\r\nContent-Disposition: form-data; name="spec"\r\n\r\n${spec}\r\n` +
      `--${boundary}\r\nContent-Disposition: form-data; name="model"; filename="${filename.replace(/["\r\n]/g, '_')}"\r\n` +
      'Content-Type: application/octet-stream\r\n\r\n',
  );
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`);
  let sent = 0;
  let stage: 'head' | 'model' | 'tail' | 'done' = 'head';
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (stage === 'head') {
        controller.enqueue(head);
        stage = 'model';
      } else if (stage === 'model') {
        const chunk = model.subarray(sent, sent + CHUNK_BYTES);
        controller.enqueue(chunk);
        sent += chunk.byteLength;
        onProgress(sent, model.byteLength);
        if (sent >= model.byteLength) stage = 'tail';
      } else if (stage === 'tail') {
        controller.enqueue(tail);
        stage = 'done';
      } else controller.close();
    },
  });
  return {
    body,
    headers: {
      'content-type': `multipart/form-data; boundary=${boundary}`,
      'content-length': String(head.byteLength + model.byteLength + tail.byteLength),
    },
  };
}
