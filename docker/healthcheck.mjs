#!/usr/bin/env node
// Container healthcheck (docker/compose.yaml): exits 0 when GET <url> answers 200 within 2 s, else 1 with
// the reason on stderr, which `docker inspect` shows under State.Health. Node's fetch, because the image
// has no curl or wget.
//
//   node docker/healthcheck.mjs http://127.0.0.1:8080/health/ready
const TIMEOUT_MS = 2000;

const url = process.argv[2];
if (!url) {
  console.error('usage: node docker/healthcheck.mjs URL');
  process.exit(2);
}
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) });
  if (res.status === 200) process.exit(0);
  // The apps' 503 names the reason (NATS down, registry not loaded): keep it for `docker inspect`.
  console.error(`GET ${url}: HTTP ${res.status} ${(await res.text()).slice(0, 300)}`);
} catch (e) {
  console.error(`GET ${url}: ${e.name === 'TimeoutError' ? `no answer within ${TIMEOUT_MS} ms` : (e.cause?.code ?? e.message)}`);
}
process.exit(1);
