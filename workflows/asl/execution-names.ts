/**
 * Names of a campaign's experiment executions. Step Functions keeps an execution's name for 90 days after it
 * closes, per state machine, and refuses to start another under it (`ExecutionAlreadyExists`), so each run of a
 * batch's Map names its experiments anew: `<experimentId>-<when the Map was entered, epoch ms in base 36>`. Inside
 * one run of the Map a repeated start uses the same name and is harmless (the running execution is returned);
 * after pause now and resume, the Map is entered again and starts new executions.
 *
 * A pure leaf (it imports only `errors.ts`): the campaign API's Lambda imports it (ADR 0006).
 *
 * @example
 * experimentExecutionName('colour-1-e0003', Date.parse('2025-01-01T00:00:00Z')) // 'colour-1-e0003-m5d4ruo0'
 */
import { ExecutionNameError } from './errors.ts';

/** The longest execution name Step Functions takes. */
export const MAX_EXECUTION_NAME_LENGTH = 80;

/**
 * JSONata of an experiment execution's name, for the Map's `ItemSelector`, where `$item` is a proposal and
 * `$states.context.State.EnteredTime` is when the Map state was entered. A name past
 * {@link MAX_EXECUTION_NAME_LENGTH} fails the Map with `States.QueryEvaluationError` naming it.
 */
export const EXPERIMENT_EXECUTION_NAME = `(
  $name := $item.experimentId & "-" & $formatBase($toMillis($states.context.State.EnteredTime), 36);
  $length($name) <= ${MAX_EXECUTION_NAME_LENGTH} ? $name : $error(
    "experiment execution name " & $name & " has " & $string($length($name)) &
    " characters, Step Functions takes at most ${MAX_EXECUTION_NAME_LENGTH}: start the campaign under a shorter id"
  )
)`;

/**
 * The TypeScript twin of {@link EXPERIMENT_EXECUTION_NAME}: the name of `experimentId`'s execution in the Map
 * entered at `enteredAt` (epoch ms). Throws {@link ExecutionNameError} past {@link MAX_EXECUTION_NAME_LENGTH}.
 */
export function experimentExecutionName(experimentId: string, enteredAt: number): string {
  const name = `${experimentId}-${enteredAt.toString(36)}`;
  if (name.length > MAX_EXECUTION_NAME_LENGTH)
    throw new ExecutionNameError(
      `experiment execution name ${name} has ${name.length} characters, Step Functions takes at most ${MAX_EXECUTION_NAME_LENGTH}: start the campaign under a shorter id`,
    );
  return name;
}

/**
 * The longest experiment execution name a campaign can have: its last experiment id (`<campaignId>-e<index>`,
 * the index padded to 4 digits) with the longest run suffix until May 2059 (8 base-36 digits: `zzzzzzzz`).
 * Throws {@link ExecutionNameError} when it is too long, so a campaign that could not name its experiments is
 * refused before it starts.
 */
export function checkExperimentExecutionNames(campaignId: string, experiments: number): string {
  const lastId = `${campaignId}-e${String(experiments).padStart(4, '0')}`;
  return experimentExecutionName(lastId, 36 ** 8 - 1);
}

/**
 * Matches the names of `campaignId`'s experiment executions (`<campaignId>-e<n>-<run>`) and nothing of a campaign
 * whose id merely starts the same (`<campaignId>-2-e0001-…`). Campaign ids are slugs: nothing in them is special
 * in a pattern.
 */
export function experimentExecutionPattern(campaignId: string): RegExp {
  return new RegExp(`^${campaignId}-e\\d+-[0-9a-z]+$`);
}

/** The experiment id an experiment execution's name carries, or undefined for a name of another form. */
export function experimentIdOf(executionName: string): string | undefined {
  return /^(.+-e\d+)-[0-9a-z]+$/.exec(executionName)?.[1];
}
