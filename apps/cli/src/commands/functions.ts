import { basename } from 'node:path';
import { FunctionRecord } from '@epara/contracts';
import { OptionKind } from '../args';
import { formatBytes, table } from '../format';
import { parseUserJson, readInputFile } from '../input';
import { formatSeconds, Progress } from '../progress';
import { multipartDeploy } from '../upload';
import { Command, CommandContext, CommandGroup } from './types';

/** A deploy can upload a large model and wait for onnxruntime to inspect it. */
const DEPLOY_TIMEOUT_MS = 120_000;

const fnPath = (name: string) => `/v1/functions/${encodeURIComponent(name)}`;

/** `latency × single → dp (provisional)`: what the categorizer decided, in one phrase. */
export function categoryPhrase(r: FunctionRecord): string {
  const c = r.category;
  const notes = [c.provisional ? 'provisional' : '', c.pinned ? 'pinned' : ''].filter(Boolean);
  return `${c.sensitivity} × ${c.footprint} → ${c.mode}${notes.length ? ` (${notes.join(', ')})` : ''}`;
}

function describeRecord(ctx: CommandContext, verb: string, r: FunctionRecord): void {
  ctx.print([
    `${verb} ${r.name} (${r.kind}, SLO ${r.slo.latencyMs} ms)`,
    `  category: ${categoryPhrase(r)}`,
    `  reason:   ${r.category.reason}`,
    `  model:    sha256 ${r.model.sha256.slice(0, 12)}… ${formatBytes(r.model.sizeBytes)} from ${r.model.source}; inputs ${r.model.inputs.map((i) => `${i.name} ${i.datatype} [${i.shape.join(',')}]`).join(', ')}`,
  ]);
}

/** Models at least this large show upload progress on stderr. */
const PROGRESS_FROM_BYTES = 8 << 20;

/** Tells the upload's progress on stderr (in place on a terminal), for large models only and not with --json. */
function uploadProgress(ctx: CommandContext, name: string, sizeBytes: number): (sent: number, total: number) => void {
  if (sizeBytes < PROGRESS_FROM_BYTES || ctx.json) return () => undefined;
  const out = { tty: ctx.io.errTty?.write, columns: ctx.io.errTty?.columns, line: ctx.io.err };
  const progress = new Progress(out, `uploading ${name}`, sizeBytes, 'bytes');
  return (sent, total) => {
    if (sent < total) progress.update(sent);
    else
      progress.finish(
        `uploaded ${name} (${(total / 1e6).toFixed(1)} MB) in ${formatSeconds(progress.elapsedMs)}; the gateway inspects it…`,
      );
  };
}

export const deployCommand: Command = {
  path: ['deploy'],
  usage: '<spec.json>',
  summary: 'deploy a function from a spec file, uploading its ONNX model with --model',
  details: [
    'The spec is JSON: {"name","kind","slo":{"latencyMs"},"hints"?,"expected"?,"model"?}. With --model the spec and',
    'the file go as multipart; without it the spec must name a model ("model":{"bundled":"silero-vad"} or',
    '{"sha256":"…"} of a stored one). Prints the category, the mode Epara chose and why.',
  ],
  examples: ['epara deploy add.json --model add.onnx', 'epara deploy vad.json'],
  options: [{ name: 'model', kind: OptionKind.String, value: 'FILE.onnx', help: 'ONNX model to upload with the spec' }],
  args: { min: 1, max: 1 },
  group: CommandGroup.Functions,
  async run(ctx) {
    const specPath = ctx.args[0];
    const specText = (await readInputFile(specPath, 'spec file')).toString('utf8');
    const spec = parseUserJson(specText, `spec file ${specPath}`);
    const modelPath = ctx.opts.string('model');
    const gw = ctx.gateway();
    let record: FunctionRecord;
    if (modelPath !== undefined) {
      const model = await readInputFile(modelPath, 'model file');
      const upload = multipartDeploy(
        JSON.stringify(spec),
        model,
        basename(modelPath),
        uploadProgress(ctx, basename(modelPath), model.byteLength),
      );
      record = await gw.json<FunctionRecord>('/v1/functions', { method: 'POST', ...upload, timeoutMs: DEPLOY_TIMEOUT_MS });
    } else {
      record = await gw.json<FunctionRecord>('/v1/functions', { method: 'POST', json: spec, timeoutMs: DEPLOY_TIMEOUT_MS });
    }
    if (ctx.json) ctx.printJson(record);
    else describeRecord(ctx, 'deployed', record);
    return 0;
  },
};

export const lsCommand: Command = {
  path: ['ls'],
  usage: '',
  summary: 'list deployed functions: kind, SLO, category, mode, model',
  args: { min: 0, max: 0 },
  group: CommandGroup.Functions,
  async run(ctx) {
    const { functions } = await ctx.gateway().json<{ functions: FunctionRecord[] }>('/v1/functions');
    const sorted = [...functions].sort((a, b) => a.name.localeCompare(b.name));
    if (ctx.json) {
      ctx.printJson(sorted);
      return 0;
    }
    if (sorted.length === 0) {
      ctx.io.err('no functions deployed (`epara deploy <spec.json> --model <file.onnx>` adds one)');
      return 0;
    }
    ctx.print(
      table(
        ['name', 'kind', 'slo', 'category', 'mode', 'provisional', 'model'],
        sorted.map((r) => [
          r.name,
          r.kind,
          `${r.slo.latencyMs}ms`,
          `${r.category.sensitivity}×${r.category.footprint}`,
          r.category.mode + (r.category.pinned ? ' (pinned)' : ''),
          r.category.provisional ? 'yes' : 'no',
          r.model.sha256.slice(0, 12),
        ]),
      ),
    );
    return 0;
  },
};

export const getCommand: Command = {
  path: ['get'],
  usage: '<fn>',
  summary: 'show a function record as JSON: signature, category, reason, profiles',
  args: { min: 1, max: 1 },
  group: CommandGroup.Functions,
  async run(ctx) {
    const record = await ctx.gateway().json<FunctionRecord>(fnPath(ctx.args[0]));
    ctx.printJson(record);
    return 0;
  },
};

export const rmCommand: Command = {
  path: ['rm'],
  usage: '<fn>',
  summary: 'delete a function; workers drain and unload it',
  args: { min: 1, max: 1 },
  group: CommandGroup.Functions,
  async run(ctx) {
    const name = ctx.args[0];
    await ctx.gateway().json<void>(fnPath(name), { method: 'DELETE' });
    if (ctx.json) ctx.printJson({ deleted: name });
    else ctx.print(`deleted ${name}`);
    return 0;
  },
};

export const patchCommand: Command = {
  path: ['patch'],
  usage: '<fn> <json|@file>',
  summary: 'change slo, hints, expected or description (re-categorizes)',
  examples: [`epara patch vad '{"expected":{"rps":2000}}'`, 'epara patch vad @vad-patch.json'],
  args: { min: 2, max: 2 },
  group: CommandGroup.Functions,
  async run(ctx) {
    const [name, raw] = ctx.args;
    const text = raw.startsWith('@') ? (await readInputFile(raw.slice(1), 'patch file')).toString('utf8') : raw;
    const patch = parseUserJson(text, raw.startsWith('@') ? `patch file ${raw.slice(1)}` : 'the patch argument');
    const record = await ctx.gateway().json<FunctionRecord>(fnPath(name), { method: 'PATCH', json: patch });
    if (ctx.json) ctx.printJson(record);
    else describeRecord(ctx, 'updated', record);
    return 0;
  },
};
