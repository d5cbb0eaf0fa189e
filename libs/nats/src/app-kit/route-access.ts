import { SetMetadata } from '@nestjs/common';
import { Scope } from '@epara/contracts';

/**
 * Who may call an HTTP route: anyone (`open`), or a caller whose API key holds a scope. Every route of
 * the gateway declares one; its guard refuses to start with a route that does not (README "Security").
 * Declared here, beside the health and metrics controllers every app shares; only the gateway checks keys.
 */
export type RouteAccess = { open: true } | { open: false; scope: Scope };

export const ROUTE_ACCESS = 'epara:route-access';

/**
 * The route needs an API key with `scope` (`admin` holds every scope). For `invoke`, the function is the
 * route's `:name` parameter, so `invoke:cam-*` keys reach only matching functions; a route without one
 * accepts any invoke scope and narrows it by itself.
 */
export const NeedsScope = (scope: Scope) => SetMetadata(ROUTE_ACCESS, { open: false, scope } satisfies RouteAccess);

/** The route needs no key: health checks, the dashboard page (which asks for a key for its data). */
export const OpenRoute = () => SetMetadata(ROUTE_ACCESS, { open: true } satisfies RouteAccess);
