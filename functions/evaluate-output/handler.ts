import { parseWith } from '../../contracts/errors.ts';
import { observability, shell } from '../shared/lambda-shell.ts';
import { TaskPayloadSchema } from '../shared/task-payload.ts';
import { evaluateOutput } from './core.ts';

const o = observability('evaluate-output');

/** Lambda entry: the experiment's `evaluateOutput` task → objective values. */
export const handler = shell(o, async (event: unknown) =>
  evaluateOutput(parseWith(TaskPayloadSchema, event, 'evaluateOutput task payload')),
);
