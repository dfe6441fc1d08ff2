// Modal dialogs on the native <dialog> element: it traps focus, closes on Escape and gives focus
// back to the button that opened it.
import { h } from './dom.js';

function open(dialog) {
  const opener = document.activeElement;
  document.body.append(dialog);
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => {
      dialog.remove();
      if (opener instanceof HTMLElement && opener.isConnected) opener.focus();
      resolve(dialog.returnValue);
    });
  });
}

/** Asks before something that cannot be undone; resolves true only for "Yes, proceed". */
export async function confirm({ title, message, action = 'Yes, proceed', danger = true }) {
  const titleId = `dlg-title-${Date.now()}`;
  const cancel = h('button', { type: 'button', class: 'button', onclick: () => dialog.close('cancel') }, 'Cancel');
  const proceed = h('button', { type: 'button', class: `button ${danger ? 'danger' : 'primary'}`, onclick: () => dialog.close('yes') }, action);
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId },
    h('h2', { id: titleId }, title),
    h('p', null, message),
    h('div', { class: 'actions' }, proceed, cancel));
  const result = open(dialog);
  cancel.focus(); // the safe choice has focus: Enter does not delete by accident
  return (await result) === 'yes';
}

/** Shows a signing secret once, with a copy button and the warning that it will not be shown again. */
export async function showSecret({ title, secret, intro }) {
  const titleId = `dlg-title-${Date.now()}`;
  const value = h('code', { class: 'secret-value', id: 'secret-value' }, secret);
  const copyStatus = h('span', { class: 'copy-status', role: 'status' });
  const copy = h('button', {
    type: 'button',
    class: 'button',
    onclick: async () => {
      try {
        await navigator.clipboard.writeText(secret);
        copyStatus.textContent = 'Copied.';
      } catch {
        // No clipboard access (an insecure context, a denied permission): select it for Ctrl+C.
        const range = document.createRange();
        range.selectNodeContents(value);
        const selection = window.getSelection();
        selection.removeAllRanges();
        selection.addRange(range);
        copyStatus.textContent = 'Selected: press Ctrl+C (or ⌘C) to copy.';
      }
    },
  }, 'Copy');
  const done = h('button', { type: 'button', class: 'button primary', onclick: () => dialog.close('done') }, 'I have stored it');
  const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': titleId, 'aria-describedby': 'secret-warning' },
    h('h2', { id: titleId }, title),
    h('p', null, intro),
    h('div', { class: 'secret-box' }, value, copy),
    copyStatus,
    h('p', { class: 'warning', id: 'secret-warning' },
      h('strong', null, 'This secret will not be shown again. '),
      'Copy it now and keep it somewhere safe, such as your receiver\'s configuration. If you lose it, rotate the secret to get a new one.'),
    h('div', { class: 'actions' }, done));
  const result = open(dialog);
  copy.focus();
  await result;
}
