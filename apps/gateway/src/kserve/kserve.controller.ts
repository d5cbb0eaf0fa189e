import { Controller, Get, HttpException, Param, Post, Req, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import {
  binaryRequestToMsgpack,
  EPARA_VERSION,
  EparaError,
  INFERENCE_HEADER_CONTENT_LENGTH,
  MediaType,
  msgpackResultToBinary,
  Scope,
} from '@epara/contracts';
import { NatsClient, NeedsScope, OpenRoute } from '@epara/nats';
import { FunctionRegistry } from '../functions/function-registry.service';
import { ClusterView } from '../cluster/cluster-view.service';
import { InvokeService } from '../invoke/invoke.service';
import { invokeRequestFrom, sendReply } from '../invoke/http-invoke';
import { ApiOpenInferenceErrors, EXAMPLE_ERRORS, INVOKE_ERRORS } from '../openapi/api-errors';
import { ApiInvocation } from '../openapi/api-invocation';
import { INFER_REQUEST_EXAMPLE } from '../openapi/examples';

const VERSION = EPARA_VERSION;
/** Each function serves one model: version "1" of the protocol's `versions`. */
const MODEL_VERSION = '1';
const NO_SUCH_VERSION = `model "ocr" has no version "2" (versions: ${MODEL_VERSION})`;

/** Open Inference Protocol (KServe v2) routes, so Triton/KServe clients can call Epara functions. */
@ApiTags('open-inference-protocol')
@Controller('v2')
export class KserveController {
  constructor(
    private readonly registry: FunctionRegistry,
    private readonly cluster: ClusterView,
    private readonly invoker: InvokeService,
    private readonly nats: NatsClient,
  ) {}

  @Get()
  @NeedsScope(Scope.Read)
  @ApiOperation({ summary: 'Server metadata' })
  @ApiOkResponse({ example: { name: 'epara', version: VERSION, extensions: ['epara-async', 'epara-categories'] } })
  server() {
    return { name: 'epara', version: VERSION, extensions: ['epara-async', 'epara-categories'] };
  }

  @Get('health/live')
  @OpenRoute()
  @ApiOkResponse({ example: { live: true } })
  live() {
    return { live: true };
  }

  /** Ready when NATS and JetStream answer and the function registry is loaded (as `/health/ready`). */
  @Get('health/ready')
  @OpenRoute()
  @ApiOkResponse({ example: { ready: true } })
  @ApiServiceUnavailableResponse({ description: 'not ready, and why', example: { ready: false, reason: EXAMPLE_ERRORS.notLoaded } })
  async ready() {
    const link = await this.nats.health.probe();
    const reason = link.up ? this.registry.notLoaded() : link.reason;
    if (reason) throw new HttpException({ ready: false, reason }, 503);
    return { ready: true };
  }

  @Get(['models/:name', 'models/:name/versions/:version'])
  @NeedsScope(Scope.Read)
  @ApiOperation({ summary: "Model metadata: the function's inputs and outputs (-1 for a variable dimension)" })
  @ApiOkResponse({
    example: {
      name: 'add',
      versions: [MODEL_VERSION],
      platform: 'onnxruntime_onnx',
      inputs: INFER_REQUEST_EXAMPLE.inputs.map(({ name, datatype }) => ({ name, datatype, shape: [-1, 4] })),
      outputs: [{ name: 'sum', datatype: 'FP32', shape: [-1, 4] }],
      parameters: { kind: 'tensor', mode: 'dp', category: 'latency × single' },
    },
  })
  @ApiOpenInferenceErrors({ 404: NO_SUCH_VERSION, 503: EXAMPLE_ERRORS.notLoaded })
  model(@Param('name') name: string, @Param('version') version?: string) {
    const r = this.versioned(name, version);
    const dims = (shape: (number | string)[]) => shape.map((d) => (typeof d === 'number' ? d : -1));
    return {
      name: r.name,
      versions: [MODEL_VERSION],
      platform: 'onnxruntime_onnx',
      inputs: r.model.inputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: dims(t.shape) })),
      outputs: r.model.outputs.map((t) => ({ name: t.name, datatype: t.datatype, shape: dims(t.shape) })),
      parameters: { kind: r.kind, mode: r.category.mode, category: `${r.category.sensitivity} × ${r.category.footprint}` },
    };
  }

  /** Ready when at least one replica has the model loaded and reports it ready. */
  @Get(['models/:name/ready', 'models/:name/versions/:version/ready'])
  @NeedsScope(Scope.Read)
  @ApiOperation({ summary: 'Ready when at least one replica has the model loaded' })
  @ApiOkResponse({ example: { name: 'add', ready: true } })
  @ApiServiceUnavailableResponse({ description: 'no replica is ready yet', example: { name: 'add', ready: false } })
  @ApiOpenInferenceErrors({ 404: EXAMPLE_ERRORS.notDeployed })
  modelReady(@Param('name') name: string, @Param('version') version?: string) {
    if (!this.cluster.isReady(this.versioned(name, version))) throw new HttpException({ name, ready: false }, 503);
    return { name, ready: true };
  }

  @Post(['models/:name/infer', 'models/:name/versions/:version/infer'])
  @NeedsScope(Scope.Invoke)
  @ApiInvocation({ summary: 'Inference (Open Inference Protocol), with the binary tensor data extension', openInference: true })
  @ApiOpenInferenceErrors({ ...INVOKE_ERRORS, 404: NO_SUCH_VERSION })
  async infer(@Param('name') name: string, @Req() req: Request, @Res() res: Response, @Param('version') version?: string): Promise<void> {
    this.versioned(name, version);
    const request = invokeRequestFrom(req);
    const headerLength = req.headers[INFERENCE_HEADER_CONTENT_LENGTH.toLowerCase()];
    if (headerLength === undefined) return sendReply(res, await this.invoker.invoke(name, request, 'http'));
    // The binary tensor data extension (tritonclient's default): raw bytes both ways, through msgpack to the worker.
    const { body, binaryOutputs } = binaryRequestToMsgpack(request.body, Number(headerLength));
    const reply = await this.invoker.invoke(name, { ...request, body, contentType: MediaType.Msgpack, accept: MediaType.Msgpack }, 'http');
    const answer = msgpackResultToBinary(reply.body, binaryOutputs);
    for (const [k, v] of Object.entries(reply.headers)) res.setHeader(k, v);
    res.setHeader(INFERENCE_HEADER_CONTENT_LENGTH, String(answer.headerLength));
    res.status(200).type(MediaType.OctetStream).send(answer.body);
  }

  /** A function is one model version, "1" (what `versions` lists); another version is a 404. */
  private versioned(name: string, version: string | undefined) {
    const r = this.registry.get(name);
    if (version !== undefined && version !== MODEL_VERSION)
      throw EparaError.notFound(`model "${name}" has no version "${version}" (versions: ${MODEL_VERSION})`, { function: name });
    return r;
  }
}
