import { NotDeployedError, outsideProductionOnly } from './errors.ts';

export interface FaultOpsDeps<Faults> {
  readonly stage: string;
  /** The stand-ins this deployment has: a real provider or legacy system takes no faults from us. */
  readonly targets: readonly string[];
  readonly write: (target: string, faults: Faults) => Promise<void>;
}

/** Sets a stand-in's faults (outside production): its latency, its error rate, its lost answers. */
export async function injectFaults<Faults extends object>(deps: FaultOpsDeps<Faults>, input: { target: string; faults: Faults }) {
  outsideProductionOnly(deps.stage, 'Fault injection');
  if (!deps.targets.includes(input.target))
    throw new NotDeployedError(
      'FAULT_TARGET_NOT_FOUND',
      input.target,
      `No fault target ${input.target}; known: ${deps.targets.join(', ')}`,
    );
  await deps.write(input.target, input.faults);
  return { target: input.target, ...input.faults };
}
