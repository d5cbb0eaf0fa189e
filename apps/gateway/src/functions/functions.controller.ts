import { Body, Controller, Delete, Get, HttpCode, Param, Patch, Post, Req, Res, UploadedFiles, UseInterceptors } from '@nestjs/common';
import { FileFieldsInterceptor } from '@nestjs/platform-express';
import { ApiBody, ApiCreatedResponse, ApiExtraModels, ApiOkResponse, ApiOperation, ApiTags, getSchemaPath } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { DeployFunctionDto, EparaError, FunctionRecord, PatchFunctionDto, Scope, validateDto } from '@epara/contracts';
import { NeedsScope } from '@epara/nats';
import { GenerationStreamer } from '../invoke/generation-streamer';
import { InvokeService } from '../invoke/invoke.service';
import { ApiErrors, EXAMPLE_ERRORS, INVOKE_ERRORS, messageOf } from '../openapi/api-errors';
import { ApiInvocation } from '../openapi/api-invocation';
import { DEPLOY_MULTIPART_EXAMPLE, DEPLOY_SPEC_EXAMPLE, FUNCTION_RECORD_EXAMPLE } from '../openapi/examples';
import { DeployService } from './deploy.service';
import { FunctionRegistry } from './function-registry.service';
import { ModelUploadLimit, modelTooLarge, SPEC_FIELD_BYTES } from './model-upload-limit';
import { invokeRequestFrom, sendReply, streamEvents } from '../invoke/http-invoke';

const RECORD_SCHEMA = { type: 'object', description: 'the function record: spec, model signature, category, profiles' } as const;

@ApiTags('functions')
@Controller('v1/functions')
export class FunctionsController {
  constructor(
    private readonly deployer: DeployService,
    private readonly registry: FunctionRegistry,
    private readonly invoker: InvokeService,
    private readonly streamer: GenerationStreamer,
  ) {}

  @Post()
  @NeedsScope(Scope.Admin)
  @ApiExtraModels(DeployFunctionDto)
  @ApiOperation({
    summary: 'Deploy a function: multipart (spec JSON + model file) or a JSON spec naming a stored or bundled model',
    requestBody: {
      required: true,
      description:
        'The spec is validated as `DeployFunctionDto` either way (unknown fields are refused); as JSON it names `model.bundled` or `model.sha256` (an `ocr` function names its three models in `models.det`, `models.cls`, `models.rec`).',
      content: {
        'application/json': {
          schema: { $ref: getSchemaPath(DeployFunctionDto) },
          examples: { bundled: { summary: 'a spec naming a bundled model', value: DEPLOY_SPEC_EXAMPLE } },
        },
        'multipart/form-data': {
          schema: {
            type: 'object',
            required: ['spec'],
            properties: {
              spec: { type: 'string', description: 'the DeployFunctionDto as JSON: a text field, or a file part (`-F spec=@spec.json`)' },
              model: { type: 'string', format: 'binary', description: 'the ONNX file' },
            },
          },
          examples: { upload: { summary: 'the spec as a text field and the model file', value: DEPLOY_MULTIPART_EXAMPLE } },
        },
      },
    },
  })
  @ApiCreatedResponse({
    description: 'deployed: the record, category provisional until a worker profiles it',
    schema: RECORD_SCHEMA,
    example: FUNCTION_RECORD_EXAMPLE,
  })
  @ApiErrors({
    400: messageOf(() => validateDto(DeployFunctionDto, { name: 'add', kind: 'tensor', slo: { latencyMs: 0 }, replica: 2 }, 'spec')),
    409: 'function "add" already exists: PATCH it, or DELETE it first',
    413: modelTooLarge(256 * 1024 * 1024, 'the upload', 300_000_000).message,
    503: EXAMPLE_ERRORS.notLoaded,
  })
  // The spec is a text field (`-F 'spec=<spec.json'`); sent as a file (`-F spec=@spec.json`) it is read the same.
  @UseInterceptors(
    ModelUploadLimit,
    FileFieldsInterceptor([
      { name: 'model', maxCount: 1 },
      { name: 'spec', maxCount: 1 },
    ]),
  )
  deploy(
    // Multipart or JSON, so not a DTO parameter: DeployService.parseSpec validates the spec as DeployFunctionDto, one path for both
    // (and the request body is documented per content type above, which a @Body() parameter would overwrite).
    @Req() { body }: Request,
    @UploadedFiles() files: { model?: Express.Multer.File[]; spec?: Express.Multer.File[] } = {},
  ): Promise<FunctionRecord> {
    const specFile = files.spec?.[0];
    if (specFile && specFile.size > SPEC_FIELD_BYTES)
      throw EparaError.badInput(`the spec file is ${specFile.size} bytes; a spec is at most ${SPEC_FIELD_BYTES} bytes of JSON`, {
        field: 'spec',
      });
    const spec = specFile ? specFile.buffer.toString('utf8') : body && 'spec' in body ? body.spec : body;
    return this.deployer.deploy(spec, files.model?.[0]?.buffer);
  }

  @Get()
  @NeedsScope(Scope.Read)
  @ApiOperation({ summary: 'List the deployed functions' })
  @ApiOkResponse({
    schema: { type: 'object', properties: { functions: { type: 'array', items: RECORD_SCHEMA } } },
    example: { functions: [FUNCTION_RECORD_EXAMPLE] },
  })
  @ApiErrors({ 503: EXAMPLE_ERRORS.notLoaded })
  list(): { functions: FunctionRecord[] } {
    return { functions: this.registry.list() };
  }

  @Get(':name')
  @NeedsScope(Scope.Read)
  @ApiOperation({ summary: "One function's record: signature, category, mode, reason, profiles" })
  @ApiOkResponse({ schema: RECORD_SCHEMA, example: FUNCTION_RECORD_EXAMPLE })
  @ApiErrors({ 404: EXAMPLE_ERRORS.notDeployed, 503: EXAMPLE_ERRORS.notLoaded })
  get(@Param('name') name: string): FunctionRecord {
    return this.registry.get(name);
  }

  @Patch(':name')
  @NeedsScope(Scope.Admin)
  @ApiOperation({ summary: 'Change slo, hints, expected or description (re-categorizes)' })
  @ApiBody({
    type: PatchFunctionDto,
    examples: { slo: { summary: 'a tighter SLO and a batch limit', value: { slo: { latencyMs: 40 }, hints: { maxBatchSize: 16 } } } },
  })
  @ApiOkResponse({ description: 'the updated record', schema: RECORD_SCHEMA })
  @ApiErrors({
    400: messageOf(() => validateDto(PatchFunctionDto, { hints: { maxBatchSize: 4096 } }, 'body')),
    404: EXAMPLE_ERRORS.notDeployed,
    409: 'function "add" changed while it was being updated; retry',
    503: EXAMPLE_ERRORS.notLoaded,
  })
  patch(@Param('name') name: string, @Body() body: PatchFunctionDto): Promise<FunctionRecord> {
    return this.deployer.patch(name, body);
  }

  @Delete(':name')
  @NeedsScope(Scope.Admin)
  @HttpCode(204)
  @ApiOperation({ summary: 'Remove a function; workers drain and unload it' })
  @ApiErrors({ 404: EXAMPLE_ERRORS.notDeployed, 503: EXAMPLE_ERRORS.notLoaded })
  remove(@Param('name') name: string): Promise<void> {
    return this.deployer.remove(name);
  }

  @Post(':name/invoke')
  @NeedsScope(Scope.Invoke)
  @ApiInvocation({ summary: 'Invoke synchronously: Open Inference Protocol JSON, msgpack, or media bytes by Content-Type' })
  @ApiErrors(INVOKE_ERRORS)
  async invoke(@Param('name') name: string, @Req() req: Request, @Res() res: Response): Promise<void> {
    const request = invokeRequestFrom(req);
    if (this.streamer.wantsStream(name, request.accept))
      return streamEvents(res, (onEvent, signal) => this.streamer.stream(name, request, onEvent, signal));
    sendReply(res, await this.invoker.invoke(name, request, 'http'));
  }
}
