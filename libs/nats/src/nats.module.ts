import { DynamicModule, Global, Module } from '@nestjs/common';
import { EVENT_PUBLISHER } from './events/event-publisher.token';
import { NatsEventBus } from './events/nats-event-bus';
import { connectNats, NATS_OPTIONS, NatsClient, NatsOptions } from './nats-client';

/** One NATS connection per app, shared by the HTTP side and the custom transport. */
@Global()
@Module({})
export class NatsModule {
  static forRoot(options: NatsOptions): DynamicModule {
    return {
      module: NatsModule,
      providers: [
        { provide: NATS_OPTIONS, useValue: options },
        {
          provide: NatsClient,
          inject: [NATS_OPTIONS],
          useFactory: async (o: NatsOptions) => {
            const client = new NatsClient(await connectNats(o), o);
            await client.ensureBuckets();
            return client;
          },
        },
        { provide: EVENT_PUBLISHER, inject: [NatsClient], useFactory: (c: NatsClient) => new NatsEventBus(c.nc) },
      ],
      exports: [NatsClient, NATS_OPTIONS, EVENT_PUBLISHER],
    };
  }
}
