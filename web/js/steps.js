// Steps and history: which of 入力 (1) → 確認 (2) → 完了 (3) is shown, its URL
// hash, the browser's back and forward buttons, the focused heading and the
// document title.
//
// It owns the current step. Where a history move may go depends on the
// application (is step 2 still valid? is it complete?): `onNavigate(step)`
// decides, and calls back `show`.

const STEP_HASH = { 1: '#input', 2: '#confirm', 3: '#complete' };
const STEP_TITLE = { 1: '登録内容の入力', 2: '入力内容の確認', 3: 'お申し込み完了' };
const SITE_TITLE = 'パートナー登録お申し込みフォーム';
const SKIP_LINK = 'skip-link';

function panelOf(step) {
  return document.querySelector(`[data-step-panel="${step}"]`);
}

/** The step's heading: the one that labels its panel. */
function headingOf(step) {
  return document.getElementById(panelOf(step).getAttribute('aria-labelledby'));
}

function focusHeading(step) {
  headingOf(step).focus({ preventScroll: true });
}

/** The step a URL hash names; 1 for anything else. */
export function stepFromHash(hash) {
  const found = Object.entries(STEP_HASH).find(([, value]) => value === hash);
  return found ? Number(found[0]) : 1;
}

/**
 * `hasErrors()` says whether step 1's error summary is shown (for the title);
 * `onNavigate(step)` answers a history move to `step`.
 */
export function createSteps({ hasErrors, onNavigate }) {
  let current = 1;

  function updateTitle() {
    const errors = current === 1 && hasErrors();
    document.title = `${errors ? 'エラー: ' : ''}${STEP_TITLE[current]} | ${SITE_TITLE}`;
  }

  /** history: 'push' adds an entry, 'replace' rewrites the current one, 'none' leaves it. */
  function show(step, history, { focus = true } = {}) {
    current = step;
    for (const panel of document.querySelectorAll('[data-step-panel]')) {
      panel.hidden = Number(panel.dataset.stepPanel) !== step;
    }
    for (const item of document.querySelectorAll('.steps__item')) {
      const itemStep = Number(item.dataset.step);
      if (itemStep === step) item.setAttribute('aria-current', 'step');
      else item.removeAttribute('aria-current');
      item.classList.toggle('is-done', itemStep < step);
    }
    const url = `${location.pathname}${location.search}${STEP_HASH[step]}`;
    if (history === 'push') window.history.pushState({ step }, '', url);
    else if (history === 'replace') window.history.replaceState({ step }, '', url);
    updateTitle();
    if (focus) {
      window.scrollTo(0, 0);
      focusHeading(step);
    }
  }

  /** A plain first visit keeps its URL; the step is recorded without a hash. */
  function showFirst() {
    current = 1;
    window.history.replaceState({ step: 1 }, '', location.href.split('#')[0] + (location.hash ? STEP_HASH[1] : ''));
    show(1, 'none', { focus: false });
  }

  function onPopState(event) {
    const isStepHash = Object.values(STEP_HASH).includes(location.hash);
    const step = (event.state && event.state.step) || (isStepHash ? stepFromHash(location.hash) : null);
    if (step === null) return; // An in-page link (#main), not a step.
    onNavigate(step);
  }

  function listen() {
    document.getElementById(SKIP_LINK).addEventListener('click', (event) => {
      // The step's own heading, without touching the URL (it names the step).
      event.preventDefault();
      headingOf(current).scrollIntoView({ block: 'start' });
      focusHeading(current);
    });
    window.addEventListener('popstate', onPopState);
  }

  return {
    current: () => current,
    show,
    showFirst,
    updateTitle,
    listen,
  };
}
