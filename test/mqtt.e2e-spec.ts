import { execFile, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { INestApplication } from '@nestjs/common';
import { buildAdd } from '@epara/runtime';
import { startGateway } from '../apps/gateway/src/app';
import { loadGatewayConfig } from '../apps/gateway/src/config';
import { startCluster, TestCluster, waitFor } from './support/cluster';
import { hasMosquitto } from './support/mosquitto';
import { deployMultipart, http } from './support/http';

const run = promisify(execFile);

const addRequest = JSON.stringify({
  inputs: [
    { name: 'a', shape: [1, 4], datatype: 'FP32', data: [1, 2, 3, 4] },
    { name: 'b', shape: [1, 4], datatype: 'FP32', data: [10, 20, 30, 40] },
  ],
});

/** Subscribes like a device and resolves with the first `count` messages, as `topic payload` lines. */
async function subscribeAs(
  port: string,
  auth: string[],
  client: string,
  count = 1,
  topicClient = client,
): Promise<{ done: Promise<string[]> }> {
  const sub = spawn('mosquitto_sub', [
    ...['-h', '127.0.0.1', '-p', port, '-i', `${client}-sub`, '-q', '1', ...auth],
    ...['-t', `epara/v1/reply/${topicClient}/#`, '-v', '-C', String(count), '-W', '30'],
  ]);
  let out = '';
  sub.stdout.on('data', (d: Buffer) => (out += d.toString()));
  sub.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const done = new Promise<string[]>((resolve, reject) =>
    // 'close', not 'exit': the process can exit before its last output is read.
    sub.once('close', (code) => (code === 0 ? resolve(out.trim().split('\n')) : reject(new Error(`mosquitto_sub exited ${code}: ${out}`)))),
  );
  done.catch(() => undefined); // the caller awaits it, or expects it to fail
  await new Promise((r) => setTimeout(r, 400)); // subscribed before the request goes
  return { done }; // not the promise itself: awaiting this must not wait for the messages
}

const publishAs = (port: string, auth: string[], client: string, fn: string, message: string, topicClient = client) =>
  run('mosquitto_pub', [
    '-h',
    '127.0.0.1',
    '-p',
    port,
    '-i',
    `${client}-pub`,
    '-q',
    '1',
    ...auth,
    '-t',
    `epara/v1/mqtt/${fn}/${topicClient}`,
    '-m',
    message,
  ]);
const payload = (line: string) => JSON.parse(line.slice(line.indexOf(' ') + 1));

/**
 * MQTT devices with the Mosquitto command-line clients against the NATS server's own MQTT listener
 * (a free port; the machine may run a broker on 1883): requests on `epara/v1/mqtt/<fn>/<client>`,
 * answers on `epara/v1/reply/<client>/<fn>`.
 */
(hasMosquitto ? describe : describe.skip)('MQTT ingress (mosquitto_pub / mosquitto_sub, real nats-server MQTT listener)', () => {
  let c: TestCluster;
  const port = () => String(c.nats.mqttPort);

  const publish = (client: string, fn: string, message: string) => publishAs(port(), [], client, fn, message);

  beforeAll(async () => {
    c = await startCluster({ workers: 1, security: { mqtt: true } });
    expect((await deployMultipart(c.gatewayUrl, { name: 'add', kind: 'tensor', slo: { latencyMs: 2000 } }, buildAdd())).status).toBe(201);
    await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/add/ready`)).status === 200, 30_000, 'add ready');
  });
  afterAll(async () => {
    await c?.stop();
  });

  it('answers a device on its reply topic with the function result (JSON in, JSON out)', async () => {
    const { done: replies } = await subscribeAs(port(), [], 'cam-1');
    await publish('cam-1', 'add', addRequest);
    const [line] = await replies;
    expect(line.startsWith('epara/v1/reply/cam-1/add ')).toBe(true);
    const sum = payload(line).outputs.find((o: { name: string }) => o.name === 'sum');
    expect(sum.data).toEqual([11, 22, 33, 44]);
  });

  it('answers an unknown function and a malformed body with a clear error on the reply topic', async () => {
    const { done: replies } = await subscribeAs(port(), [], 'cam-2', 2);
    await publish('cam-2', 'nope', addRequest);
    await publish('cam-2', 'add', '{"inputs": [');
    const errors = (await replies).map(payload).map((p) => p.error);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 404, message: expect.stringMatching(/"nope" is not deployed/) }),
        expect.objectContaining({ code: 400 }),
      ]),
    );
  });

  it('keeps a QoS 1 request published while no gateway runs, and answers it when one starts', async () => {
    await c.gateway.close();
    let second: INestApplication | undefined;
    try {
      const { done: replies } = await subscribeAs(port(), [], 'mic-1');
      await publish('mic-1', 'add', addRequest);
      await new Promise((r) => setTimeout(r, 500));
      second = await startGateway(loadGatewayConfig({ ...c.env, EPARA_GATEWAY_PORT: '0', EPARA_GATEWAY_HOST: '127.0.0.1' }));
      const [line] = await replies;
      expect(payload(line).outputs.find((o: { name: string }) => o.name === 'sum').data).toEqual([11, 22, 33, 44]);
    } finally {
      await second?.close();
    }
  });
});

(hasMosquitto ? describe : describe.skip)('MQTT ingress under NATS authorization: each device logs in as itself', () => {
  let c: TestCluster;

  beforeAll(async () => {
    c = await startCluster({ workers: 1, security: { auth: true, mqtt: true, mqttDevices: ['cam-9', 'mic-3'] } });
    expect((await deployMultipart(c.gatewayUrl, { name: 'add', kind: 'tensor', slo: { latencyMs: 2000 } }, buildAdd())).status).toBe(201);
    await waitFor(async () => (await http(`${c.gatewayUrl}/v2/models/add/ready`)).status === 200, 30_000, 'add ready');
  });
  afterAll(async () => {
    await c?.stop();
  });
  const login = (name: string) => {
    const d = c.nats.credentials!.mqttDevices.find((x) => x.name === name)!;
    return ['-u', d.name, '-P', d.password];
  };

  it('answers a device that logs in with its user name and password', async () => {
    const port = String(c.nats.mqttPort);
    const { done: replies } = await subscribeAs(port, login('cam-9'), 'cam-9');
    await publishAs(port, login('cam-9'), 'cam-9', 'add', addRequest);
    const [line] = await replies;
    expect(payload(line).outputs.find((o: { name: string }) => o.name === 'sum').data).toEqual([11, 22, 33, 44]);
  });

  it("refuses a device without a password, and one that reads another device's answers", async () => {
    const port = String(c.nats.mqttPort);
    await expect(publishAs(port, [], 'anon', 'add', addRequest)).rejects.toThrow(/not authori[sz]ed|refused|Connection error/i);
    const spy = await subscribeAs(port, login('mic-3'), 'mic-3', 1, 'cam-9');
    const spied = await spy.done.then(
      (lines) => lines.join(' '),
      (e: Error) => e.message,
    );
    expect(spied).toMatch(/denied/i);
  });
});
