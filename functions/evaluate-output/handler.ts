import { observability, shell } from '../shared/lambda-shell.ts';
import { parseMini } from '../shared/parse.ts';
import { TaskPayloadSchema } from '../shared/task-payload.ts';
import { evaluateOutput } from './core.ts';

const o = observability('evaluate-output');

/** Lambda entry: the experiment's `evaluateOutput` task → objective values. */
export const handler = shell(o, async (event: unknown) =>
  evaluateOutput(parseMini(TaskPayloadSchema, event, 'evaluateOutput task payload')),
);
