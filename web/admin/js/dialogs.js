// Modal dialogs (<dialog> with showModal: the page behind is inert, Esc
// closes) that give focus back to what opened them when they close.

const openers = new WeakMap();

/** Opens `dialog` modally, remembering the focused element; focuses `first`. */
export function open(dialog, first) {
  openers.set(dialog, document.activeElement);
  if (!dialog.open) dialog.showModal();
  if (first) first.focus();
}

/** Closes `dialog` and returns focus to its opener (or `fallback`). */
export function close(dialog, fallback) {
  if (dialog.open) dialog.close();
  restore(dialog, fallback);
}

function restore(dialog, fallback) {
  const opener = openers.get(dialog);
  openers.delete(dialog);
  const target = opener && opener.isConnected && !opener.disabled ? opener : fallback;
  if (target) target.focus();
}

/** Esc (the dialog's cancel event) goes through `onCancel`, which may refuse. */
export function onCancel(dialog, handler) {
  dialog.addEventListener('cancel', (event) => {
    event.preventDefault();
    handler();
  });
}
