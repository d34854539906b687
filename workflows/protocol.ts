// Leaf imports, not contracts/index.ts: the Lambdas import this module and must not bundle every schema (ADR 0006).

import type { ProtocolStep } from '../contracts/campaign.ts';
import type { ObjectiveValues, ParameterValues } from '../contracts/design-space.ts';
import type { Fault } from '../contracts/device.ts';
import { FaultCodes } from '../contracts/fault-codes.ts';
import { evaluate } from './expressions.ts';

// The protocol's pure pieces, shared by the experiment machine and the cloud Lambdas: no XState here.

/** What the protocol's expressions see: the proposal, the experiment's identity and labware, earlier steps' outputs. */
export interface ExperimentScope {
  proposal: ParameterValues;
  experiment: { id: string; index: number; plate: string; well: string };
  steps: Record<string, Record<string, unknown>>;
}

/** A step failure as data, thrown by `deviceStep` implementations so the machine can decide on retries. */
export class StepFaultError extends Error {
  override readonly name = 'StepFaultError';
  constructor(
    readonly fault: Fault,
    options?: ErrorOptions,
  ) {
    super(`${fault.code}: ${fault.message}`, options);
  }
}

/** Turns whatever an actor rejected with into a {@link Fault}. */
export function faultOf(error: unknown): Fault {
  if (error instanceof StepFaultError) return error.fault;
  return {
    code: FaultCodes.DriverError,
    message: error instanceof Error ? error.message : String(error),
    retryable: false,
  };
}

/** Builds a step's command parameters from its `input` expression; they must come out as an object. */
export async function renderStepInput(
  step: ProtocolStep,
  scope: ExperimentScope,
): Promise<Record<string, unknown>> {
  const parameters = await evaluate(step.input, scope, `protocol step ${step.name} input`);
  if (parameters === null || typeof parameters !== 'object' || Array.isArray(parameters))
    throw new StepFaultError({
      code: FaultCodes.InvalidParameters,
      message: `protocol step ${step.name} input must give an object of command parameters, got ${JSON.stringify(parameters) ?? 'nothing'}`,
      retryable: false,
    });
  return parameters as Record<string, unknown>;
}

/** 96-well labware for experiment `index`: plate-1 A1…H12, then plate-2. */
export function labwareFor(index: number): { plate: string; well: string } {
  const slot = index % 96;
  return {
    plate: `plate-${Math.floor(index / 96) + 1}`,
    well: `${'ABCDEFGH'[Math.floor(slot / 12)]}${(slot % 12) + 1}`,
  };
}

/** Turns the protocol's `output` expression into objective values; they must be finite numbers. */
export async function evaluateOutputValues(
  expression: string,
  scope: ExperimentScope,
): Promise<ObjectiveValues> {
  const values = await evaluate(expression, scope, 'protocol.output');
  if (values === null || typeof values !== 'object' || Array.isArray(values))
    throw new StepFaultError({
      code: 'InvalidOutput',
      message: `protocol.output must give an object of objective values, got ${JSON.stringify(values)}`,
      retryable: false,
    });
  for (const [name, value] of Object.entries(values))
    if (typeof value !== 'number' || !Number.isFinite(value))
      throw new StepFaultError({
        code: 'InvalidOutput',
        message: `objective ${name} must be a finite number, got ${JSON.stringify(value)}`,
        retryable: false,
      });
  return values as ObjectiveValues;
}
