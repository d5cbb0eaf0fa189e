import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ERROR_CODES, ErrorCode } from '@epara/contracts';

/** OpenAPI schema of `ErrorBody.error` (libs/contracts errors.ts): documentation only. */
export class ErrorDetailSchema {
  @ApiProperty({ enum: ERROR_CODES, description: 'the HTTP status again (on NATS: `Nats-Service-Error-Code`)', example: 404 })
  code!: ErrorCode;

  @ApiProperty({ description: 'what went wrong, written for the caller: names the field or input and what is allowed' })
  message!: string;

  @ApiPropertyOptional({
    description:
      'machine-readable context: `fields` ([{field, message}]) for an invalid body, `field`, `function`, `retryAfterMs` (429, 503), `limitBytes` (413)',
    type: 'object',
    additionalProperties: true,
  })
  details?: unknown;
}

/** The error body of every /v1 route: `{"error": {"code", "message", "details"}}`. */
export class ErrorBodySchema {
  @ApiProperty({ type: ErrorDetailSchema })
  error!: ErrorDetailSchema;
}

/** The error body of the Open Inference Protocol routes (/v2), as KServe and Triton clients read it. */
export class OpenInferenceErrorSchema {
  @ApiProperty({ description: 'what went wrong; the status code carries the rest', example: 'function "ocr" is not deployed' })
  error!: string;
}
