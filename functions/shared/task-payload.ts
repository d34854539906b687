import * as z from 'zod/mini';

/**
 * What a compiled workflow's task sends a Lambda: the actor's name and state, the actor's input (the same
 * value XState gives the local actor), the `context` a Lambda needs instead of closures (campaign and experiment
 * ids), cloud-only `extra` data, and, for `.waitForTaskToken` tasks, the task token.
 */
export const TaskPayloadSchema = z.object({
  actor: z.string().check(z.minLength(1)),
  state: z.string().check(z.minLength(1)),
  input: z.unknown(),
  context: z.object({
    campaignId: z.string().check(z.minLength(1)),
    experimentId: z.optional(z.string().check(z.minLength(1))),
  }),
  extra: z.optional(z.record(z.string(), z.unknown())),
  taskToken: z.optional(z.string().check(z.minLength(1))),
});
/** A parsed {@link TaskPayloadSchema}. */
export type TaskPayload = z.infer<typeof TaskPayloadSchema>;
