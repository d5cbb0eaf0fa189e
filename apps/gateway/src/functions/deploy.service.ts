import { Inject, Injectable, Logger } from '@nestjs/common';
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  DeployFunctionDto,
  EparaError,
  EventKind,
  EventPublisher,
  FunctionKind,
  FunctionRecord,
  kindCapabilities,
  Mode,
  ModelInfo,
  ModelRefDto,
  PatchFunctionDto,
  StageInfo,
  unservableInput,
  validateDto,
} from '@epara/contracts';
import { EVENT_PUBLISHER, NatsClient } from '@epara/nats';
import { DeployedFunction, initialCategory } from '@epara/core';
import { MODEL_MEMORY_FACTOR } from '@epara/policy';
import { batchFirst, DICTIONARY_METADATA_KEY, OCR_STAGE_CARRIES, recognitionClasses, sileroSignatureProblem } from '@epara/kinds';
import {
  bundledModelPath,
  inspectModel,
  partitionModel,
  probeStageSignatures,
  readModelMetadata,
  sampleTensors,
  sha256Of,
  withModelMetadata,
} from '@epara/runtime';
import { ClusterView } from '../cluster/cluster-view.service';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { FunctionRegistry } from './function-registry.service';
import { modelTooLarge } from './model-upload-limit';
import { BUNDLED_DICTIONARY, checkOcrModel, OCR_MODEL_ROLES } from './ocr-models';

/** Capacity assumed for categorization before any worker has reported, bytes (a small edge box). */
const DEFAULT_DEVICE_MEMORY = 2 * 1024 ** 3;

function bytesStream(bytes: Uint8Array): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      c.enqueue(bytes);
      c.close();
    },
  });
}

/**
 * Deploys functions: validates the spec, proves the model loads in onnxruntime, stores it once by
 * sha256 in the object store, categorizes it (provisional until a worker has profiled it) and writes
 * the record. Everything it writes lives in NATS, so any gateway can serve it afterwards.
 */
@Injectable()
export class DeployService {
  private readonly logger = new Logger(DeployService.name);

  constructor(
    private readonly nats: NatsClient,
    private readonly registry: FunctionRegistry,
    private readonly cluster: ClusterView,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(EVENT_PUBLISHER) private readonly events: EventPublisher,
  ) {}

  parseSpec(raw: unknown): DeployFunctionDto {
    let plain = raw;
    if (typeof raw === 'string' || Buffer.isBuffer(raw)) {
      try {
        plain = JSON.parse(raw.toString());
      } catch (e) {
        throw EparaError.badInput(`spec is not valid JSON: ${(e as Error).message}`, { field: 'spec' });
      }
    }
    if (plain === undefined || plain === null)
      throw EparaError.badInput('missing "spec": send the function spec as JSON (multipart field "spec", or the JSON body)', {
        field: 'spec',
      });
    return validateDto(DeployFunctionDto, plain, 'spec');
  }

  /** The model `ref` names (at spec field `field`, e.g. `model` or `models.rec`), or the upload. */
  private async modelBytes(
    ref: ModelRefDto | undefined,
    field: string,
    upload?: Uint8Array,
  ): Promise<{ bytes: Uint8Array; sha256: string; source: string }> {
    const limit = this.config.maxModelBytes;
    if (upload && upload.byteLength > limit) throw modelTooLarge(limit, 'the uploaded model', upload.byteLength);
    if (upload && upload.byteLength > 0) return { bytes: upload, sha256: sha256Of(upload), source: 'upload' };
    if (ref?.bundled) {
      const path = bundledModelPath(ref.bundled, this.config.cacheDir);
      if (!existsSync(path)) {
        throw EparaError.badInput(
          `bundled model "${ref.bundled}" is not on this gateway (${path}); run "npm run fetch-models" or upload the model file`,
          { field: `${field}.bundled` },
        );
      }
      const bytes = await readFile(path);
      return { bytes, sha256: sha256Of(bytes), source: `bundled:${ref.bundled}` };
    }
    if (ref?.sha256) {
      const os = await this.nats.modelStore();
      const info = await os.info(ref.sha256);
      if (!info || info.deleted) throw EparaError.badInput(`no stored model has sha256 ${ref.sha256}`, { field: `${field}.sha256` });
      // Anyone who can write the object store could have put it there: the upload limit holds for it too.
      if (info.size > limit) throw modelTooLarge(limit, `stored model ${ref.sha256}`, info.size);
      const bytes = await os.getBlob(ref.sha256);
      if (!bytes) throw EparaError.badInput(`stored model ${ref.sha256} could not be read`, { field: `${field}.sha256` });
      return { bytes, sha256: ref.sha256, source: 'stored' };
    }
    throw EparaError.badInput(
      `no model: upload it as the multipart file field "model", or set spec.${field}.bundled or spec.${field}.sha256`,
      {
        field,
      },
    );
  }

  private async store(sha256: string, bytes: Uint8Array): Promise<void> {
    const os = await this.nats.modelStore();
    const info = await os.info(sha256);
    if (info && !info.deleted && info.size === bytes.byteLength) return;
    await os.put({ name: sha256, description: 'onnx model' }, bytesStream(bytes));
  }

  /** Categorizes from what the gateway knows: the spec, the model, any profile, the live devices' capacity. */
  private categorizeNow(f: DeployedFunction, model: ModelInfo): FunctionRecord['category'] {
    const live = this.cluster.state.liveDevices(60_000);
    const devices = live.length ? live : [{ memoryBytes: DEFAULT_DEVICE_MEMORY, memoryFreeBytes: DEFAULT_DEVICE_MEMORY }];
    return initialCategory(this.config.policy, f, model.sizeBytes, devices, Date.now());
  }

  async deploy(rawSpec: unknown, upload?: Uint8Array): Promise<FunctionRecord> {
    const spec = this.parseSpec(rawSpec);
    if (this.registry.find(spec.name))
      throw new EparaError(409, `function "${spec.name}" already exists: PATCH it, or DELETE it first`, { function: spec.name });
    // An ocr function's models are its stages already; a single model is cut into stages when it needs pp.
    const { model, bytes } =
      spec.kind === FunctionKind.Ocr ? { model: await this.ocrModels(spec, upload) } : await this.singleModel(spec, upload);
    const hints = spec.kind === FunctionKind.Ocr ? { ...spec.hints, mode: Mode.Pp } : spec.hints;
    const category = this.categorizeNow({ ...spec, hints }, model);
    if (category.mode === Mode.Pp && bytes) await this.partition(spec.name, bytes, model);
    const now = Date.now();
    const record: FunctionRecord = {
      name: spec.name,
      kind: spec.kind,
      ...(spec.description ? { description: spec.description } : {}),
      slo: { latencyMs: spec.slo.latencyMs },
      ...(hints ? { hints: { ...hints } } : {}),
      ...(spec.expected ? { expected: { ...spec.expected } } : {}),
      model,
      category,
      profiles: {},
      createdAt: now,
      updatedAt: now,
    };
    await this.registry.create(record);
    this.events.emit(EventKind.Deployed, { function: record.name, sha256: model.sha256, category: record.category });
    this.logger.log(
      `deployed ${record.name} (${record.kind}, ${(model.sizeBytes / 1e6).toFixed(1)} MB, ${record.category.mode}): ${record.category.reason}`,
    );
    return record;
  }

  /** A function of one model: checked against its kind, stored by sha256. */
  private async singleModel(spec: DeployFunctionDto, upload?: Uint8Array): Promise<{ model: ModelInfo; bytes: Uint8Array }> {
    if (spec.models)
      throw EparaError.badInput(
        `spec.models names the models of an ${FunctionKind.Ocr} function; a ${spec.kind} function takes one "model"`,
        {
          field: 'models',
        },
      );
    const { bytes, sha256, source } = await this.modelBytes(spec.model, 'model', upload);
    const signature = await inspectModel(bytes);
    const unservable = unservableInput(signature.inputs, this.config.maxBodyBytes, 'EPARA_MAX_BODY_MB');
    if (unservable) throw EparaError.badInput(`this model cannot be served: ${unservable}`, { field: 'model' });
    if (
      spec.kind === FunctionKind.TextDetection &&
      (signature.inputs.length !== 1 || signature.inputs[0].datatype !== 'FP32' || signature.inputs[0].shape.length !== 4)
    ) {
      throw EparaError.badInput(
        `a text-detection function needs a model with one FP32 input [N,3,H,W] (a PP-OCR detector); this model's inputs are ${signature.inputs.map((i) => `${i.name} ${i.datatype} [${i.shape}]`).join(', ')}`,
        { field: 'kind' },
      );
    }
    if (
      spec.kind === FunctionKind.TextGeneration &&
      !['input_ids', 'attention_mask', 'position_ids', 'past_key_0'].every((n) => signature.inputs.some((i) => i.name === n))
    ) {
      throw EparaError.badInput(
        `a text-generation function needs a decoder with a KV cache (inputs input_ids, attention_mask, position_ids, past_key_<i>, past_value_<i>); this model's inputs are ${signature.inputs.map((i) => i.name).join(', ')}`,
        { field: 'kind' },
      );
    }
    const notVad = spec.kind === FunctionKind.AudioVad ? sileroSignatureProblem(signature) : undefined;
    if (notVad) throw EparaError.badInput(notVad, { field: 'kind' });
    await this.store(sha256, bytes);
    return { model: { sha256, sizeBytes: bytes.byteLength, format: 'onnx', ...signature, source }, bytes };
  }

  /**
   * An `ocr` function's three models (spec.models: det, cls, rec), checked and stored by sha256, as the
   * three stages of its pipeline. The recognizer's dictionary travels inside its model, in the ONNX
   * metadata `character` (a bundled recognizer gets the dictionary fetched beside it written there), so
   * a worker holding the stage has everything it needs.
   */
  private async ocrModels(spec: DeployFunctionDto, upload?: Uint8Array): Promise<ModelInfo> {
    if (upload?.byteLength)
      throw EparaError.badInput('an ocr function is deployed from three models: name them in spec.models (det, cls, rec), not one upload', {
        field: 'models',
      });
    if (!spec.models)
      throw EparaError.badInput(
        'an ocr function needs spec.models: {"det": {"bundled": "ppocr-det"}, "cls": {"bundled": "ppocr-cls"}, "rec": {"bundled": "ppocr-rec"}} (or stored models by sha256)',
        { field: 'models' },
      );
    const refs = OCR_MODEL_ROLES.map((role) => ({ role, ref: spec.models![role] }));
    const stages: StageInfo[] = [];
    const sources: string[] = [];
    for (const [index, { role, ref }] of refs.entries()) {
      const field = `models.${role}`;
      const fetched = await this.modelBytes(ref, field);
      const bytes = role === 'rec' ? await this.withDictionary(fetched.bytes, ref, field) : fetched.bytes;
      const dictionary = role === 'rec' ? readModelMetadata(bytes)[DICTIONARY_METADATA_KEY] : undefined;
      const signature = batchFirst(await inspectModel(bytes));
      checkOcrModel(role, signature, field, dictionary === undefined ? undefined : recognitionClasses(dictionary).length);
      const sha256 = sha256Of(bytes);
      await this.store(sha256, bytes);
      stages.push({ index, sha256, sizeBytes: bytes.byteLength, ...signature, carries: OCR_STAGE_CARRIES[index] });
      sources.push(`${role} ${fetched.source}`);
    }
    return {
      sha256: stages[0].sha256,
      sizeBytes: stages.reduce((n, st) => n + st.sizeBytes, 0),
      format: 'onnx',
      inputs: OCR_STAGE_CARRIES[0].inputs,
      outputs: [],
      batchable: false,
      source: sources.join(', '),
      stages,
      partitionReason: 'ocr: detector → orientation classifier → recognizer, one stage per model',
    };
  }

  /** The recognizer with its dictionary in its metadata: already there, or the one fetched beside a bundled model. */
  private async withDictionary(bytes: Uint8Array, ref: ModelRefDto | undefined, field: string): Promise<Uint8Array> {
    if (readModelMetadata(bytes)[DICTIONARY_METADATA_KEY]) return bytes;
    const path = ref?.bundled ? join(dirname(bundledModelPath(ref.bundled, this.config.cacheDir)), BUNDLED_DICTIONARY) : undefined;
    if (!path || !existsSync(path))
      throw EparaError.badInput(
        `the recognizer has no dictionary: its ONNX metadata "${DICTIONARY_METADATA_KEY}" is empty${path ? ` and ${path} is missing (run "npm run fetch-models")` : ''}`,
        { field },
      );
    return withModelMetadata(bytes, { [DICTIONARY_METADATA_KEY]: await readFile(path, 'utf8') });
  }

  /**
   * Cuts a `pp` function's model into stages that each fit a device (weights ≤ half the largest device's
   * memory, as the categorizer counts models at twice their size), stores each stage by sha256, and
   * records their signatures. The gateway runs the chain; the scheduler places stages like functions.
   */
  private async partition(name: string, bytes: Uint8Array, model: ModelInfo): Promise<void> {
    if (model.inputs.length === 0) return;
    const devices = this.cluster.state.liveDevices(60_000);
    const capacity = Math.max(...(devices.length ? devices.map((d) => d.memoryBytes) : [DEFAULT_DEVICE_MEMORY]));
    const maxStageBytes = Math.floor(capacity / MODEL_MEMORY_FACTOR);
    const stages = Math.max(2, Math.ceil(bytes.byteLength / maxStageBytes));
    let result;
    try {
      result = partitionModel(bytes, { stages, maxStageBytes });
    } catch (e) {
      throw EparaError.badInput(
        `function "${name}" needs more than one device (pp), but its model cannot be cut into ${stages} stages of at most ${(maxStageBytes / 1e6).toFixed(1)} MB: ${(e as Error).message}`,
        { field: 'model' },
      );
    }
    let signatures;
    try {
      const sample = sampleTensors(model);
      signatures = await probeStageSignatures(result, sample.inputs, model.inputs);
    } catch (e) {
      throw EparaError.badInput(
        `function "${name}" was cut into ${stages} stages, but a sample request could not run through them: ${(e as Error).message.split('\n')[0]}`,
        { field: 'model' },
      );
    }
    model.stages = [];
    for (const s of result.stages) {
      const sha = sha256Of(s.model);
      await this.store(sha, s.model);
      model.stages.push({ index: s.index, sha256: sha, sizeBytes: s.model.byteLength, ...signatures[s.index] });
    }
    model.partitionReason = result.reason;
    this.logger.log(`partitioned ${name} into ${stages} stages: ${result.reason}`);
  }

  /** `patch` is checked already: the global ValidationPipe validates the body as PatchFunctionDto. */
  async patch(name: string, patch: PatchFunctionDto): Promise<FunctionRecord> {
    const kind = this.registry.find(name)?.kind;
    if (kind && kindCapabilities(kind).stageModels && patch.hints?.mode !== undefined && patch.hints.mode !== Mode.Pp)
      throw EparaError.badInput(`a ${kind} function runs as the pipeline of its models: its mode stays pp, not ${patch.hints.mode}`, {
        field: 'hints.mode',
      });
    const next = await this.registry.update(name, (record) => {
      const changed: FunctionRecord = {
        ...record,
        ...(patch.description !== undefined ? { description: patch.description } : {}),
        ...(patch.slo ? { slo: { latencyMs: patch.slo.latencyMs } } : {}),
        // A validated DTO carries every declared field, unset ones as undefined: only the set ones override.
        ...(patch.hints ? { hints: { ...record.hints, ...definedFields(patch.hints) } } : {}),
        ...(patch.expected ? { expected: { ...record.expected, ...definedFields(patch.expected) } } : {}),
        updatedAt: Date.now(),
      };
      // The scheduler re-categorizes with the profile; here the category follows pins and the new SLO at once.
      changed.category = this.categorizeNow(changed, changed.model);
      return changed;
    });
    this.events.emit(EventKind.Updated, { function: name, category: next.category });
    return next;
  }

  async remove(name: string): Promise<void> {
    await this.registry.delete(name);
    this.events.emit(EventKind.Deleted, { function: name });
    this.logger.log(`deleted ${name}`);
  }
}

/** The fields of `o` that are set (a PATCH leaves the others as they are). */
function definedFields<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
