// Checking on blur, with the server's rules: the whole form is POSTed to
// /api/validate (debounced) and the touched fields show the answer.
//
// It owns its timer and a sequence number, so that an older answer arriving
// after a newer question is dropped.

import * as api from './api.js';

/**
 * `display` is the field display; `isActive()` says whether step 1 is shown
 * (checks only run, and only land, there).
 */
export function createChecks(display, isActive) {
  let seq = 0;
  let timer = 0;

  async function checkTouched() {
    if (!isActive() || display.touchedKeys().length === 0) return;
    const mine = ++seq;
    let response;
    try {
      response = await api.validate(display.collect());
    } catch {
      return; // Offline while typing: step 2 asks again and says so.
    }
    if (mine !== seq || !isActive()) return; // A newer check is on its way.
    const { status, body } = response;
    if (status === 200 && body) {
      display.showIssues([], body.warnings);
    } else if (status === 422 && body && Array.isArray(body.errors)) {
      const shown = display.showIssues(body.errors, body.warnings);
      // The summary, once shown, follows the corrections.
      if (display.summaryShown()) display.renderSummary(shown, '');
    }
  }

  return {
    /** Checks the touched fields after `delay` ms, replacing a check already waiting. */
    schedule(delay) {
      clearTimeout(timer);
      timer = setTimeout(checkTouched, delay);
    },
    /** Drops the check waiting and any still in flight (step 2 asks for itself). */
    cancel() {
      clearTimeout(timer);
      seq += 1;
    },
  };
}
