import { ArgumentMetadata, ValidationPipe } from '@nestjs/common';
import { DTO_VALIDATOR_OPTIONS, EparaError, invalidInput } from '@epara/contracts';

/**
 * The gateway's one ValidationPipe (set in startGateway, so tests and production share it): a body
 * typed as a DTO class is checked with the rules `validateDto` uses and refused with Epara's 400
 * naming each bad field; the exception filter renders it in the route's error shape. Bodies that are
 * not DTOs (invocations: tensors, media, the binary tensor extension) pass untouched, so the hot path
 * pays for a type check only.
 */
export class BodyValidationPipe extends ValidationPipe {
  constructor() {
    super({ ...DTO_VALIDATOR_OPTIONS, transform: true, exceptionFactory: (errors) => invalidInput(errors, 'body') });
  }

  override transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Nest would validate a missing body as `{}` and an array element by element; neither is a request.
    if (metadata.type === 'body' && this.toValidate(metadata) && (typeof value !== 'object' || value === null || Array.isArray(value)))
      throw EparaError.badInput('the body must be a JSON object, sent with Content-Type: application/json');
    return super.transform(value, metadata);
  }
}
