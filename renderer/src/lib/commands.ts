import type { Editor } from './editor.svelte';
import type { Tool } from './session.svelte';

/**
 * Every user action, once: its id, label, shortcut, when it is enabled and what it does. The keyboard, the
 * toolbar, the menu and the tooltips all read this table (nothing else binds a key).
 */
export interface CommandSpec {
  id: string;
  group: 'File' | 'Edit' | 'View' | 'Tools' | 'Mask' | 'Layer';
  label: (ed: Editor) => string;
  /** Key chords that run it: 'Mod+Shift+Z' (Mod = Ctrl, or Cmd on a Mac), 'B', 'Enter', '['… The first is shown. */
  keys?: string[];
  /** More of the shortcut to show than the keys say (a mouse gesture). */
  hint?: string;
  /** Runs even while the focus is in a text field (otherwise such a field keeps its keys). */
  inText?: boolean;
  enabled?: (ed: Editor) => boolean;
  run: (ed: Editor) => unknown;
  /** Held keys: run on key down, `release` on key up. */
  release?: (ed: Editor) => void;
}

const tool = (id: Tool, label: string, key: string, hint?: string): CommandSpec => ({
  id: `tool.${id}`, group: 'Tools', label: () => label, keys: [key], hint, run: (ed) => ed.setTool(id),
});

const maskOp = (id: string, label: string, op: Parameters<Editor['maskOp']>[0], keys?: string[]): CommandSpec => ({
  id: `mask.${id}`, group: 'Mask', label: () => label, keys, enabled: (ed) => !!ed.selected, run: (ed) => ed.maskOp(op),
});

export const COMMANDS = [
  { id: 'project.dialog', group: 'File', label: () => 'Projects', keys: ['Mod+O'], inText: true, run: (ed) => ed.openDialog('project') },
  { id: 'file.import', group: 'File', label: () => 'Import image', keys: ['Mod+I'], hint: 'or drop / paste', run: (ed) => ed.pickFiles() },
  { id: 'file.export', group: 'File', label: () => 'Export PNG', keys: ['Mod+E'], inText: true, enabled: (ed) => !!ed.project, run: (ed) => ed.exportPng() },
  {
    id: 'edit.undo', group: 'Edit', keys: ['Mod+Z'],
    label: (ed) => (ed.mask.canUndo ? 'Undo mask change' : ed.project?.undoLabel ? `Undo ${ed.project.undoLabel}` : 'Undo'),
    enabled: (ed) => ed.mask.canUndo || !!ed.project?.canUndo,
    run: (ed) => ed.undo(),
  },
  {
    id: 'edit.redo', group: 'Edit', keys: ['Mod+Shift+Z', 'Mod+Y'],
    label: (ed) => (ed.mask.canRedo ? 'Redo mask change' : ed.project?.redoLabel ? `Redo ${ed.project.redoLabel}` : 'Redo'),
    enabled: (ed) => ed.mask.canRedo || !!ed.project?.canRedo,
    run: (ed) => ed.redo(),
  },
  { id: 'view.fit', group: 'View', label: () => 'Fit to window', keys: ['Mod+0'], inText: true, run: (ed) => ed.session.fit() },
  {
    id: 'view.compare', group: 'View', label: () => 'Compare: hold to see the layer before its last edit', keys: ['\\'],
    run: (ed) => (ed.session.compare.holding = true), release: (ed) => (ed.session.compare.holding = false),
  },
  tool('move', 'Move', 'V'),
  tool('brush', 'Mask brush', 'B', '[ ] or Alt+wheel for size'),
  tool('eraser', 'Mask eraser', 'E'),
  tool('rect', 'Rectangle mask', 'M'),
  tool('lasso', 'Lasso mask', 'L'),
  { id: 'brush.smaller', group: 'Tools', label: () => 'Smaller brush', keys: ['['], run: (ed) => ed.resizeBrush(1 / 1.2) },
  { id: 'brush.larger', group: 'Tools', label: () => 'Larger brush', keys: [']'], run: (ed) => ed.resizeBrush(1.2) },
  maskOp('invert', 'Invert mask', (m) => m.invert(), ['Mod+Shift+I']),
  maskOp('clear', 'Clear mask', (m) => m.clear()),
  maskOp('expand', 'Expand mask by 8 px', (m) => m.expand(8)),
  maskOp('shrink', 'Shrink mask by 8 px', (m) => m.shrink(8)),
  {
    id: 'inpaint.run', group: 'Mask', keys: ['Enter'],
    label: (ed) => (ed.models.some((m) => m.kind === 'inpainter') ? 'Fill the mask with the inpainter' : 'No inpainter installed: drop an .onnx inpainter here'),
    enabled: (ed) => !ed.busy && ed.models.some((m) => m.kind === 'inpainter'),
    run: (ed) => ed.inpaint(),
  },
  {
    id: 'layer.raise', group: 'Layer', label: () => 'Raise layer', keys: ['Mod+]'],
    enabled: (ed) => !!ed.selected && ed.selectedIndex < (ed.project?.layers.length ?? 0) - 1,
    run: (ed) => ed.selected && ed.reorder(ed.selected.id, ed.selectedIndex + 1),
  },
  {
    id: 'layer.lower', group: 'Layer', label: () => 'Lower layer', keys: ['Mod+['],
    enabled: (ed) => !!ed.selected && ed.selectedIndex > 0,
    run: (ed) => ed.selected && ed.reorder(ed.selected.id, ed.selectedIndex - 1),
  },
  {
    id: 'layer.delete', group: 'Layer', label: () => 'Delete layer', keys: ['Delete', 'Backspace'],
    enabled: (ed) => !!ed.selected, run: (ed) => ed.selected && ed.deleteLayer(ed.selected.id),
  },
  { id: 'dialog.close', group: 'View', label: () => 'Close dialog', keys: ['Escape'], inText: true, enabled: (ed) => !!ed.session.dialog, run: (ed) => ed.openDialog(null) },
] as const satisfies readonly CommandSpec[];

export type CommandId = (typeof COMMANDS)[number]['id'];

const byId = new Map<string, CommandSpec>(COMMANDS.map((c) => [c.id, c]));

// One chord, one command: a clash is a bug in this table, caught when the app loads.
{
  const seen = new Map<string, string>();
  for (const c of COMMANDS as readonly CommandSpec[]) {
    for (const k of c.keys ?? []) {
      if (seen.has(k)) throw new Error(`commands: ${k} is bound to both ${seen.get(k)} and ${c.id}`);
      seen.set(k, c.id);
    }
  }
}

export function command(id: CommandId): CommandSpec {
  return byId.get(id)!;
}

const isMac = typeof navigator !== 'undefined' && /Mac/.test(navigator.platform);

/** A chord as the user reads it: Ctrl+Shift+Z (⌘ on a Mac). */
export function shortcutText(c: CommandSpec): string {
  const keys = (c.keys ?? []).slice(0, 1).map((k) => k.replace('Mod+', isMac ? '⌘' : 'Ctrl+'));
  return [...keys, ...(c.hint ? [c.hint] : [])].join(', ');
}

/** The text of a tooltip: "Undo Hide photo.png  (Ctrl+Z)". */
export function tipText(ed: Editor, c: CommandSpec): string {
  const s = shortcutText(c);
  return s ? `${c.label(ed)}  (${s})` : c.label(ed);
}

/** The chord of a key event, in the table's spelling. */
export function chord(e: KeyboardEvent): string {
  const key = e.key.length === 1 ? e.key.toUpperCase() : e.key;
  return [e.ctrlKey || e.metaKey ? 'Mod' : '', e.altKey ? 'Alt' : '', e.shiftKey && key.length > 1 || /^[A-Z0-9]$/.test(key) && e.shiftKey ? 'Shift' : '', key]
    .filter(Boolean).join('+');
}

/**
 * Where the focus keeps its own keys: text fields keep everything but the table's `inText` commands; a select
 * keeps plain keys (type-ahead). Sliders, checkboxes and buttons keep none of the table's chords, so Ctrl+Z
 * right after moving a slider undoes.
 */
/** A field that takes typed text (where Ctrl+Z, Space and letters belong to the field). */
export function isTextEntry(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true;
  return target instanceof HTMLInputElement && !['range', 'checkbox', 'radio', 'button', 'submit', 'reset', 'color', 'file'].includes(target.type);
}

function focusKeeps(target: EventTarget | null, c: CommandSpec, chordText: string): boolean {
  if (c.inText) return false;
  if (!(target instanceof HTMLElement)) return false;
  if (isTextEntry(target)) return true;
  const plain = !chordText.startsWith('Mod+');
  if (target instanceof HTMLSelectElement) return plain;
  // Enter on a focused button presses that button, not the table's Enter.
  if (target instanceof HTMLButtonElement || target instanceof HTMLAnchorElement || target.tagName === 'SUMMARY') return plain && (chordText === 'Enter' || chordText === ' ');
  return false;
}

/** The keyboard's one way in: finds the command of a key event, runs it if enabled, and says whether it did. */
export function handleKey(ed: Editor, e: KeyboardEvent, phase: 'down' | 'up'): boolean {
  const k = chord(e);
  const c = COMMANDS.find((x) => (x.keys as readonly string[] | undefined)?.includes(k)) as CommandSpec | undefined;
  if (!c || focusKeeps(e.target, c, k)) return false;
  if (phase === 'up') {
    c.release?.(ed);
    return !!c.release;
  }
  e.preventDefault();
  if (e.repeat && c.release) return true;
  if (c.enabled && !c.enabled(ed)) return true;
  void c.run(ed);
  return true;
}
