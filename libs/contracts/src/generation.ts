import { EparaError } from './errors';

/** Body of a text-generation request (JSON), on HTTP and NATS alike. */
export interface GenerationInput {
  prompt: string;
  /** Tokens to generate at most. Default 32. */
  maxTokens: number;
  stop?: string[];
  /** 0 (default) is greedy. */
  temperature?: number;
  /** Stream tokens as they come (SSE over HTTP; a message per token over NATS). */
  stream: boolean;
}

/** Validates a generation body (`{"prompt", "max_tokens"|"maxTokens", "stop", "temperature", "stream"}`). */
export function parseGenerationInput(body: Uint8Array): GenerationInput {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8'));
  } catch (e) {
    throw EparaError.badInput(`body is not valid JSON: ${(e as Error).message}; send {"prompt": "...", "max_tokens": 32}`);
  }
  if (typeof doc !== 'object' || doc === null || typeof doc.prompt !== 'string' || doc.prompt.length === 0) {
    throw EparaError.badInput('"prompt" must be a non-empty string', { field: 'prompt' });
  }
  const maxTokens = doc.max_tokens ?? doc.maxTokens ?? 32;
  if (!Number.isInteger(maxTokens) || (maxTokens as number) < 1 || (maxTokens as number) > 4096) {
    throw EparaError.badInput('"max_tokens" must be an integer from 1 to 4096', { field: 'max_tokens' });
  }
  const stop = doc.stop === undefined ? undefined : Array.isArray(doc.stop) ? doc.stop : [doc.stop];
  if (stop && !stop.every((s) => typeof s === 'string' && s.length > 0))
    throw EparaError.badInput('"stop" must be a string or an array of non-empty strings', { field: 'stop' });
  const temperature = doc.temperature ?? 0;
  if (typeof temperature !== 'number' || temperature < 0 || temperature > 5)
    throw EparaError.badInput('"temperature" must be a number from 0 to 5', { field: 'temperature' });
  return {
    prompt: doc.prompt,
    maxTokens: maxTokens as number,
    ...(stop ? { stop: stop as string[] } : {}),
    temperature,
    stream: doc.stream === true,
  };
}
