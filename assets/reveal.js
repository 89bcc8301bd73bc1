// Conditional reveal for question pages (web::pages::forms, `Field::reveal_when`): a form
// group marked data-reveal-field="programme_id" data-reveal-values="3,7" is shown only
// while that field's value is one of those values, like GOV.UK's conditional reveal on
// radios but driven by any field (here, the programme select of "Record a referral": the
// reparation hours of Immediate Justice programmes). Progressive enhancement: without
// JavaScript every group is shown, its label saying when it applies. A static module: no
// inline script, so the CSP needs no nonce for it.
for (const group of document.querySelectorAll('[data-reveal-field]')) {
  const source = document.querySelector(`[name="${CSS.escape(group.dataset.revealField)}"]`);
  const values = group.dataset.revealValues.split(',');
  const inputs = group.querySelectorAll('input, select, textarea');
  const update = () => {
    const shown = source !== null && values.includes(source.value);
    group.hidden = !shown;
    // A hidden field is not sent: a value typed before the programme changed is dropped.
    for (const input of inputs) input.disabled = !shown;
  };
  if (source !== null) {
    source.addEventListener('change', update);
    update();
  }
}
