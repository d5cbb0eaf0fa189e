import { DocumentBuilder, OpenAPIObject } from '@nestjs/swagger';
import { describeNeed } from '@epara/contracts';
import { isOpenInferencePath } from '../common/http-errors';
import { errorResponse } from '../openapi/api-errors';
import { NO_KEY } from './access-control';
import { GatewayRoute } from './route-table';

export const BEARER_SCHEME = 'bearer';
export const API_KEY_SCHEME = 'api-key';

/** Declares the two ways to present a key: `Authorization: Bearer <key>` and `X-Api-Key: <key>`. */
export function withKeySchemes(builder: DocumentBuilder): DocumentBuilder {
  return builder
    .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'An Epara API key: `Authorization: Bearer epk_…`' }, BEARER_SCHEME)
    .addApiKey({ type: 'apiKey', in: 'header', name: 'X-Api-Key', description: 'The same key in `X-Api-Key`' }, API_KEY_SCHEME);
}

const openApiPath = (expressPath: string) => expressPath.replace(/:(\w+)/g, '{$1}');

/**
 * Marks each operation of the document with what its route declares (the same metadata the guard
 * reads, so the docs cannot drift from the checks): the key schemes and the scope, or none when open.
 */
export function markRouteSecurity(doc: OpenAPIObject, routes: readonly GatewayRoute[]): OpenAPIObject {
  for (const route of routes) {
    const op = (doc.paths[openApiPath(route.path)] as Record<string, Record<string, unknown>> | undefined)?.[route.method.toLowerCase()];
    if (!op || !route.access) continue;
    if (route.access.open) {
      op.security = [];
      continue;
    }
    const scope = route.access.scope;
    op.security = [{ [BEARER_SCHEME]: [] }, { [API_KEY_SCHEME]: [] }];
    op['x-epara-scope'] = scope;
    op.description = [op.description, `Needs an API key with scope \`${scope}\`${scope === 'admin' ? '' : ' (or `admin`)'}.`]
      .filter(Boolean)
      .join('\n\n');
    const shape = isOpenInferencePath(route.path) ? 'open-inference' : 'epara';
    op.responses = {
      ...(op.responses as object),
      401: errorResponse(shape, 401, NO_KEY),
      403: errorResponse(
        shape,
        403,
        `API key 0a1b2c3d ("camera-fleet") has scopes ${scope === 'read' ? 'invoke:cam-*' : 'read'}; this needs ${describeNeed({ scope })}`,
      ),
    };
  }
  return doc;
}
