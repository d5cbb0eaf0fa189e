/** The goodput simulator: the platform's own policy code and DeviceExecutor in virtual time. */
export * from './types';
export * from './simulation';
export * from './event-queue';
export * from './virtual-time';
