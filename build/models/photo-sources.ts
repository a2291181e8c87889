import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface PhotoSource { name: string; path: string; licence: string; heldOut: boolean }

/**
 * The photographs in Debian's wallpaper packages (abstract and logo wallpapers are left out). Every sixth
 * photo, in name order, is held out of inpainter training so the quality bench measures unseen photos.
 */
export function photoSources(): PhotoSource[] {
  const found: Omit<PhotoSource, 'heldOut'>[] = [];
  const lomiri = '/usr/share/backgrounds';
  if (existsSync(lomiri)) {
    for (const f of readdirSync(lomiri).filter((f) => f.endsWith('.jpg'))) {
      if (/analogpattern|Picture_/.test(f)) continue; // graphic designs, not photos
      found.push({ name: `lomiri-${f.replace(/\.jpg$/, '')}`, path: join(lomiri, f), licence: 'CC-BY-SA-3.0 (lomiri-wallpapers-16.04)' });
    }
  }
  const mate = '/usr/share/backgrounds/mate/nature';
  if (existsSync(mate)) {
    for (const f of readdirSync(mate).filter((f) => f.endsWith('.jpg'))) {
      found.push({ name: `mate-${f.replace(/\.jpg$/, '')}`, path: join(mate, f), licence: 'GPL-2+/CC per file (mate-backgrounds)' });
    }
  }
  const plasma = '/usr/share/wallpapers';
  if (existsSync(plasma)) {
    for (const d of readdirSync(plasma)) {
      const images = join(plasma, d, 'contents', 'images');
      if (!existsSync(images)) continue;
      const jpgs = readdirSync(images).filter((f) => f.endsWith('.jpg'));
      if (jpgs.length === 0) continue; // the PNG wallpapers are renders, not photos
      const largest = jpgs.sort((a, b) => statSync(join(images, b)).size - statSync(join(images, a)).size)[0]!;
      found.push({ name: `plasma-${d}`, path: join(images, largest), licence: 'CC-BY-SA / LGPL per wallpaper (plasma-workspace-wallpapers)' });
    }
  }
  found.sort((a, b) => a.name.localeCompare(b.name));
  return found.map((p, i) => ({ ...p, heldOut: i % 6 === 5 }));
}
