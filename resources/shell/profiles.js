/* global window, document */
// The profile picker of the desktop shell (no framework: it must work before any site is known).
// Talks only to window.factoryops.profiles; main validates everything it receives.
const bridge = window.factoryops;
const list = document.getElementById('profiles');
const form = document.getElementById('add');
const error = document.getElementById('error');

function button(label, onClick, secondary) {
  const b = document.createElement('button');
  b.type = 'button';
  b.textContent = label;
  if (secondary) b.className = 'secondary';
  b.addEventListener('click', () => onClick().catch(show));
  return b;
}

function show(failure) {
  // Electron prefixes remote errors with "Error invoking remote method '…': Error: ".
  error.textContent = String(failure && failure.message ? failure.message : failure).replace(/^Error invoking remote method '[^']+': (\w*Error: )?/, '');
}

async function render() {
  const { profiles } = await bridge.profiles.list();
  list.replaceChildren(
    ...profiles.map((profile) => {
      const item = document.createElement('li');
      const what = document.createElement('div');
      what.className = 'what';
      what.textContent = profile.name;
      const detail = document.createElement('small');
      detail.textContent = `${profile.serverUrl}${profile.pinnedFingerprint ? ` · certificate ${profile.pinnedFingerprint}` : ' · certificate not yet trusted'}`;
      what.append(detail);
      item.append(what, button('Open', () => bridge.profiles.open(profile.id)));
      if (profile.pinnedFingerprint) item.append(button('Forget certificate', async () => { await bridge.profiles.forgetCertificate(profile.id); await render(); }, true));
      item.append(button('Remove', async () => { await bridge.profiles.remove(profile.id); await render(); }, true));
      return item;
    }),
  );
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  error.textContent = '';
  const data = new window.FormData(form);
  bridge.profiles
    .save({ name: String(data.get('name')), serverUrl: String(data.get('serverUrl')) })
    .then(() => {
      form.reset();
      return render();
    })
    .catch(show);
});

render().catch(show);
