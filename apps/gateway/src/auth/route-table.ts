import { Injectable, OnModuleInit, RequestMethod, Type } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DiscoveryService, MetadataScanner, Reflector } from '@nestjs/core';
import { RouteAccess } from '@epara/nats';
import { routeAccessOf, RouteHandler } from './access-control';

/** One HTTP route of the gateway and the access it declares (undefined: none, which is a bug). */
export interface GatewayRoute {
  method: string;
  /** Express style: `/v1/functions/:name/invoke`. */
  path: string;
  access?: RouteAccess;
  /** `Controller.method`, for messages. */
  handler: string;
}

const asList = (p: string | string[] | undefined): string[] => (Array.isArray(p) ? p : [p ?? '']);
const joinPath = (...parts: string[]) =>
  `/${parts
    .map((p) => p.replace(/^\/+|\/+$/g, ''))
    .filter(Boolean)
    .join('/')}`;

/** Every HTTP route the controllers register (as Nest's router would), with its declared access. */
export function routeTable(controllers: readonly Type[], reflector = new Reflector(), scanner = new MetadataScanner()): GatewayRoute[] {
  const routes: GatewayRoute[] = [];
  for (const controller of controllers) {
    const bases = asList(Reflect.getMetadata(PATH_METADATA, controller));
    for (const name of scanner.getAllMethodNames(controller.prototype)) {
      const handler = controller.prototype[name] as RouteHandler;
      const method = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
      if (method === undefined) continue; // not an HTTP route (a NATS handler, a helper)
      const access = routeAccessOf(reflector, controller, handler);
      for (const base of bases)
        for (const path of asList(Reflect.getMetadata(PATH_METADATA, handler)))
          routes.push({ method: RequestMethod[method], path: joinPath(base, path), access, handler: `${controller.name}.${name}` });
    }
  }
  return routes;
}

export function undeclaredRoutes(routes: readonly GatewayRoute[]): GatewayRoute[] {
  return routes.filter((r) => r.access === undefined);
}

/**
 * Refuses to start a gateway with a route that declares no access (`@NeedsScope` or `@OpenRoute`), so
 * a new route cannot be forgotten by the key checks.
 */
@Injectable()
export class RouteAccessCheck implements OnModuleInit {
  constructor(private readonly discovery: DiscoveryService) {}

  /** The gateway's routes, from the controllers Nest discovered. */
  routes(): GatewayRoute[] {
    const controllers = this.discovery.getControllers().flatMap((w) => (w.metatype ? [w.metatype as Type] : []));
    return routeTable(controllers);
  }

  onModuleInit(): void {
    const missing = undeclaredRoutes(this.routes());
    if (missing.length)
      throw new Error(
        `routes without declared access (add @NeedsScope(...) or @OpenRoute()): ${missing.map((r) => `${r.method} ${r.path} (${r.handler})`).join(', ')}`,
      );
  }
}
