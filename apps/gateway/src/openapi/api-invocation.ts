import { applyDecorators } from '@nestjs/common';
import { ApiExtraModels, ApiHeader, ApiOkResponse, ApiOperation, getSchemaPath } from '@nestjs/swagger';
import { Header, INFERENCE_HEADER_CONTENT_LENGTH, MediaType } from '@epara/contracts';
import { INFER_REQUEST_EXAMPLE, INFER_RESPONSE_EXAMPLE } from './examples';
import { InferenceRequestSchema, InferenceResponseSchema } from './inference.schema';

const binary = { type: 'string', format: 'binary' } as const;
const ref = (cls: new () => object) => ({ $ref: getSchemaPath(cls) });

/** The body of an invocation, by `Content-Type`; the binary tensor data extension on the Open Inference Protocol routes. */
function invocationBody(openInference: boolean) {
  return {
    required: true,
    description:
      'Decoded by `Content-Type`: Open Inference Protocol JSON, the same layout in msgpack (tensor data as raw little-endian bytes), or image bytes for image kinds.' +
      (openInference
        ? ` With \`${INFERENCE_HEADER_CONTENT_LENGTH}\`: the binary tensor data extension (a JSON header of that many bytes, then the raw tensors).`
        : ''),
    content: {
      [MediaType.Json]: { schema: ref(InferenceRequestSchema), example: INFER_REQUEST_EXAMPLE },
      [MediaType.Msgpack]: { schema: binary },
      'image/png': { schema: binary },
      'image/jpeg': { schema: binary },
      ...(openInference ? { [MediaType.OctetStream]: { schema: binary } } : {}),
    },
  };
}

/** Headers every invocation may carry (README "HTTP API"); a malformed one is a 400. */
const INVOCATION_HEADERS = [
  ApiHeader({ name: Header.Deadline, required: false, description: 'epoch ms, an integer; the earlier of it and arrival + SLO applies' }),
  ApiHeader({ name: Header.RequestId, required: false, description: 'carried to the worker and echoed in the reply' }),
  ApiHeader({ name: Header.Priority, required: false, description: 'an integer, carried to the worker' }),
];

/**
 * Documents an invocation route: its body (schemas and an example, nothing validated here: the codec
 * decodes it once), its headers and, unless `reply` is false, its answer.
 */
export function ApiInvocation(o: { summary: string; openInference?: boolean; reply?: boolean }) {
  const openInference = o.openInference ?? false;
  return applyDecorators(
    ApiExtraModels(InferenceRequestSchema, InferenceResponseSchema),
    ApiOperation({ summary: o.summary, requestBody: invocationBody(openInference) }),
    ...INVOCATION_HEADERS,
    ...(o.reply === false
      ? []
      : [
          ApiOkResponse({
            description:
              'The outputs, as JSON or msgpack by `Accept` (image kinds answer their document: boxes, text); `Epara-Device`, `Epara-Batch-Size`, `Epara-Queue-Ms`, `Epara-Exec-Ms`, `Epara-Mode` say how it was served.' +
              (openInference ? ` With the binary extension: \`${INFERENCE_HEADER_CONTENT_LENGTH}\` and raw output bytes.` : ''),
            content: {
              [MediaType.Json]: { schema: ref(InferenceResponseSchema), example: INFER_RESPONSE_EXAMPLE },
              [MediaType.Msgpack]: { schema: binary },
              ...(openInference
                ? { [MediaType.OctetStream]: { schema: binary } }
                : {
                    'text/event-stream': {
                      schema: {
                        type: 'string',
                        description: 'text generation with `Accept: text/event-stream`: `event: token` per token, then `event: end`',
                      },
                    },
                  }),
            },
          }),
        ]),
  );
}
