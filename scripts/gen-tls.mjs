#!/usr/bin/env node
// Makes a local CA and server/client certificates (SAN localhost, 127.0.0.1) for NATS TLS and the
// gateway's HTTPS: `EPARA_TLS=on npm start` uses them; tests make their own.
//
//   node scripts/gen-tls.mjs [--out DIR] [--force]      default DIR: .epara/tls; --force makes new ones
import { fromRoot, runMain, ScriptError, step } from './lib/index.mjs';
import { ensureTlsFiles } from './lib/tls.mjs';

function parse(argv) {
  const o = { out: fromRoot('.epara', 'tls'), force: false };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--force') o.force = true;
    else if (argv[i] === '--out' && argv[i + 1]) o.out = argv[++i];
    else throw new ScriptError(`unknown argument ${argv[i]}: use [--out DIR] [--force]`);
  }
  return o;
}

runMain(async () => {
  const o = parse(process.argv.slice(2));
  const t = ensureTlsFiles(o.out, { force: o.force });
  step(
    `${t.created ? 'made' : 'kept'} the local CA and certificates in ${t.dir}: ca.pem, server.pem/server-key.pem (localhost, 127.0.0.1), client.pem/client-key.pem`,
  );
  return 0;
});
