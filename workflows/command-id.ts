// No JSONata here: campaign-api names the commands it interrupts through this module (ADR 0006).

/** The deterministic id of a step's command: the same experiment, step and attempt give the same id. */
export function commandIdFor(experimentId: string, step: string, attempt: number): string {
  return `${experimentId}/${step}/${attempt}`;
}
