import type { ActionRequest } from '../../../contracts/index.ts';
import type { ApiClient } from '../api.ts';
import type { ConfirmOptions } from '../confirm.ts';
import type { AppState } from '../store.ts';

/** What every screen gets: the state to draw and the ways to act. */
export interface ViewContext {
  state: AppState;
  api: ApiClient;
  /** Confirms with the person, then posts the action; reports the outcome in the notice bar. */
  act(request: ActionRequest, confirm: ConfirmOptions): Promise<void>;
  /** Redraws the current screen (after a local change such as a chart's parameter). */
  rerender(): void;
}
