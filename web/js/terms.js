// Terms: plain text files an operator can replace (content/terms.txt,
// content/privacy.txt), loaded into every box marked data-content.

const FAILED = 'を読み込めませんでした。こちらからご覧ください:';

export async function loadTerms() {
  for (const box of document.querySelectorAll('[data-content]')) {
    const url = box.dataset.content;
    try {
      const response = await fetch(url, { cache: 'no-cache' });
      if (!response.ok) throw new Error(String(response.status));
      box.textContent = (await response.text()).trim();
    } catch {
      const title = document.getElementById(box.getAttribute('aria-labelledby')).textContent;
      const message = document.createElement('p');
      message.className = 'terms__fallback';
      message.append(`「${title}」${FAILED}`);
      const link = document.createElement('a');
      link.href = url;
      link.target = '_blank';
      link.rel = 'noopener';
      link.textContent = title;
      message.append(link);
      box.replaceChildren(message);
    }
  }
}
