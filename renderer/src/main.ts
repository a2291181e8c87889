import { mount } from 'svelte';
import App from './App.svelte';
import { Editor } from './lib/editor.svelte';
import { connectIpc } from './lib/transport/ipc';
import { connectWebSocket } from './lib/transport/ws';
import './styles.css';

async function boot() {
  const target = document.getElementById('app')!;
  try {
    const token = new URLSearchParams(location.search).get('token');
    const client = window.ganvasEngine
      ? connectIpc(window.ganvasEngine)
      : await connectWebSocket(token ?? '');
    const editor = new Editor(client);
    mount(App, { target, props: { editor } });
    await editor.start();
  } catch (err) {
    target.innerHTML = '';
    const box = document.createElement('div');
    box.className = 'fatal';
    box.setAttribute('role', 'alert');
    box.textContent = `Ganvas could not reach its engine: ${err instanceof Error ? err.message : String(err)}. Open the URL that "ganvas serve" printed (it carries the token).`;
    target.append(box);
  }
}

void boot();
