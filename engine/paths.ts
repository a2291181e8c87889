import { homedir } from 'node:os';
import { join } from 'node:path';

/** Where Ganvas keeps its projects and app state: $GANVAS_HOME, else the platform's per-user data folder. */
export function ganvasHome(): string {
  if (process.env.GANVAS_HOME) return process.env.GANVAS_HOME;
  if (process.platform === 'win32') return join(process.env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), 'Ganvas');
  if (process.platform === 'darwin') return join(homedir(), 'Library', 'Application Support', 'Ganvas');
  return join(process.env.XDG_DATA_HOME ?? join(homedir(), '.local', 'share'), 'ganvas');
}

export const projectsDir = (home = ganvasHome()) => join(home, 'projects');
export const defaultProjectPath = (home = ganvasHome()) => join(projectsDir(home), 'Welcome.ganvas');
