/** Session state: what this window shows and how the user works, never part of the document. */

export type Tool = 'move' | 'brush' | 'eraser' | 'rect' | 'lasso';

export interface View {
  scale: number;
  x: number;
  y: number;
}

const PANELS_KEY = 'ganvas.panels.collapsed';

function loadCollapsed(): Record<string, boolean> {
  try {
    return JSON.parse(localStorage.getItem(PANELS_KEY) ?? '{}') as Record<string, boolean>;
  } catch {
    return {};
  }
}

export class Session {
  /** Zoom and pan: changed only by the canvas (wheel, Space-drag) and by Fit; never by an edit. */
  view = $state<View>({ scale: 1, x: 0, y: 0 });
  /** Bumped to ask the canvas to fit the document: on opening a project, the first import, and Ctrl+0. */
  fitRequest = $state(0);
  tool = $state<Tool>('move');
  selectedId = $state<string | null>(null);
  brush = $state({ size: 48, hardness: 0.8 });
  pointer = $state<{ x: number; y: number } | null>(null);
  dialog = $state<'project' | null>(null);
  /** feather: the blend band outside the hole, 0–8 px (the engine's inpaint.run takes no more). */
  inpaint = $state({ modelId: '', feather: 4, margin: 0.5 });
  /** Compare: while `holding`, the selected layer shows its previous state (or hides); `split` shows it right of a line. */
  compare = $state({ holding: false, split: 1 });
  /** Side panels folded away, by id; kept across restarts. */
  collapsed = $state<Record<string, boolean>>(loadCollapsed());

  fit(): void {
    this.fitRequest++;
  }

  togglePanel(id: string): void {
    this.collapsed = { ...this.collapsed, [id]: !this.collapsed[id] };
    try {
      localStorage.setItem(PANELS_KEY, JSON.stringify(this.collapsed));
    } catch {
      // private mode: folding still works for this session
    }
  }
}
