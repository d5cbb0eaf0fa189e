// A local certificate authority and the certificates signed by it (SAN localhost and 127.0.0.1), for TLS
// on NATS and HTTPS on the gateway in tests and trials. Shells out to openssl; plain Node otherwise.
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ScriptError } from './log.mjs';

const DAYS = '825';

function openssl(args, cwd) {
  const bin = process.env.OPENSSL_BIN || 'openssl';
  const r = spawnSync(bin, args, { cwd, encoding: 'utf8' });
  if (r.error) throw new ScriptError(`${bin} could not run (${r.error.message}): install openssl, or set OPENSSL_BIN`);
  if (r.status !== 0)
    throw new ScriptError(
      `openssl ${args.slice(0, 2).join(' ')} failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' | ')}`,
    );
}

/** A new P-256 key, unencrypted (test and trial certificates). */
const NEW_EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

/** The files under `dir` (all PEM): CA, server (SAN localhost, 127.0.0.1) and client certificate with their keys. */
export function tlsPaths(dir) {
  const d = resolve(dir);
  return {
    dir: d,
    ca: join(d, 'ca.pem'),
    caKey: join(d, 'ca-key.pem'),
    serverCert: join(d, 'server.pem'),
    serverKey: join(d, 'server-key.pem'),
    clientCert: join(d, 'client.pem'),
    clientKey: join(d, 'client-key.pem'),
  };
}

/** A key and a certificate for `cn`, signed by the CA in `p`, with the extensions given. */
function signed(p, name, cn, extensions) {
  const key = join(p.dir, `${name}-key.pem`);
  const csr = join(p.dir, `${name}.csr`);
  const ext = join(p.dir, `${name}.ext`);
  openssl(['req', '-new', ...NEW_EC_KEY, '-keyout', key, '-out', csr, '-subj', `/CN=${cn}`]);
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  openssl([
    'x509',
    '-req',
    '-in',
    csr,
    '-CA',
    p.ca,
    '-CAkey',
    p.caKey,
    '-set_serial',
    `0x${randomBytes(8).toString('hex')}`,
    '-days',
    DAYS,
    '-out',
    join(p.dir, `${name}.pem`),
    '-extfile',
    ext,
  ]);
  rmSync(csr);
  rmSync(ext);
  chmodSync(key, 0o600);
}

/**
 * Makes the CA and the certificates under `dir` (e.g. `.epara/tls`) unless they are there; `force`
 * makes new ones. Returns their paths.
 */
export function ensureTlsFiles(dir, { force = false } = {}) {
  const p = tlsPaths(dir);
  const all = [p.ca, p.caKey, p.serverCert, p.serverKey, p.clientCert, p.clientKey];
  if (!force && all.every((f) => existsSync(f))) return { ...p, created: false };
  mkdirSync(p.dir, { recursive: true, mode: 0o700 });
  openssl([
    'req',
    '-x509',
    ...NEW_EC_KEY,
    '-keyout',
    p.caKey,
    '-out',
    p.ca,
    '-days',
    DAYS,
    '-subj',
    '/CN=Epara local CA',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  chmodSync(p.caKey, 0o600);
  const usage = 'keyUsage=critical,digitalSignature,keyEncipherment';
  signed(p, 'server', 'localhost', ['subjectAltName=DNS:localhost,IP:127.0.0.1', 'extendedKeyUsage=serverAuth', usage]);
  signed(p, 'client', 'epara-client', ['extendedKeyUsage=clientAuth', usage]);
  return { ...p, created: true };
}
