import { contextBridge, ipcRenderer, type IpcRendererEvent } from 'electron';
import { eventNames, isEventName, isMethodName, type EventName, type MethodName } from '../engine/api/contract.js';

/**
 * Exposes exactly the engine contract to the page: one `call` restricted to the contract's methods and `on`
 * restricted to its events. No Node, no ipcRenderer, no other channel.
 */
contextBridge.exposeInMainWorld('ganvasEngine', {
  events: eventNames,
  call(method: MethodName, req: unknown) {
    if (!isMethodName(method)) return Promise.reject(new Error(`unknown method ${String(method)}`));
    return ipcRenderer.invoke('ganvas:call', method, req);
  },
  on(event: EventName, listener: (payload: unknown) => void) {
    if (!isEventName(event)) throw new Error(`unknown event ${String(event)}`);
    const channel = `ganvas:event:${event}`;
    const wrapped = (_e: IpcRendererEvent, payload: unknown) => listener(payload);
    ipcRenderer.on(channel, wrapped);
    return () => ipcRenderer.off(channel, wrapped);
  },
});
