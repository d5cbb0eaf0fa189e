import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAdd, bundledModelPath } from '@epara/runtime';
import { run } from '../apps/cli/src/main';
import { startCluster, TEST_ADMIN_KEY, TestCluster, waitFor } from './support/cluster';
import { http } from './support/http';
import { freePort } from './support/nats-server';

/** One CLI run, in-process, with everything it printed. */
interface CliRun {
  code: number;
  out: string;
  err: string;
}

/** A CLI run still going (sub, events, kv watch): what it printed so far, and its end. */
interface RunningCli {
  out: string[];
  err: string[];
  done: Promise<CliRun>;
}

const addRequest = (a: number[], b: number[]) => ({
  inputs: [
    { name: 'a', shape: [1, 4], datatype: 'FP32', data: a },
    { name: 'b', shape: [1, 4], datatype: 'FP32', data: b },
  ],
});

const outputData = (doc: { outputs: { name: string; data: number[] }[] }, name: string) => doc.outputs.find((o) => o.name === name)?.data;

describe('epara CLI against real apps', () => {
  let c: TestCluster;
  let dir: string;
  let env: NodeJS.ProcessEnv;

  const start = (args: string[], extra: { env?: NodeJS.ProcessEnv; stdin?: Uint8Array } = {}): RunningCli => {
    const out: string[] = [];
    const err: string[] = [];
    const done = run(args, {
      out: (s) => out.push(s),
      err: (s) => err.push(s),
      env: extra.env ?? env,
      ...(extra.stdin ? { readStdin: async () => extra.stdin! } : {}),
    }).then((code) => ({ code, out: out.join('\n'), err: err.join('\n') }));
    return { out, err, done };
  };
  const cli = (...args: string[]) => start(args).done;

  beforeAll(async () => {
    c = await startCluster({ workers: 1 });
    env = { EPARA_GATEWAY_URL: c.gatewayUrl, NATS_URL: c.nats.url, EPARA_API_KEY: TEST_ADMIN_KEY };
    dir = mkdtempSync(join(tmpdir(), 'epara-cli-'));
    writeFileSync(join(dir, 'add.onnx'), buildAdd());
    writeFileSync(join(dir, 'add.json'), JSON.stringify({ name: 'add', kind: 'tensor', slo: { latencyMs: 200 } }));
    writeFileSync(join(dir, 'request.json'), JSON.stringify(addRequest([1, 2, 3, 4], [0.5, 0.25, -1, 10])));
  });
  afterAll(async () => {
    await c?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('deploys from a spec file and a model file, and `events` sees the deployed event', async () => {
    const events = start(['events', 'deployed', '--count', '1', '--timeout', '30000']);
    await waitFor(() => events.err.some((l) => l.startsWith('listening on epara.v1.events.deployed')), 10_000, 'events to subscribe');

    const deployed = await cli('deploy', join(dir, 'add.json'), '--model', join(dir, 'add.onnx'));
    expect(deployed).toMatchObject({ code: 0, err: '' });
    expect(deployed.out).toContain('deployed add (tensor, SLO 200 ms)');
    expect(deployed.out).toMatch(/category: latency × single → dp \(provisional\)/);
    expect(deployed.out).toMatch(/reason: {3}\S+/);

    const seen = await events.done;
    expect(seen.code).toBe(0);
    expect(seen.out).toMatch(/^\[#1\] epara\.v1\.events\.deployed/);
    expect(seen.out).toContain('"function": "add"');
    expect(seen.out).toContain('"kind": "deployed"');

    await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/add/ready`)).status === 200, 30_000, 'add ready');
  });

  it('shows the progress of a large model upload on stderr', async () => {
    writeFileSync(join(dir, 'rec.json'), JSON.stringify({ name: 'rec', kind: 'tensor', slo: { latencyMs: 500 } }));
    const model = bundledModelPath('ppocr-rec', process.env.EPARA_CACHE_DIR); // 10.3 MB, fetched by npm test
    const deployed = await cli('deploy', join(dir, 'rec.json'), '--model', model);
    expect(deployed.code).toBe(0);
    // Not a terminal here: a line at each tenth, then how it ended.
    expect(deployed.err).toMatch(/^uploading ppocr-rec\.onnx +\d+% \[#+\.+\] [\d.]+ of 10\.8 MB · \d+ s/);
    expect(deployed.err.split('\n').at(-1)).toMatch(/^uploaded ppocr-rec\.onnx \(10\.8 MB\) in \d+ s; the gateway inspects it…$/);
    expect(deployed.out).toContain('deployed rec (tensor');
    expect((await cli('rm', 'rec')).code).toBe(0);
  });

  it('ls shows the function in a table; get prints its record', async () => {
    const got = await cli('get', 'add');
    expect(got.code).toBe(0);
    const record = JSON.parse(got.out);
    expect(record).toMatchObject({ name: 'add', kind: 'tensor', slo: { latencyMs: 200 }, category: { mode: 'dp' } });

    const ls = await cli('ls');
    expect(ls.code).toBe(0);
    const [header, row] = ls.out.split('\n');
    expect(header.split(/\s+/)).toEqual(['NAME', 'KIND', 'SLO', 'CATEGORY', 'MODE', 'PROVISIONAL', 'MODEL']);
    expect(row.split(/\s+/).slice(0, 5)).toEqual(['add', 'tensor', '200ms', 'latency×single', 'dp']);
    expect(row).toContain(record.model.sha256.slice(0, 12));

    const asJson = await cli('ls', '--json');
    expect(JSON.parse(asJson.out).map((r: { name: string }) => r.name)).toEqual(['add']);
  });

  it('invokes over HTTP from a file: exact numbers on stdout, serving headers on stderr', async () => {
    const r = await cli('invoke', 'add', '--data', join(dir, 'request.json'));
    expect(r.code).toBe(0);
    const reply = JSON.parse(r.out);
    expect(outputData(reply, 'sum')).toEqual([1.5, 2.25, 2, 14]);
    expect(outputData(reply, 'prod')).toEqual([0.5, 0.5, -3, 40]);
    expect(r.err).toMatch(/^Epara-Device: cpu-0$/m);
    expect(r.err).toMatch(/^Epara-Batch-Size: \d+$/m);
    expect(r.err).toMatch(/^Epara-Queue-Ms: [\d.]+$/m);
    expect(r.err).toMatch(/^Epara-Exec-Ms: [\d.]+$/m);
  });

  it('invokes over NATS (epara.v1.invoke.<fn>) with an inline body, and from stdin', async () => {
    const r = await cli('invoke', 'add', JSON.stringify(addRequest([1, 1, 1, 1], [2, 2, 2, 2])), '--over', 'nats', '--json');
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.out);
    expect(doc).toMatchObject({ function: 'add', transport: 'nats', status: 200, headers: { 'Epara-Device': 'cpu-0' } });
    expect(outputData(doc.body, 'sum')).toEqual([3, 3, 3, 3]);
    expect(Number(doc.headers['Epara-Exec-Ms'])).toBeGreaterThan(0);

    const piped = await start(['invoke', 'add', '--data', '-', '--over', 'nats'], {
      stdin: Buffer.from(JSON.stringify(addRequest([1, 2, 3, 4], [4, 3, 2, 1]))),
    }).done;
    expect(piped.code).toBe(0);
    expect(outputData(JSON.parse(piped.out), 'sum')).toEqual([5, 5, 5, 5]);
  });

  it('--msgpack sends raw tensor bytes and summarizes the decoded msgpack reply (HTTP and NATS)', async () => {
    for (const over of ['http', 'nats']) {
      const r = await cli('invoke', 'add', '--data', join(dir, 'request.json'), '--msgpack', '--over', over);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^OUTPUT\s+DATATYPE\s+SHAPE\s+VALUES$/m);
      expect(r.out).toMatch(/^sum\s+FP32\s+\[1,4\]\s+1\.5, 2\.25, 2, 14$/m);
      expect(r.out).toMatch(/^prod\s+FP32\s+\[1,4\]\s+0\.5, 0\.5, -3, 40$/m);
      const asJson = JSON.parse(
        (await cli('invoke', 'add', '--data', join(dir, 'request.json'), '--msgpack', '--over', over, '--json')).out,
      );
      expect(asJson.contentType).toContain('application/msgpack');
      expect(outputData(asJson.body, 'sum')).toEqual([1.5, 2.25, 2, 14]);
    }
  });

  it('an unknown function prints `error 404: …` and exits 1, over HTTP and NATS', async () => {
    const body = JSON.stringify(addRequest([1, 2, 3, 4], [1, 1, 1, 1]));
    for (const args of [
      ['invoke', 'nope', body],
      ['invoke', 'nope', body, '--over', 'nats'],
      ['get', 'nope'],
      ['rm', 'nope'],
    ]) {
      const r = await cli(...args);
      expect({ args, code: r.code }).toEqual({ args, code: 1 });
      expect(r.err).toMatch(/^error 404: function "nope" is not deployed/);
      expect(r.out).toBe('');
    }
    const raw = await cli('req', 'epara.v1.invoke.nope', body);
    expect(raw.code).toBe(1);
    expect(raw.out).toMatch(/^Nats-Service-Error-Code: 404$/m);
    expect(raw.err).toMatch(/^error 404: /m);
  });

  it('micro ls / info / stats show epara-worker with its device metadata, endpoints and counts', async () => {
    const ls = await cli('micro', 'ls');
    expect(ls.code).toBe(0);
    expect(ls.out).toMatch(/^NAME\s+ID\s+VERSION\s+DEVICE\s+FUNCTIONS$/m);
    expect(ls.out).toMatch(/^epara-worker\s+\S+\s+\S+\s+cpu-0\s+add$/m);

    const info = await cli('micro', 'info', 'epara-worker');
    expect(info.code).toBe(0);
    expect(info.out).toMatch(/^epara-worker \S+ {2}id \S+$/m);
    expect(info.out).toMatch(/metadata: .*device=cpu-0 .*slot=cpu:0 .*functions=add/);
    expect(info.out).toMatch(/^\s+add\s+epara\.v1\.dp\.add\s+epara\.add$/m);
    expect(info.out).toMatch(/^\s+add-on-cpu-0\s+epara\.v1\.dp\.add\.cpu-0\s+epara\.add$/m);

    expect((await cli('invoke', 'add', '--data', join(dir, 'request.json'))).code).toBe(0);
    const stats = await cli('micro', 'stats', 'epara-worker');
    expect(stats.code).toBe(0);
    expect(stats.out).toMatch(/NUM_REQUESTS\s+NUM_ERRORS\s+AVERAGE_PROCESSING_TIME/);
    const asJson = JSON.parse((await cli('micro', 'stats', 'epara-worker', '--json')).out);
    const served = asJson[0].endpoints.reduce((n: number, e: { num_requests: number }) => n + e.num_requests, 0);
    expect(served).toBeGreaterThanOrEqual(1); // counts restart when the worker re-registers (placement change)

    const none = await cli('micro', 'info', 'no-such-service', '--timeout', '300');
    expect(none.code).toBe(1);
    expect(none.err).toContain('no service named "no-such-service" answered');
  });

  it('kv ls / get / watch read the JetStream buckets', async () => {
    const buckets = await cli('kv', 'ls');
    expect(buckets.out).toMatch(/^BUCKET\s+VALUES\s+HISTORY\s+TTL\s+DESCRIPTION$/m);
    expect(buckets.out).toMatch(/^epara_functions\s+\d+\s+\d+\s+-\s+/m);
    expect(buckets.out).toMatch(/^epara_devices\s+\d+\s+\d+\s+15s\s+/m);

    const keys = await cli('kv', 'ls', 'epara_functions');
    expect(keys).toMatchObject({ code: 0, out: 'add' });

    const got = await cli('kv', 'get', 'epara_functions', 'add');
    expect(got.code).toBe(0);
    expect(JSON.parse(got.out)).toMatchObject({ name: 'add', kind: 'tensor', category: { mode: 'dp' } });
    expect(got.out).toMatch(/^ +"shape": \["batch", 4\],$/m); // scalar arrays stay on one line

    const missing = await cli('kv', 'get', 'epara_functions', 'nope');
    expect(missing.code).toBe(1);
    expect(missing.err).toContain('no key "nope" in bucket epara_functions');
    const noBucket = await cli('kv', 'ls', 'epara_nope');
    expect(noBucket.code).toBe(1);
    expect(noBucket.err).toMatch(/no KV bucket "epara_nope" on .*; buckets there: .*epara_functions/);

    const watched = await cli('kv', 'watch', 'epara_functions', '--count', '1', '--timeout', '10000');
    expect(watched.code).toBe(0);
    expect(watched.out).toMatch(/^PUT epara_functions > add {2}rev \d+ {2}\S+$/m);
  });

  it('models ls lists the stored model by sha256 with the functions using it', async () => {
    const sha = JSON.parse((await cli('get', 'add')).out).model.sha256;
    const r = await cli('models', 'ls');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(new RegExp(`^${sha}\\s+\\S+ \\S+\\s+\\S+\\s+add$`, 'm'));
  });

  it('sub prints subject, headers and pretty JSON per message; req prints reply headers and body', async () => {
    const sub = await cli('sub', 'epara.v1.state.*', '--count', '1', '--timeout', '10000');
    expect(sub.code).toBe(0);
    expect(sub.out).toMatch(/^\[#1\] epara\.v1\.state\.cpu-0 {2}\(\d+ bytes\)$/m);
    expect(sub.out).toContain('"device": "cpu-0"');

    const tooFew = await cli('sub', 'epara.v1.nothing.here', '--count', '1', '--timeout', '200');
    expect(tooFew.code).toBe(1);
    expect(tooFew.err).toContain('timed out after 200 ms with 0 of 1 messages');

    const req = await cli(
      'req',
      'epara.v1.invoke.add',
      JSON.stringify(addRequest([1, 2, 3, 4], [1, 1, 1, 1])),
      '--header',
      'Epara-Request-Id:cli-test-1',
    );
    expect(req.code).toBe(0);
    expect(req.out).toMatch(/^Epara-Device: cpu-0$/m);
    expect(req.out).toMatch(/^Epara-Request-Id: cli-test-1$/m);
    expect(req.out).toContain('"data": [2, 3, 4, 5]');
  });

  it('devices and placement print tables; patch re-categorizes', async () => {
    const devices = await cli('devices');
    expect(devices.out).toMatch(/^cpu-0\s+cpu:0\s+yes\s+/m);
    const placement = await cli('placement');
    expect(placement.out).toMatch(/^cpu-0\s+add\s+dp\s+\d+\s+\d+/m);

    const patched = await cli('patch', 'add', '{"slo":{"latencyMs":300}}');
    expect(patched.code).toBe(0);
    expect(patched.out).toContain('updated add (tensor, SLO 300 ms)');
    const bad = await cli('patch', 'add', '{"slo":');
    expect(bad.code).toBe(1);
    expect(bad.err).toContain('the patch argument is not valid JSON');
  });

  it('rm deletes the function', async () => {
    const r = await cli('rm', 'add');
    expect(r).toMatchObject({ code: 0, out: 'deleted add' });
    expect((await cli('get', 'add')).err).toMatch(/^error 404/);
  });

  it('creates, lists and revokes API keys, and says what to do on 401 and 403', async () => {
    const created = await cli('keys', 'create', '--name', 'cli reader', '--scope', 'read', '--ttl', '1h');
    expect(created.code).toBe(0);
    expect(created.err).toMatch(/^created API key [0-9a-f]{8} \("cli reader"\), scopes read, expires \d{4}-/);
    const readKey = created.out.trim();
    expect(readKey).toMatch(/^epk_[0-9a-f]{8}_[\w-]{43}$/);
    const id = readKey.slice(4, 12);

    const listed = await cli('keys', 'ls');
    expect(listed.code).toBe(0);
    expect(listed.out).toMatch(new RegExp(`^${id}\\s+cli reader\\s+read\\s+`, 'm'));
    expect(listed.out).not.toContain(readKey);

    const asReader = { env: { ...env, EPARA_API_KEY: readKey } };
    expect((await start(['ls'], asReader).done).code).toBe(0);
    const forbidden = await start(['rm', 'anything'], asReader).done;
    expect(forbidden.code).toBe(1);
    expect(forbidden.err).toMatch(
      /^error 403: API key [0-9a-f]{8} \("cli reader"\) has scopes read; this needs scope admin — the key from EPARA_API_KEY lacks that scope/,
    );
    const flagWins = await start(['ls', '--api-key', readKey], { env: { ...env, EPARA_API_KEY: 'epk_not_a_key' } }).done;
    expect(flagWins.code).toBe(0);

    const noKey = await start(['devices'], { env: { EPARA_GATEWAY_URL: c.gatewayUrl } }).done;
    expect(noKey.code).toBe(1);
    expect(noKey.err).toMatch(/^error 401: this route needs an API key.* — no API key was sent; give one with --api-key or EPARA_API_KEY/);

    expect(await cli('keys', 'revoke', id)).toMatchObject({ code: 0, out: `revoked ${id}` });
    const revoked = await start(['ls'], asReader).done;
    expect(revoked.code).toBe(1);
    expect(revoked.err).toMatch(/^error 401: the API key is not known.* — the key from EPARA_API_KEY was refused/);

    const badScope = await cli('keys', 'create', '--name', 'x', '--scope', 'write');
    expect(badScope.code).toBe(2);
    expect(badScope.err).toContain('scope "write" is not one of admin, read, invoke, invoke:<pattern>');
  });

  it('connects with a nats CLI context (--context, as `nats context save` writes it), and the environment wins over it', async () => {
    const config = join(dir, 'xdg');
    mkdirSync(join(config, 'nats', 'context'), { recursive: true });
    writeFileSync(join(config, 'nats', 'context', 'site.json'), JSON.stringify({ url: c.nats.url, description: 'the test server' }));
    const viaContext = await start(['kv', 'ls', '--context', 'site'], { env: { XDG_CONFIG_HOME: config } }).done;
    expect(viaContext.code).toBe(0);
    expect(viaContext.out).toContain('epara_functions');
    const missing = await start(['kv', 'ls', '--context', 'nope'], { env: { XDG_CONFIG_HOME: config } }).done;
    expect(missing.code).toBe(1);
    expect(missing.err).toMatch(/no nats context "nope"/);
  });

  it('explains what to do when the gateway or NATS cannot be reached, and when the command line is wrong', async () => {
    const closed = await freePort(); // nothing listens there once freePort has returned
    const gw = await start(['ls'], { env: { EPARA_GATEWAY_URL: `http://127.0.0.1:${closed}` } }).done;
    expect(gw.code).toBe(1);
    expect(gw.err).toBe(
      `cannot reach the gateway at http://127.0.0.1:${closed}: connection refused — is \`npm start\` running? set --gateway or EPARA_GATEWAY_URL`,
    );
    const nats = await cli('kv', 'ls', '--nats', `nats://127.0.0.1:${closed}`);
    expect(nats.code).toBe(1);
    expect(nats.err).toBe(`cannot reach NATS at nats://127.0.0.1:${closed}: connection refused — is \`npm start\` running? check --nats`);

    const usage = await cli('kv', 'get', 'epara_functions');
    expect(usage.code).toBe(2);
    expect(usage.err).toContain('`epara kv get` needs <bucket> <key>');
    const help = await cli('kv', 'get', '--help');
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/^Usage: epara kv get <bucket> <key>/);
  });
});
