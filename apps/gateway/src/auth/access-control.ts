import { CanActivate, ExecutionContext, Inject, Injectable, Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { Request, RequestHandler } from 'express';
import { AccessNeed, describeNeed, EparaError, presentedApiKey, Scope, scopesGrant } from '@epara/contracts';
import { ROUTE_ACCESS, RouteAccess } from '@epara/nats';
import { GatewayMetrics } from '../common/gateway-metrics';
import { GATEWAY_CONFIG, GatewayConfig } from '../config';
import { ApiKeyPrincipal, ApiKeyStore } from './api-key-store.service';

/** Where a request keeps the principal its key was resolved to, so a route can narrow access further. */
const PRINCIPAL = Symbol('epara-api-key-principal');
type AuthenticatedRequest = Request & { [PRINCIPAL]?: ApiKeyPrincipal };

/** The 401 for a request without a key (also the example in the OpenAPI document). */
export const NO_KEY =
  'this route needs an API key: send `Authorization: Bearer <key>` or `X-Api-Key: <key>` (npm start writes an admin key to .epara/credentials/admin.key)';

/**
 * A route's declared access (`@NeedsScope`, `@OpenRoute`), the method's over its controller's. A route
 * that declares none is treated as admin-only; the gateway does not start with one (route-table.ts).
 */
export function routeAccessOf(reflector: Reflector, controller: Type, handler: RouteHandler): RouteAccess | undefined {
  return reflector.getAllAndOverride<RouteAccess | undefined>(ROUTE_ACCESS, [handler, controller]);
}

/** A controller method, as Nest hands it to guards. */
export type RouteHandler = ReturnType<ExecutionContext['getHandler']>;

/** Checks a request's API key against what it needs: 401 without a usable key, 403 without the scope. */
@Injectable()
export class AccessControl {
  constructor(
    private readonly keys: ApiKeyStore,
    private readonly metrics: GatewayMetrics,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  /** Throws EparaError 401 or 403 unless the request's key grants `need`; passes everything with EPARA_AUTH=off. */
  authorize(req: Request, need: AccessNeed): void {
    if (!this.config.authEnabled) return;
    try {
      this.check(req, need);
    } catch (e) {
      // Counted, not logged: a scan of the port would flood the log; a rising rate is the signal.
      this.metrics.keyRefusals.inc({ status: String((e as EparaError).code) });
      throw e;
    }
  }

  private check(req: Request, need: AccessNeed): void {
    const principal = this.principalOf(req);
    if (scopesGrant(principal.scopes, need)) return;
    throw EparaError.forbidden(
      `API key ${principal.id} ("${principal.name}") has scopes ${principal.scopes.join(', ')}; this needs ${describeNeed(need)}`,
      { key: principal.id, scopes: principal.scopes, needs: need },
    );
  }

  /**
   * Checks a request against its route's declared access: open passes; a scope must be held; `invoke`
   * is for the function in the route's `:name`. A route that declares nothing counts as admin-only.
   */
  authorizeRoute(req: Request, declared: RouteAccess | undefined): void {
    const access: RouteAccess = declared ?? { open: false, scope: Scope.Admin };
    if (access.open) return;
    const fn = typeof req.params?.name === 'string' ? req.params.name : undefined;
    this.authorize(req, access.scope === Scope.Invoke ? { scope: Scope.Invoke, function: fn } : { scope: access.scope });
  }

  private principalOf(req: AuthenticatedRequest): ApiKeyPrincipal {
    const known = req[PRINCIPAL];
    if (known) return known;
    const key = presentedApiKey(req.headers);
    if (key === undefined) throw EparaError.unauthorized(NO_KEY);
    const outcome = this.keys.authenticate(key);
    if ('refused' in outcome) throw EparaError.unauthorized(outcome.refused);
    req[PRINCIPAL] = outcome.principal;
    return outcome.principal;
  }
}

/**
 * The gateway's global guard: every HTTP route passes through it and is checked against what it
 * declares. NATS handlers are not HTTP and pass: who may publish there is the NATS server's business.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly access: AccessControl,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const declared = routeAccessOf(this.reflector, context.getClass(), context.getHandler());
    this.access.authorizeRoute(context.switchToHttp().getRequest<Request>(), declared);
    return true;
  }
}

/**
 * Express middleware for the routes whose raw body is read before Nest's router (up to
 * EPARA_MAX_BODY_MB): the route's key check runs before the body is read, so a caller without the key
 * cannot make the gateway take in a large body first. The guard checks again (from the remembered principal).
 */
export function keyCheckBeforeBody(access: AccessControl, declared: RouteAccess | undefined): RequestHandler {
  return (req, _res, next) => {
    try {
      access.authorizeRoute(req, declared);
      next();
    } catch (e) {
      next(e);
    }
  };
}
