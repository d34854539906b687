import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { keys } from './table.ts';

/** A decision on a proposal waiting at the gate, by a person or by the runtime when nobody answered in time. */
export interface ApprovalDecision {
  verdict: 'approved' | 'rejected';
  /** e.g. `operator:alice`, or `runtime` for a timeout. */
  who: string;
  why?: string | undefined;
}

/** The reason the gate reports for a decision, worded as the local runtime words it. */
export function decisionReason(decision: ApprovalDecision): string {
  return decision.verdict === 'approved'
    ? `approved by ${decision.who}`
    : `rejected by ${decision.who}${decision.why ? `: ${decision.why}` : ''}`;
}

/**
 * Records a decision on an `awaiting-approval` experiment (campaign-api for a person, policy-gate for the
 * timeout): a conditional update, so exactly one decision lands and none lands after the proposal's approval
 * window closed. Returns `not-waiting` when the experiment was not waiting (decided already, expired, unknown),
 * which an API answers with 409, as the local approval desk refuses a decision on nothing.
 *
 * @example
 * await decideApproval(db, 'labloop', 'c1', 'c1-e0004', { verdict: 'approved', who: 'operator:alice' }, Date.now());
 */
export async function decideApproval(
  db: DynamoDBDocumentClient,
  table: string,
  campaignId: string,
  experimentId: string,
  decision: ApprovalDecision,
  now: number,
): Promise<'decided' | 'not-waiting'> {
  // The runtime's own timeout decision is the one write allowed once the window has closed.
  const timeout = decision.who === 'runtime';
  try {
    await db.send(
      new UpdateCommand({
        TableName: table,
        Key: keys.experiment(campaignId, experimentId),
        UpdateExpression: 'SET #status = :verdict, reason = :reason, decidedBy = :who, decidedAt = :now',
        ConditionExpression: timeout
          ? '#status = :waiting AND expiresAt <= :now'
          : '#status = :waiting AND expiresAt > :now',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':verdict': decision.verdict,
          ':reason': decisionReason(decision),
          ':who': decision.who,
          ':now': now,
          ':waiting': 'awaiting-approval',
        },
      }),
    );
    return 'decided';
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return 'not-waiting';
    throw error;
  }
}
