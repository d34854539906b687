/** What a confirmation dialog asks. */
export interface ConfirmOptions {
  title: string;
  body: string;
  confirmLabel: string;
  /** Red confirm button, for actions that stop things. */
  danger?: boolean;
}

/**
 * Asks the person to confirm an action in the page's `<dialog>`, with an optional reason for the audit log.
 * Resolves with `{ why }` when confirmed, undefined when cancelled.
 */
export function confirmAction(options: ConfirmOptions): Promise<{ why: string | undefined } | undefined> {
  const dialog = document.getElementById('confirm') as HTMLDialogElement;
  const why = document.getElementById('confirm-why') as HTMLTextAreaElement;
  const ok = document.getElementById('confirm-ok') as HTMLButtonElement;
  (document.getElementById('confirm-title') as HTMLElement).textContent = options.title;
  (document.getElementById('confirm-body') as HTMLElement).textContent = options.body;
  ok.textContent = options.confirmLabel;
  ok.classList.toggle('danger', options.danger === true);
  why.value = '';
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener(
      'close',
      () => resolve(dialog.returnValue === 'ok' ? { why: why.value.trim() || undefined } : undefined),
      { once: true },
    );
  });
}
