export { STALE_AFTER_MS } from './replica-staleness';
export type { ReplicaViewPort, RoutableReplica } from './replica-view';
export { Route, routeSubject, RouteTarget } from './route';
export { RequestRouter } from './request-router';
export type { RouterConfig } from './request-router';
export { PipelinePlan } from './pipeline-plan';
export type { PipelineFunction, PlannedStage } from './pipeline-plan';
export { PipelineRun } from './pipeline-run';
export type { PipelineStep, StageServed } from './pipeline-run';
