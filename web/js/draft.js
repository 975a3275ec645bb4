// Drafts (sessionStorage: this tab only), the unsaved-input warning, and the
// receipt kept for a reload of the completion page.
//
// It owns its storage keys and its save timer. What a draft holds is read
// through `source` when it is saved, so this module knows nothing of the form.

const DRAFT_KEY = 'partner-registration:draft';
const RECEIPT_KEY = 'partner-registration:receipt';
const SAVE_DELAY_MS = 300;

/**
 * source: {
 *   hasInput(): whether anything is entered,
 *   values(): every value, touched(): the touched keys,
 *   key(): {idempotencyKey, keyFingerprint} of the application on step 2,
 * }
 */
export function createDraft(source) {
  let timer = 0;

  function save() {
    clearTimeout(timer);
    const key = source.key();
    if (!source.hasInput() && !key.idempotencyKey) {
      clear();
      return;
    }
    const draft = {
      values: source.values(),
      touched: source.touched(),
      idempotencyKey: key.idempotencyKey,
      keyFingerprint: key.keyFingerprint,
    };
    try {
      sessionStorage.setItem(DRAFT_KEY, JSON.stringify(draft));
    } catch {
      // Private mode or full storage: the form still works, only without a draft.
    }
  }

  function load() {
    try {
      const draft = JSON.parse(sessionStorage.getItem(DRAFT_KEY) || 'null');
      return draft && typeof draft === 'object' && draft.values ? draft : null;
    } catch {
      return null;
    }
  }

  function clear() {
    clearTimeout(timer);
    try {
      sessionStorage.removeItem(DRAFT_KEY);
    } catch {
      // Nothing stored.
    }
  }

  /** Something changed: save soon. */
  function changed() {
    clearTimeout(timer);
    timer = setTimeout(save, SAVE_DELAY_MS);
  }

  function onBeforeUnload(event) {
    if (!source.hasInput()) return;
    save();
    event.preventDefault();
    event.returnValue = '';
  }

  function listen() {
    window.addEventListener('beforeunload', onBeforeUnload);
    window.addEventListener('pagehide', save);
  }

  return { save, load, clear, changed, listen };
}

export function saveReceipt(receipt) {
  try {
    sessionStorage.setItem(RECEIPT_KEY, JSON.stringify(receipt));
  } catch {
    // Storage full or disabled: the receipt is still on screen.
  }
}

export function loadReceipt() {
  try {
    return JSON.parse(sessionStorage.getItem(RECEIPT_KEY) || 'null');
  } catch {
    return null;
  }
}
