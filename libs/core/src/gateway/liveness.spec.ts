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

  it('calls it gone after three missed probes in a row, and an answer in between starts the count again', () => {
    const v = new LivenessVerdicts(3);
    expect(v.observe('cpu-0', ProbeOutcome.Missed)).toBeUndefined();
    expect(v.observe('cpu-0', ProbeOutcome.Missed)).toBeUndefined();
    expect(v.observe('cpu-0', ProbeOutcome.Answered)).toBeUndefined();
    expect(v.observe('cpu-0', ProbeOutcome.Missed)).toBeUndefined();
    expect(v.observe('cpu-0', ProbeOutcome.Missed)).toBeUndefined();
    expect(v.observe('cpu-1', ProbeOutcome.Missed)).toBeUndefined(); // devices count apart
    expect(v.observe('cpu-0', ProbeOutcome.Missed)).toMatch(/missed 3 liveness probes in a row/);
  });
});
