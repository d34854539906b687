import type { MachineTwins } from './types.ts';

/**
 * The JSONata twins of `campaignMachine`'s TypeScript guards, assigns, inputs and output. Context keys are
 * variables; `undefined` context values are `null` in ASL, so optional values are tested with `!= null`.
 */
export const campaignTwins: MachineTwins = {
  context: {
    campaignId: '$input.campaignId',
    budget: '$input.budget',
    batchSize: '$input.batchSize',
    objective: '$input.objective',
    proposed: '$exists($input.progress) ? $input.progress.proposed : 0',
    succeeded: '$exists($input.progress) ? $input.progress.succeeded : 0',
    failed: '$exists($input.progress) ? $input.progress.failed : 0',
    rejected: '$exists($input.progress) ? $input.progress.rejected : 0',
    best: '$exists($input.progress.best) ? $input.progress.best : null',
    batchIndex: '$exists($input.batchIndex) ? $input.batchIndex : 0',
    proposals: '[]',
    approved: '[]',
    pauseRequested: 'false',
    stopRequested: 'false',
    reason: 'null',
    error: 'null',
  },
  guards: {
    stopRequested: '$stopRequested = true',
    pauseRequested: '$pauseRequested = true',
    budgetSpent: '$proposed >= $budget.experiments',
    targetReached: `$exists($objective.target) and $objective.target != null and $best != null and (
      $objective.goal = "maximise" ? $best.value >= $objective.target : $best.value <= $objective.target
    )`,
    tooManyFailures: '$exists($budget.failures) and $budget.failures != null and $failed >= $budget.failures',
  },
  delays: {},
  inputs: {
    planning: '{ "batchIndex": $batchIndex, "count": $min([$batchSize, $budget.experiments - $proposed]) }',
    gating: '{ "proposals": $proposals }',
    running: '{ "proposals": $approved }',
    recording: '{ "batchIndex": $batchIndex }',
  },
  assigns: {
    'action:recordError': { error: '$event.error.name & ": " & $event.error.message' },
    'planning.onDone': { proposals: '$event.output' },
    'gating.onDone': { approved: '$event.output.approved' },
    'recording.onDone': {
      proposed: '$event.output.proposed',
      succeeded: '$event.output.succeeded',
      failed: '$event.output.failed',
      rejected: '$event.output.rejected',
      best: '$exists($event.output.best) ? $event.output.best : null',
      batchIndex: '$batchIndex + 1',
      proposals: '[]',
      approved: '[]',
    },
  },
  output: `$merge([
    {
      "reason": $reason != null ? $reason : "error",
      "proposed": $proposed,
      "succeeded": $succeeded,
      "failed": $failed,
      "rejected": $rejected
    },
    $best != null ? { "best": $best } : {},
    $error != null ? { "error": $error } : {}
  ])`,
};
