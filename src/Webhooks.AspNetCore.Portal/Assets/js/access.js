// Opening an access link: the token is in the fragment (#token=…), which browsers never send to a
// server. Take it out of the address bar and the history at once, exchange it for a session cookie
// with a JSON request, then open the portal; or say clearly why the link does not work.
const base = document.body.dataset.portalBase;
const heading = document.getElementById('heading');
const status = document.getElementById('status');


function fail(title, detail) {
  heading.textContent = title;
  status.textContent = detail;
  status.setAttribute('role', 'alert');
  document.title = `${title} · ${document.title}`;
  document.body.classList.add('is-error');
}

async function open(token) {
  let response;
  try {
    response = await fetch(`${base}access`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/json', 'X-Requested-With': 'XMLHttpRequest' },
      body: JSON.stringify({ token }),
      credentials: 'same-origin',
      cache: 'no-store',
    });
  } catch {
    fail('Could not reach the server.', 'Check your connection, then open the link again.');
    return;
  }

  if (response.ok) {
    status.textContent = 'Opening…';
    location.replace(base);
    return;
  }

  const problem = await response.json().catch(() => null);
  fail(problem?.title || 'This link does not work.', problem?.detail || 'Ask for a new link.');
}

function run() {
  const match = /(?:^#|&)token=([^&]+)/.exec(location.hash);
  history.replaceState(null, '', location.pathname);
  document.body.classList.remove('is-error');
  heading.textContent = 'Opening your webhooks…';
  status.textContent = 'Checking your link.';
  if (!match) {
    fail('This link is incomplete.', 'Open the link you received again, exactly as it was sent (it ends with a long code after #token=). If it still does not work, ask for a new one.');
  } else {
    open(decodeURIComponent(match[1]));
  }
}

// Another link opened in this tab while this page shows: only the fragment changes, the page stays.
window.addEventListener('hashchange', () => { if (location.hash) run(); });
run();
