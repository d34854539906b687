import { z } from 'zod';

/**
 * What a compiled workflow's task sends a Lambda: the actor's name and state, the actor's input (the same
 * value XState gives the local actor), the `context` a Lambda needs instead of closures (campaign and experiment
 * ids), cloud-only `extra` data, and, for `.waitForTaskToken` tasks, the task token.
 */
export const TaskPayloadSchema = z.object({
  actor: z.string().min(1),
  state: z.string().min(1),
  input: z.unknown(),
  context: z.object({ campaignId: z.string().min(1), experimentId: z.string().min(1).optional() }),
  extra: z.record(z.string(), z.unknown()).optional(),
  taskToken: z.string().min(1).optional(),
});
export type TaskPayload = z.infer<typeof TaskPayloadSchema>;
