import type { Clock } from '../contracts/index.ts';
import { OperatorActionError } from './errors.ts';

/** A decision on a proposal waiting at the gate. */
export interface ApprovalDecision {
  verdict: 'approved' | 'rejected';
  who: string;
  why: string | undefined;
}

/** A proposal waiting for a person. */
export interface PendingApproval {
  experimentId: string;
  reason: string;
  requestedAt: number;
  expiresAt: number;
}

interface Waiting extends PendingApproval {
  settle(decision: ApprovalDecision): void;
  timer: unknown;
}

/**
 * Where proposals that need a person wait for one. Each request resolves with the first decision, or with a
 * rejection by the runtime when its timeout passes; a decision on something not waiting is refused.
 */
export class ApprovalDesk {
  private readonly waiting = new Map<string, Waiting>();

  constructor(private readonly clock: Clock) {}

  /** Waits for a decision on `experimentId`, at most `timeoutMs`; aborting the signal stops waiting. */
  request(
    experimentId: string,
    reason: string,
    timeoutMs: number,
    signal?: AbortSignal,
  ): Promise<ApprovalDecision> {
    return new Promise((resolve, reject) => {
      const now = this.clock.now();
      const entry: Waiting = {
        experimentId,
        reason,
        requestedAt: now,
        expiresAt: now + timeoutMs,
        settle: (decision) => {
          this.clock.clearTimeout(entry.timer);
          signal?.removeEventListener('abort', onAbort);
          this.waiting.delete(experimentId);
          resolve(decision);
        },
        timer: undefined,
      };
      const onAbort = () => {
        this.clock.clearTimeout(entry.timer);
        this.waiting.delete(experimentId);
        reject(signal?.reason);
      };
      if (signal?.aborted) return reject(signal.reason);
      signal?.addEventListener('abort', onAbort, { once: true });
      entry.timer = this.clock.setTimeout(
        () =>
          entry.settle({
            verdict: 'rejected',
            who: 'runtime',
            why: `no decision within ${timeoutMs / 1000} s`,
          }),
        timeoutMs,
      );
      this.waiting.set(experimentId, entry);
    });
  }

  /** Records a person's decision. Throws {@link OperatorActionError} when the proposal is not waiting. */
  decide(experimentId: string, verdict: 'approved' | 'rejected', who: string, why?: string): void {
    const entry = this.waiting.get(experimentId);
    if (!entry) {
      const waiting = [...this.waiting.keys()];
      throw new OperatorActionError(
        `${experimentId} is not waiting for approval; ${waiting.length === 0 ? 'nothing is' : `waiting: ${waiting.join(', ')}`}`,
      );
    }
    entry.settle({ verdict, who, why });
  }

  /** The proposals waiting now, oldest first. */
  pending(): PendingApproval[] {
    return [...this.waiting.values()].map(({ experimentId, reason, requestedAt, expiresAt }) => ({
      experimentId,
      reason,
      requestedAt,
      expiresAt,
    }));
  }
}
