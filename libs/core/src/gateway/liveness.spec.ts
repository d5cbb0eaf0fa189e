import { LivenessVerdicts, ProbeOutcome } from './liveness';

describe(LivenessVerdicts.name, () => {
  it('calls a device gone when its liveness subject has no responders twice in a row', () => {
    const v = new LivenessVerdicts();
    expect(v.observe('cpu-0', ProbeOutcome.Answered)).toBeUndefined();
    expect(v.observe('cpu-0', ProbeOutcome.NoResponders)).toBeUndefined();
    expect(v.observe('cpu-0', ProbeOutcome.NoResponders)).toMatch(/NATS connection closed/);
  });

  it('does not call a worker gone that was briefly without its subscription (starting, or resubscribing after a server restart)', () => {
    const v = new LivenessVerdicts();
    expect(v.observe('cpu-0', ProbeOutcome.NoResponders)).toBeUndefined();
    expect(v.observe('cpu-0', ProbeOutcome.Answered)).toBeUndefined();
    expect(v.observe('cpu-0', ProbeOutcome.NoResponders)).toBeUndefined();
  });

  it('calls a device gone once it has answered no probe for the silence period since the first unanswered one went out', () => {
    const v = new LivenessVerdicts(600);
    v.sent('cpu-0', 1000);
    expect(v.check('cpu-0', 1100)).toBeUndefined();
    v.sent('cpu-0', 1100); // later probes do not move the start of the silence
    v.sent('cpu-1', 1300); // devices count apart
    expect(v.check('cpu-0', 1599)).toBeUndefined();
    expect(v.check('cpu-0', 1600)).toMatch(/answered no liveness probe for 600 ms/);
    expect(v.check('cpu-1', 1600)).toBeUndefined();
    // Gone once: the count starts again (the device is forgotten until its next heartbeat anyway).
    expect(v.check('cpu-0', 2000)).toBeUndefined();
  });

  it('starts the silence again at each answer; a timed-out probe says nothing more than the silence', () => {
    const v = new LivenessVerdicts(600);
    v.sent('cpu-0', 1000);
    expect(v.observe('cpu-0', ProbeOutcome.Missed)).toBeUndefined();
    expect(v.observe('cpu-0', ProbeOutcome.Answered)).toBeUndefined();
    v.sent('cpu-0', 1500);
    expect(v.check('cpu-0', 1700)).toBeUndefined();
    expect(v.check('cpu-0', 2100)).toMatch(/600 ms/);
  });

  it('forgets every count after the prober’s own outage or stall', () => {
    const v = new LivenessVerdicts(600);
    v.sent('cpu-0', 0);
    v.sent('cpu-1', 0);
    v.forgetAll();
    expect(v.check('cpu-0', 5000)).toBeUndefined();
    expect(v.check('cpu-1', 5000)).toBeUndefined();
  });
});
