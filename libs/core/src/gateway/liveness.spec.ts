import { LivenessVerdicts, ProbeOutcome } from './liveness';

describe(LivenessVerdicts.name, () => {
  it('calls a device gone at once when its liveness subject has no responders', () => {
    const v = new LivenessVerdicts();
    expect(v.observe('cpu-0', ProbeOutcome.Answered)).toBeUndefined();
    expect(v.observe('cpu-0', ProbeOutcome.NoResponders)).toMatch(/NATS connection closed/);
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
