import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { DATATYPES } from '@epara/contracts';

/**
 * OpenAPI schemas of the Open Inference Protocol JSON bodies, documentation only: invocations are
 * decoded once, by the codec the workers share (libs/contracts inference-codec.ts), not by a DTO pipe
 * on the hot path.
 */
export class InferenceTensorSchema {
  @ApiProperty({ description: "the input or output name, as the model's signature lists it", example: 'a' })
  name!: string;

  @ApiProperty({ type: [Number], description: 'dimensions, non-negative integers', example: [1, 4] })
  shape!: number[];

  @ApiProperty({ enum: DATATYPES, example: 'FP32' })
  datatype!: string;

  @ApiProperty({
    type: 'array',
    items: { oneOf: [{ type: 'number' }, { type: 'boolean' }] },
    description: 'the elements in row-major order (as many as the shape needs); in msgpack, raw little-endian bytes',
    example: [1, 2, 3, 4],
  })
  data!: (number | boolean)[];

  @ApiPropertyOptional({ type: 'object', additionalProperties: true, description: 'per-tensor parameters' })
  parameters?: Record<string, unknown>;
}

export class RequestedOutputSchema {
  @ApiProperty({ example: 'sum' })
  name!: string;
}

/** `POST /v1/functions/:name/invoke` and `/v2/models/:name/infer` with `Content-Type: application/json`. */
export class InferenceRequestSchema {
  @ApiPropertyOptional({ description: 'echoed in the answer' })
  id?: string;

  @ApiProperty({ type: [InferenceTensorSchema], description: 'at least one tensor, each name once' })
  inputs!: InferenceTensorSchema[];

  @ApiPropertyOptional({ type: [RequestedOutputSchema], description: 'the outputs to return; all when absent' })
  outputs?: RequestedOutputSchema[];

  @ApiPropertyOptional({
    type: 'object',
    additionalProperties: true,
    description: 'request parameters; `binary_data_output` with the binary tensor data extension (/v2)',
  })
  parameters?: Record<string, unknown>;
}

/** What a tensor function answers (image kinds answer their own document: boxes, text). */
export class InferenceResponseSchema {
  @ApiProperty({ example: 'add' })
  model_name!: string;

  @ApiPropertyOptional({ description: "the request's id, when it gave one" })
  id?: string;

  @ApiProperty({ type: [InferenceTensorSchema] })
  outputs!: InferenceTensorSchema[];
}
