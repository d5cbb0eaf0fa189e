import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiResponse, getSchemaPath } from '@nestjs/swagger';
import type { ResponseObject } from '@nestjs/swagger/dist/interfaces/open-api-spec.interface';
import { EparaError, ErrorCode } from '@epara/contracts';
import { ErrorBodySchema, OpenInferenceErrorSchema } from './error-body.schema';

/** What each status means on any route (README "HTTP API"); a route's example message says it for that route. */
export const ERROR_MEANINGS: Record<ErrorCode, string> = {
  400: 'bad input: the message names the field or input and what it must be',
  401: 'no API key, or one that is unknown, revoked or expired (with `WWW-Authenticate: Bearer`)',
  403: 'the key lacks the scope this route needs (the message names it)',
  404: 'no such function (or key, or async request)',
  409: 'conflict: the name is taken, or the record changed meanwhile; retry',
  413: 'the body or the model is over its limit (`details.limitBytes`)',
  429: 'shed: the queue is full, or too long for the deadline; `Retry-After` says when to retry',
  500: 'internal error (logged with the request id)',
  501: "the function's category is not served yet",
  503: 'no capacity: no live replica, NATS unreachable, or the gateway still loading; `Retry-After`',
  504: 'the deadline passed before the request ran',
};

/** /v1 answers `{"error": {code, message, details}}`; /v2 (Open Inference Protocol) `{"error": "<message>"}`. */
export type ErrorShape = 'epara' | 'open-inference';

/** An error response of the document: its meaning, the shape's schema, and an example with `message`. */
export function errorResponse(shape: ErrorShape, code: ErrorCode, message: string): ResponseObject {
  const schema = { $ref: getSchemaPath(shape === 'epara' ? ErrorBodySchema : OpenInferenceErrorSchema) };
  const example = shape === 'epara' ? new EparaError(code, message).toBody() : { error: message };
  return { description: ERROR_MEANINGS[code], content: { 'application/json': { schema, example } } };
}

/** The errors a route answers, by status, each with an example message as this route would send it. */
export type ErrorExamples = Partial<Record<ErrorCode, string>>;

const apiErrorsIn = (shape: ErrorShape) => (examples: ErrorExamples) =>
  applyDecorators(
    ApiExtraModels(ErrorBodySchema, OpenInferenceErrorSchema),
    ...Object.entries(examples).map(([code, message]) =>
      ApiResponse({ status: Number(code), ...errorResponse(shape, Number(code) as ErrorCode, message) }),
    ),
  );

/** Lists a /v1 route's errors (401 and 403 come from its declared access, see markRouteSecurity). */
export const ApiErrors = apiErrorsIn('epara');
/** Lists an Open Inference Protocol route's errors, in that protocol's shape. */
export const ApiOpenInferenceErrors = apiErrorsIn('open-inference');

/** The message `fail` throws: an example error computed by the code that sends it, so it cannot drift. */
export function messageOf(fail: () => unknown): string {
  try {
    fail();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('messageOf: the example did not fail');
}

/** Example messages shared by several routes. */
export const EXAMPLE_ERRORS = {
  notDeployed: 'function "ocr" is not deployed',
  notLoaded: 'the gateway is starting: its function registry (KV epara_functions) is not loaded yet',
} as const;

/** What any invocation can answer, with the messages the gateway and workers send. */
export const INVOKE_ERRORS = {
  400: 'input "a": shape [1,4] needs 4 elements, data has 3',
  404: EXAMPLE_ERRORS.notDeployed,
  413: 'request body is larger than the limit of 67108864 bytes',
  429: '"vad" is overloaded: its workers refused requests for load in the last second, so this gateway forwards at most 240 requests/s and refused this one; retry later',
  501: 'function "big" is categorized latency × multi → pp, but its model has no pipeline stages (redeploy it to partition the model)',
  503: 'no worker answered for function "ocr"; it may be reloading',
  504: 'no reply within the deadline (worker cpu:0)',
} as const satisfies ErrorExamples;
