// An accessible autocomplete for "Who is the referral for?" (templates/pages/casework/
// choose_participant.hbs; docs/frontend.md, "Autocomplete"). Progressive enhancement: the
// page works without it (Find, then choose from radios). With it, typing in the box lists
// matching participants in a listbox (the ARIA 1.2 combobox pattern) from
// GET /api/v1/participants?q= (the signed-in session's own scope); choosing one opens the
// referral form for them. A static same-origin module: no inline script, so the CSP needs
// no nonce for it.
const form = document.querySelector('form[data-find-participant]');
const input = form && form.querySelector('#participant');
if (input) {
  const wrapper = input.parentElement;
  const list = document.createElement('ul');
  list.id = 'participant-listbox';
  list.className = 'app-autocomplete__list';
  list.setAttribute('role', 'listbox');
  list.setAttribute('aria-label', 'Matching participants');
  list.hidden = true;
  const status = document.createElement('div');
  status.className = 'govuk-visually-hidden';
  status.setAttribute('role', 'status');
  status.setAttribute('aria-live', 'polite');
  wrapper.append(list, status);
  input.setAttribute('role', 'combobox');
  input.setAttribute('aria-autocomplete', 'list');
  input.setAttribute('aria-expanded', 'false');
  input.setAttribute('aria-controls', list.id);
  document.getElementById('participant-hint').textContent =
    'Type the start of their case reference, in any case, then choose them from the list with the arrow keys and Enter';

  let items = [];
  let active = -1;
  let timer = null;
  let asked = 0;

  const close = () => {
    list.hidden = true;
    input.setAttribute('aria-expanded', 'false');
    input.removeAttribute('aria-activedescendant');
    active = -1;
  };

  const highlight = (i) => {
    active = i;
    [...list.children].forEach((li, n) => li.setAttribute('aria-selected', String(n === i)));
    if (i >= 0 && list.children[i]) {
      input.setAttribute('aria-activedescendant', list.children[i].id);
      list.children[i].scrollIntoView({ block: 'nearest' });
    } else {
      input.removeAttribute('aria-activedescendant');
    }
  };

  const choose = (i) => {
    const p = items[i];
    if (!p) return;
    input.value = p.reference;
    close();
    const chosen = document.createElement('input');
    chosen.type = 'hidden';
    chosen.name = 'participant_id';
    chosen.value = String(p.id);
    form.append(chosen);
    form.submit();
  };

  const describe = (p) => {
    const born = p.date_of_birth ? `born ${p.date_of_birth}` : 'date of birth not recorded';
    return p.district ? `${born}, ${p.district}` : born;
  };

  const show = (found, count) => {
    items = found;
    list.replaceChildren();
    found.forEach((p, n) => {
      const li = document.createElement('li');
      li.id = `participant-option-${n}`;
      li.className = 'app-autocomplete__option';
      li.setAttribute('role', 'option');
      li.setAttribute('aria-selected', 'false');
      const ref = document.createElement('span');
      ref.className = 'app-autocomplete__reference';
      ref.textContent = p.reference;
      const hint = document.createElement('span');
      hint.className = 'app-autocomplete__hint';
      hint.textContent = ` (${describe(p)})`;
      li.append(ref, hint);
      li.addEventListener('mousedown', (e) => { e.preventDefault(); choose(n); });
      list.append(li);
    });
    if (found.length === 0) {
      const li = document.createElement('li');
      li.className = 'app-autocomplete__option app-autocomplete__option--none';
      li.textContent = 'No participants match';
      list.append(li);
    }
    list.hidden = false;
    input.setAttribute('aria-expanded', 'true');
    active = -1;
    status.textContent = found.length === 0
      ? 'No participants match'
      : `${count} ${count === 1 ? 'participant matches' : 'participants match'}${count > found.length ? `, the first ${found.length} listed` : ''}`;
  };

  const search = async () => {
    const q = input.value.trim();
    if (q === '') { close(); status.textContent = ''; return; }
    const mine = ++asked;
    try {
      const res = await fetch(`/api/v1/participants?q=${encodeURIComponent(q)}&limit=10`, {
        credentials: 'same-origin',
        headers: { Accept: 'application/json' },
      });
      if (!res.ok || mine !== asked) return;
      const body = await res.json();
      show(body.items, body.count);
    } catch (e) {
      // Offline or refused: the Find button still works.
    }
  };

  input.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(search, 150);
  });
  input.addEventListener('keydown', (e) => {
    if (list.hidden) {
      if (e.key === 'ArrowDown' && items.length) { list.hidden = false; input.setAttribute('aria-expanded', 'true'); highlight(0); e.preventDefault(); }
      return;
    }
    if (e.key === 'ArrowDown') { highlight(Math.min(active + 1, items.length - 1)); e.preventDefault(); }
    else if (e.key === 'ArrowUp') { highlight(Math.max(active - 1, 0)); e.preventDefault(); }
    else if (e.key === 'Enter' && active >= 0) { choose(active); e.preventDefault(); }
    else if (e.key === 'Escape') { close(); e.preventDefault(); }
  });
  input.addEventListener('blur', () => setTimeout(close, 100));
}
