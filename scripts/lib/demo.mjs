// The demo functions npm start deploys through the gateway's HTTP API, and the banner that shows how to call them.
import { createRequire } from 'node:module';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { compiledRuntimeModule } from './build.mjs';
import { color, ScriptError, step, warn } from './log.mjs';
import { fromRoot } from './paths.mjs';
import { ADMIN_KEY_PATH, curlAuthOption } from './api-key.mjs';

const DEPLOY_TIMEOUT_MS = 120_000;

/** The synthetic MLP (256 → 512 → 512 → 10), built by the compiled runtime and written to .epara/models/mlp.onnx. */
function writeMlpModel() {
  const modulePath = compiledRuntimeModule('synthetic', 'index.js');
  if (!existsSync(modulePath))
    throw new ScriptError(`${modulePath} is missing: the build did not produce the runtime library where scripts/lib/build.mjs expects it`);
  const bytes = createRequire(import.meta.url)(modulePath).buildMlp();
  const path = fromRoot('.epara', 'models', 'mlp.onnx');
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, bytes);
  return { bytes, path };
}

export const DEMO_FUNCTIONS = [
  {
    name: 'ocr-det',
    request: () => ({
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'ocr-det',
        kind: 'text-detection',
        slo: { latencyMs: 200 },
        model: { bundled: 'ppocr-det' },
        description: 'PP-OCRv4 text detector: PNG/JPEG in, text boxes out',
      }),
    }),
  },
  {
    name: 'ocr',
    request: () => ({
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'ocr',
        kind: 'ocr',
        slo: { latencyMs: 2000 },
        models: { det: { bundled: 'ppocr-det' }, cls: { bundled: 'ppocr-cls' }, rec: { bundled: 'ppocr-rec' } },
        description: 'PP-OCRv4 text recognition: PNG/JPEG in, text lines out (detector → orientation → recognizer, three pipeline stages)',
      }),
    }),
  },
  {
    name: 'vad',
    kind: 'audio-vad',
    request: () => ({
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        name: 'vad',
        kind: 'audio-vad',
        slo: { latencyMs: 200 },
        expected: { rps: 250 },
        model: { bundled: 'silero-vad' },
        description:
          'Silero VAD v5 on streams: 16 kHz mono audio frames in (Epara-Stream-Id), speech probabilities and start/end events out',
      }),
    }),
  },
  {
    name: 'mlp',
    request: () => {
      const { bytes } = writeMlpModel();
      const form = new FormData();
      form.append('spec', JSON.stringify({ name: 'mlp', kind: 'tensor', slo: { latencyMs: 20 } }));
      form.append('model', new Blob([bytes], { type: 'application/octet-stream' }), 'mlp.onnx');
      return { body: form }; // fetch sets the multipart Content-Type with its boundary
    },
  },
];

async function errorText(res) {
  const text = await res.text();
  try {
    const { error } = JSON.parse(text);
    if (error?.message) return `${error.message}${error.details ? ` ${JSON.stringify(error.details)}` : ''}`;
  } catch {
    // not the gateway's JSON error
  }
  return text.slice(0, 300);
}

/**
 * Deploys each demo function that the gateway does not know yet (GET /v1/functions/<name> 200 → skipped).
 * A failed deploy is reported and the others go on: the system itself still runs. Returns the names deployed or present.
 */
export async function deployDemoFunctions(baseUrl, auth = {}) {
  const ready = [];
  for (const fn of DEMO_FUNCTIONS) {
    try {
      const existing = await fetch(`${baseUrl}/v1/functions/${fn.name}`, { headers: auth, signal: AbortSignal.timeout(10_000) });
      if (existing.status === 200) {
        const kind = (await existing.json().catch(() => ({}))).kind;
        if (fn.kind && kind !== fn.kind)
          warn(
            `demo function ${fn.name} is deployed as kind ${kind} (by an earlier version); the demo is ${fn.kind} now: ` +
              `delete it (curl -X DELETE …/v1/functions/${fn.name}) and npm start deploys it again`,
          );
        else step(`demo function ${fn.name}: already deployed`);
        ready.push(fn.name);
        continue;
      }
      if (existing.status !== 404) {
        warn(`demo function ${fn.name}: GET /v1/functions/${fn.name} answered ${existing.status}: ${await errorText(existing)}`);
        continue;
      }
      const request = fn.request();
      const res = await fetch(`${baseUrl}/v1/functions`, {
        method: 'POST',
        ...request,
        headers: { ...request.headers, ...auth },
        signal: AbortSignal.timeout(DEPLOY_TIMEOUT_MS),
      });
      if (!res.ok) {
        warn(`could not deploy the demo function ${fn.name}: HTTP ${res.status}: ${await errorText(res)}`);
        continue;
      }
      const record = await res.json();
      const c = record.category;
      step(`deployed demo function ${fn.name}${c ? `: ${c.sensitivity} × ${c.footprint} → mode ${c.mode}` : ''}`);
      ready.push(fn.name);
    } catch (e) {
      warn(
        `could not deploy the demo function ${fn.name}: ${e instanceof ScriptError ? e.message : e.name === 'TimeoutError' ? 'the gateway did not answer in time' : e.message}`,
      );
    }
  }
  return ready;
}

/** A JSON body for mlp: one [1,256] FP32 input. The same one-liner goes into the banner. */
const MLP_BODY_JS = `console.log(JSON.stringify({inputs:[{name:"x",shape:[1,256],datatype:"FP32",data:Array.from({length:256},()=>Math.random())}]}))`;

/** The banner's lines on API keys: where the admin key is, or a loud warning that none are checked. */
function authLines(admin, publicUrl) {
  if (!admin)
    return [
      color.red(color.bold('  API keys    OFF (EPARA_AUTH=off): anyone who reaches the gateway can deploy, delete and invoke functions')),
    ];
  const where =
    admin.source === 'env' ? 'EPARA_ADMIN_KEY (from your environment)' : `${ADMIN_KEY_PATH} (mode 0600; the epara CLI reads it)`;
  return [
    `  admin key   ${where}`,
    `              every API call sends it (the dashboard asks for it once):  curl -s${curlAuthOption(admin)} ${publicUrl}/v1/functions`,
  ];
}

export function banner({ gatewayUrl, natsUrl, natsNote, schedulerPort, workerPorts, functions, admin }) {
  const publicUrl = gatewayUrl.replace('127.0.0.1', 'localhost');
  const h = color.bold;
  const auth = curlAuthOption(admin);
  const lines = [
    '',
    h('Epara is up.'),
    `  dashboard   ${publicUrl}/`,
    `  API docs    ${publicUrl}/docs`,
    `  metrics     ${publicUrl}/metrics  (scheduler :${schedulerPort}/metrics, workers ${workerPorts.map((p) => `:${p}`).join(' ')})`,
    `  NATS        ${natsUrl}  (${natsNote})`,
    `  functions   ${functions.length ? functions.join(', ') : '(no demo functions: EPARA_NO_DEMO=1 or their deploys failed)'}`,
    ...authLines(admin, publicUrl),
  ];
  if (functions.includes('mlp')) {
    lines.push('', h('Invoke mlp over HTTP') + ' (Open Inference Protocol JSON, a [1,256] FP32 input):');
    lines.push(
      `  node -e '${MLP_BODY_JS}' | curl -s${auth} -H 'Content-Type: application/json' --data-binary @- ${publicUrl}/v1/functions/mlp/invoke`,
    );
  }
  if (functions.includes('ocr-det')) {
    lines.push('', h('Detect text in an image') + ' (raw PNG bytes):');
    lines.push(
      `  curl -s${auth} -H 'Content-Type: image/png' --data-binary @test/fixtures/text-2-lines.png ${publicUrl}/v1/functions/ocr-det/invoke`,
    );
  }
  if (functions.includes('vad')) {
    lines.push('', h('Detect speech in a stream of audio') + ' (16 kHz mono; each frame names its stream, the worker keeps its state):');
    lines.push(`  espeak-ng -w /tmp/hello.wav 'hello edge' && sox /tmp/hello.wav -r 16000 -c 1 -b 16 /tmp/hello16.wav`);
    lines.push(
      `  curl -s${auth} -H 'Content-Type: audio/wav' -H 'Epara-Stream-Id: mic-1' --data-binary @/tmp/hello16.wav ${publicUrl}/v1/functions/vad/invoke`,
    );
  }
  if (functions.includes('ocr')) {
    lines.push('', h('Read the text in an image') + ' (raw PNG bytes; lines with text, confidence and boxes):');
    lines.push(
      `  curl -s${auth} -H 'Content-Type: image/png' --data-binary @test/fixtures/text-2-lines.png ${publicUrl}/v1/functions/ocr/invoke`,
    );
  }
  if (functions.includes('mlp')) {
    lines.push('', h('Over NATS') + ' (the `nats` CLI is optional: any NATS client can send this request):');
    lines.push(`  nats --server ${natsUrl} req epara.v1.invoke.mlp "$(node -e '${MLP_BODY_JS}')" -H 'Content-Type:application/json'`);
  }
  lines.push('', `Stop with Ctrl-C (or SIGTERM): the apps stop, then the nats-server if npm start started it.`, '');
  return lines.join('\n');
}
