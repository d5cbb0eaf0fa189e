import { Controller, Delete, DynamicModule, Get, Post, Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { Registry } from 'prom-client';
import { Scope } from '@epara/contracts';
import { NeedsScope, OpenRoute } from '@epara/nats';
import { GatewayConfig } from '../config';
import { GatewayModule } from '../gateway.module';
import { RouteAccessCheck, routeTable, undeclaredRoutes } from './route-table';

@Controller('v9/things')
@NeedsScope(Scope.Read)
class ThingsController {
  @Get()
  list() {}

  @Delete(':name')
  @NeedsScope(Scope.Admin)
  remove() {}

  @Post(':name/poke')
  @NeedsScope(Scope.Invoke)
  poke() {}
}

@Controller()
class PagesController {
  @Get(['', 'page'])
  @OpenRoute()
  page() {}

  @Get('forgotten')
  forgotten() {}

  helper() {}
}

describe(routeTable.name, () => {
  it('lists each path of each HTTP route with its access, the method over its controller', () => {
    expect(routeTable([ThingsController, PagesController]).map((r) => [r.method, r.path, r.access])).toEqual([
      ['GET', '/v9/things', { open: false, scope: 'read' }],
      ['DELETE', '/v9/things/:name', { open: false, scope: 'admin' }],
      ['POST', '/v9/things/:name/poke', { open: false, scope: 'invoke' }],
      ['GET', '/', { open: true }],
      ['GET', '/page', { open: true }],
      ['GET', '/forgotten', undefined],
    ]);
  });

  it('finds the routes that declare nothing', () => {
    expect(undeclaredRoutes(routeTable([PagesController])).map((r) => r.handler)).toEqual(['PagesController.forgotten']);
  });

  it('refuses to start an app with a route that declares nothing, naming it', () => {
    const discovering = (...controllers: Type[]) =>
      new RouteAccessCheck({ getControllers: () => controllers.map((metatype) => ({ metatype })) } as unknown as DiscoveryService);

    expect(() => discovering(ThingsController).onModuleInit()).not.toThrow();
    expect(() => discovering(ThingsController, PagesController).onModuleInit()).toThrow(
      'routes without declared access (add @NeedsScope(...) or @OpenRoute()): GET /forgotten (PagesController.forgotten)',
    );
  });

  it('every route of the gateway declares its access (@NeedsScope or @OpenRoute)', () => {
    const gateway = GatewayModule.forRoot({} as GatewayConfig, new Registry());
    const controllers = [
      ...(gateway.controllers ?? []),
      ...(gateway.imports ?? []).flatMap((m) => ((m as DynamicModule).controllers ?? []) as Type[]),
    ];
    const routes = routeTable(controllers);

    expect(routes.length).toBeGreaterThan(15);
    expect(undeclaredRoutes(routes)).toEqual([]);
    expect(routes.filter((r) => r.access?.open).map((r) => r.path)).toEqual([
      '/v2/health/live',
      '/v2/health/ready',
      '/health/live',
      '/health',
      '/health/ready',
      '/',
      '/dashboard',
      '/dashboard/uplot.js',
      '/dashboard/uplot.css',
    ]);
  });
});
